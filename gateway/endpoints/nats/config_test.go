//go:build !hil

package nats_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoints/nats"
)

func parse(t *testing.T, ep string) (*config.Config, error) {
	t.Helper()
	return config.Parse("t.yaml", []byte("admin: {listen: \"\"}\nendpoints:\n  rec: {kind: log, mode: read, path: /tmp/t.log}\n  a: "+ep+"\nroutes:\n  - {name: r, from: [rec], to: [a]}\n"))
}

func TestDecode(t *testing.T) {
	c, err := parse(t, `{kind: nats, gateway: b1, subscribe: [fieldgate.b2.>]}`) // a source too: unused here
	if err != nil {
		t.Fatal(err)
	}
	got := c.Endpoint("a").Settings.(*nats.Config)
	want := &nats.Config{Prefix: "fieldgate", Gateway: "b1", Encoding: "binary", Subscribe: []string{"fieldgate.b2.>"},
		MaxMessage: 1 << 20, Server: nats.Server{Listen: "127.0.0.1:4222", MaxPayload: 1 << 20},
		Reconnect: config.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}, Coalesce: time.Millisecond}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("\n got %+v\nwant %+v", got, want)
	}
	if tr := got.Traits(); tr.Trust != config.TrustRemote || !tr.Reads() || !tr.Writes() {
		t.Errorf("traits %+v", tr)
	}
	if b := got.Binds(); !reflect.DeepEqual(b, []config.Bind{{Space: "tcp", Addr: "127.0.0.1:4222"}}) {
		t.Errorf("binds %v", b)
	}

	dir := t.TempDir()
	creds := filepath.Join(dir, "u.creds")
	os.WriteFile(creds, []byte("x"), 0o600)
	c, err = config.Parse("t.yaml", []byte(`admin: {listen: ""}
endpoints:
  a: {kind: test-source}
  pub:
    kind: nats
    url: [nats://a:4222, tls://b:4222]
    prefix: fleet.eu
    gateway: bench-1
    encoding: json
    max_message: 64KiB
    credentials: {creds: `+creds+`}
    reconnect: {min: 1s, max: 10s}
    jetstream: {stream: FRAMES, replicas: 3, max_age: 24h, ack_timeout: 2s}
routes:
  - {name: r, from: [a], to: [pub]}
`))
	if err != nil {
		t.Fatal(err)
	}
	got = c.Endpoint("pub").Settings.(*nats.Config)
	if !reflect.DeepEqual(got.URLs, []string{"nats://a:4222", "tls://b:4222"}) || got.Prefix != "fleet.eu" || got.MaxMessage != 64<<10 ||
		got.Credentials.Creds != creds || *got.JetStream != (nats.JetStream{Stream: "FRAMES", Create: true, Replicas: 3, MaxAge: 24 * time.Hour, Duplicates: 2 * time.Minute, AckTimeout: 2 * time.Second}) {
		t.Errorf("%+v %+v", got, got.JetStream)
	}
	if tr := got.Traits(); tr.Reads() || got.Binds() != nil {
		t.Errorf("publisher traits %+v binds %v", tr, got.Binds())
	}
}

func TestFields(t *testing.T) {
	k, _ := config.LookupKind("nats")
	var names []string
	for _, f := range k.Fields {
		names = append(names, f.Name)
	}
	want := []string{"url", "prefix", "gateway", "encoding", "dbc", "subscribe", "max_message", "server", "tls", "credentials", "coalesce", "reconnect", "jetstream", "replay"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("fields %v", names)
	}
}

