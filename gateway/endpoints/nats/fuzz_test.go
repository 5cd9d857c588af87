//go:build !hil

package nats_test

import (
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoints/nats"
)

// FuzzDecode decodes arbitrary nats endpoint mappings: no panic, every
// error has a position, and settings that decode without error hold what
// the endpoint relies on (a valid gateway token, a known encoding, a DBC
// exactly with signals, no subscription with signals, server settings
// only without url).
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{kind: nats, gateway: b1, subscribe: [fieldgate.b2.>]}`,
		`{kind: nats, url: [nats://a:4222, tls://b:1], prefix: fleet.eu, encoding: json, jetstream: {stream: S, replicas: 3}}`,
		`{kind: nats, server: {listen: "127.0.0.1:0", store_dir: /tmp/x}, replay: {stream: S, start_seq: 3, stop_seq: 9, realtime: true}}`,
		`{kind: nats, url: nats://a:1, credentials: {user: u, password: p}, tls: {ca: /x}}`,
		`{kind: nats, encoding: signals, dbc: /nonexistent, subscribe: ["a.*.>"]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ep string) {
		c, err := config.Parse("f.yaml", []byte("admin: {listen: \"\"}\nendpoints:\n  rec: {kind: log, mode: read, path: /tmp/f.log}\n  a: "+ep+"\nroutes:\n  - {name: r, from: [rec], to: [a]}\n"))
		if err != nil {
			if es, ok := err.(config.Errors); ok {
				for _, e := range es {
					if e.Pos.File != "f.yaml" || e.Msg == "" {
						t.Fatalf("error without position or message: %#v", e)
					}
				}
			}
			return
		}
		s, ok := c.Endpoint("a").Settings.(*nats.Config)
		if !ok {
			return
		}
		switch {
		case s.Gateway == "" || s.MaxMessage < 1024:
			t.Fatalf("accepted %+v", s)
		case (s.Encoding == "signals") != (s.DB != nil):
			t.Fatalf("signals without a DBC: %+v", s)
		case s.Encoding == "signals" && len(s.Subscribe) > 0:
			t.Fatalf("signals subscriber: %+v", s)
		case s.Encoding != "binary" && s.Encoding != "json" && s.Encoding != "signals":
			t.Fatalf("encoding %q", s.Encoding)
		case s.JetStream != nil && s.Embedded() && s.Server.StoreDir == "":
			t.Fatalf("jetstream without a store: %+v", s)
		}
	})
}