// TestDecodeErrors: each error names file:line:column and the field.
func TestDecodeErrors(t *testing.T) {
	dir := t.TempDir()
	loose := filepath.Join(dir, "loose.nk")
	os.WriteFile(loose, []byte("SUAxxx"), 0o644)
	tight := filepath.Join(dir, "tight.nk")
	os.WriteFile(tight, []byte("SUAxxx"), 0o600)
	looseKey := filepath.Join(dir, "tls.key")
	os.WriteFile(looseKey, []byte("k"), 0o640)
	bad := filepath.Join(dir, "bad.dbc")
	os.WriteFile(bad, []byte("VERSION \"\"\n\nBO_ 1 M: 8 E\n SG_ S 0|8@1+ (1,0) [0|1] \"\" E\n"), 0o644)
	for _, tc := range []struct{ ep, want string }{
		{`{kind: nats, url: http://x:1}`, `t.yaml:4:24: endpoints.a.url: URL "http://x:1": scheme must be nats or tls`},
		{`{kind: nats, url: [nats://a:1, "nats://"]}`, `t.yaml:4:37: endpoints.a.url: URL "nats://": want scheme://host:port`},
		{`{kind: nats, prefix: "a..b"}`, `t.yaml:4:27: endpoints.a.prefix: prefix "a..b": not a subject token: empty`},
		{`{kind: nats, gateway: "a.b"}`, `t.yaml:4:28: endpoints.a.gateway: gateway "a.b": not a subject token: '.' is not allowed`},
		{`{kind: nats, encoding: avro}`, `t.yaml:4:29: endpoints.a.encoding: invalid value "avro"`},
		{`{kind: nats, encoding: signals}`, `t.yaml:4:3: endpoints.a.dbc: missing field (hint: the signals encoding decodes frames with a DBC file)`},
		{`{kind: nats, dbc: x.dbc}`, `t.yaml:4:24: endpoints.a.dbc: dbc applies to the signals encoding only`},
		{`{kind: nats, encoding: signals, dbc: ` + bad + `}`, `endpoints.a.dbc: can: DBC ` + bad + `:4:8: expected ident`},
		{`{kind: nats, encoding: signals, dbc: /nonexistent.dbc}`, `endpoints.a.dbc: open /nonexistent.dbc: no such file or directory`},
		{`{kind: nats, subscribe: ["a.>.b"]}`, `t.yaml:4:31: endpoints.a.subscribe: subject "a.>.b": '>' must be the last token`},
		{`{kind: nats, subscribe: ["a..b"]}`, `t.yaml:4:31: endpoints.a.subscribe: subject "a..b": empty token`},
		{`{kind: nats, max_message: 10}`, `t.yaml:4:32: endpoints.a.max_message: max_message 10 out of range`},
		{`{kind: nats, url: nats://a:1, server: {listen: "127.0.0.1:1"}}`, `t.yaml:4:44: endpoints.a.server: server applies to the embedded server (no url)`},
		{`{kind: nats, server: {listen: "example.com:1"}}`, `t.yaml:4:36: endpoints.a.server.listen: listen host "example.com" is not an IP address`},
		{`{kind: nats, server: {lissen: x}}`, `t.yaml:4:28: endpoints.a.server.lissen: unknown field "lissen" (hint: did you mean "listen"?)`},
		{`{kind: nats, tls: {ca: /x}}`, `t.yaml:4:24: endpoints.a.tls: tls without url`},
		{`{kind: nats, url: nats://a:1, tls: {cert: /x, key: ` + looseKey + `}}`, `endpoints.a.tls.key: ` + looseKey + ` has mode 0640: it must not be accessible by group or others (hint: run: chmod 600 ` + looseKey + `)`},
		{`{kind: nats, url: nats://a:1, credentials: {nkey: ` + loose + `}}`, `endpoints.a.credentials.nkey: ` + loose + ` has mode 0644: it must not be accessible by group or others`},
		{`{kind: nats, url: nats://a:1, credentials: {creds: ` + dir + `}}`, `endpoints.a.credentials.creds: ` + dir + ` is not a regular file`},
		{`{kind: nats, url: nats://a:1, credentials: {creds: /nonexistent}}`, `endpoints.a.credentials.creds: stat /nonexistent: no such file or directory`},
		{`{kind: nats, url: nats://a:1, credentials: {user: u}}`, `t.yaml:4:49: endpoints.a.credentials: user and password go together`},
		{`{kind: nats, url: nats://a:1, credentials: {token: t, nkey: ` + tight + `}}`, `t.yaml:4:49: endpoints.a.credentials: more than one kind of credentials`},
		{`{kind: nats, url: nats://a:1, credentials: {}}`, `t.yaml:4:49: endpoints.a.credentials: no credentials given`},
		{`{kind: nats, credentials: {token: t}}`, `t.yaml:4:32: endpoints.a.credentials: credentials without url`},
		{`{kind: nats, jetstream: {stream: S}}`, `t.yaml:4:30: endpoints.a.jetstream: jetstream needs server.store_dir`},
		{`{kind: nats, url: nats://a:1, jetstream: {}}`, `t.yaml:4:47: endpoints.a.jetstream.stream: missing field`},
		{`{kind: nats, url: nats://a:1, jetstream: {stream: "a.b"}}`, `t.yaml:4:56: endpoints.a.jetstream.stream: stream "a.b": '.' is not allowed`},
		{`{kind: nats, url: nats://a:1, jetstream: {stream: S, replicas: 7}}`, `t.yaml:4:69: endpoints.a.jetstream.replicas: value 7 out of range`},
		{`{kind: nats, url: nats://a:1, replay: {stream: S, start_seq: 5, start_time: "2026-01-01T00:00:00Z"}}`, `endpoints.a.replay.start_time: start_seq and start_time are exclusive`},
		{`{kind: nats, url: nats://a:1, replay: {stream: S, start_seq: 5, stop_seq: 4}}`, `endpoints.a.replay.stop_seq: stop_seq 4 is below start_seq 5`},
		{`{kind: nats, url: nats://a:1, replay: {stream: S, stop_time: yesterday}}`, `endpoints.a.replay.stop_time: invalid time "yesterday"`},
		{`{kind: nats, url: nats://a:1, subscribe: [x], replay: {stream: S}}`, `endpoints.a.replay: replay and subscribe are exclusive`},
		{`{kind: nats, url: nats://a:1, encoding: signals, dbc: /x, subscribe: [x]}`, `endpoints.a.subscribe: the signals encoding is publish only`},
		{`{kind: nats, encoding: json, coalesce: 2ms}`, `t.yaml:4:45: endpoints.a.coalesce: coalesce applies to the binary encoding without jetstream`},
		{`{kind: nats, coalesce: 1s}`, `t.yaml:4:29: endpoints.a.coalesce: duration 1s out of range`},
		{`{kind: nats, publish: true}`, `t.yaml:4:19: endpoints.a.publish: unknown field "publish"`},
	} {
		_, err := parse(t, tc.ep)
		if os.Getenv("NATS_PRINT_ERRORS") != "" && err != nil {
			t.Logf("GOT\t%s\t%s", tc.want, strings.SplitN(err.Error(), " (hint", 2)[0])
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %s", tc.ep, err, tc.want)
		}
	}
}

// TestBindConflict: two embedded servers on one address, or sharing a
// store directory, conflict.
func TestBindConflict(t *testing.T) {
	_, err := config.Parse("t.yaml", []byte(`admin: {listen: ""}
endpoints:
  a: {kind: nats, server: {listen: "127.0.0.1:4222", store_dir: /tmp/js}}
  b: {kind: nats, server: {listen: "0.0.0.0:4222"}}
  c: {kind: nats, server: {listen: "127.0.0.1:4223", store_dir: /tmp/js}}
  d: {kind: nats, url: nats://127.0.0.1:4222}
  rec: {kind: log, path: /tmp/x.log}
routes:
  - {name: r, from: [rec], to: [a, b, c, d]}
`))
	if err == nil || !strings.Contains(err.Error(), "endpoints.b: binds tcp 0.0.0.0:4222, which a") ||
		!strings.Contains(err.Error(), "endpoints.c: binds file /tmp/js, which a") || strings.Contains(err.Error(), "endpoints.d") {
		t.Fatalf("%v", err)
	}
}
