package udp

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/cannelloni"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/logfile"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timeout waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func slogDiscard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testEnv() *endpoint.Env {
	return &endpoint.Env{Name: "u", Stats: &endpoint.Stats{}, Log: slogDiscard()}
}

// TestConfig decodes a udp endpoint through config.Parse: its settings,
// traits and binds, and an error with its position.
func TestConfig(t *testing.T) {
	cfg, err := config.Parse("t.yaml", []byte(`
endpoints:
  link:
    kind: udp
    listen: "0.0.0.0:20000"
    peer: "192.0.2.7:20000"
    mtu: 9000
    flush: 100ms
    allow_peers: [192.0.2.0/24, "2001:db8::1"]
    auth: {key_file: /etc/fieldgate/psk, provider: go, replay_window: 4096}
  bare: {kind: udp, listen: "[::]:20001"}
  rec: {kind: log, path: /tmp/x.log}
routes:
  - {from: link, to: rec}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.Endpoint("link").Settings.(*Config)
	want := &Config{
		Listen: "0.0.0.0:20000", Peer: "192.0.2.7:20000", MTU: 9000, Flush: 100 * time.Millisecond, Coalesce: time.Millisecond,
		AllowPeers: []string{"192.0.2.0/24", "2001:db8::1"},
		Auth:       &config.Auth{KeyFile: "/etc/fieldgate/psk", Provider: "go", ReplayWindow: 4096},
	}
	got.Auth.Pos = config.Pos{}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("settings\n got %+v %+v\nwant %+v %+v", got, got.Auth, want, want.Auth)
	}
	bare := cfg.Endpoint("bare").Settings.(*Config)
	if !reflect.DeepEqual(bare, &Config{Listen: "[::]:20001", MTU: 1500, Coalesce: time.Millisecond}) {
		t.Fatalf("defaults: %+v", bare)
	}
	tr := got.Traits()
	if tr.Trust != config.TrustRemote || !tr.Reads() || !tr.Writes() || tr.Interface != "" ||
		tr.Carries != config.CarriesCAN|config.CarriesCANFD|config.CarriesPDUs|config.CarriesEthernet {
		t.Fatalf("traits %+v", tr)
	}
	if b := bare.Binds(); len(b) != 1 || b[0] != (config.Bind{Space: "udp", Addr: "[::]:20001"}) {
		t.Fatalf("binds %v", b)
	}
	if k, ok := endpoint.Lookup("udp"); !ok || k.Reports != endpoint.ReportsSeqGaps {
		t.Fatalf("registration %v %+v", ok, k)
	}

	for _, tc := range []struct{ yaml, want string }{
		{`
endpoints:
  link:
    kind: udp
    listen: "0.0.0.0:20000"
    mtu: 100
routes: []
`, "t.yaml:6:10: endpoints.link.mtu: "},
		{`
endpoints:
  link: {kind: udp, auth: {provider: go}}
routes: []
`, "t.yaml:3:3: endpoints.link.listen: missing field (hint: host:port, e.g. 0.0.0.0:20000)\n" +
			"t.yaml:3:27: endpoints.link.auth.key_file: missing field (hint: a file with 32 random bytes (hex or raw), mode 0600)"},
		{`
endpoints:
  a: {kind: udp, listen: "0.0.0.0:20000"}
  b: {kind: udp, listen: "127.0.0.1:20000"}
routes: []
`, "t.yaml:4:3: endpoints.b: binds udp 127.0.0.1:20000, which a (t.yaml:3:3) already binds"},
		{`
endpoints:
  a: {kind: udp, listen: "0.0.0.0:20000", flush: 5ms, coalesce: 2ms}
routes: []
`, "t.yaml:3:65: endpoints.a.coalesce: coalesce applies with flush: 0 only (flush is 5ms) (hint: remove coalesce, or set flush: 0)"},
		{`
endpoints:
  a: {kind: udp, listen: "0.0.0.0:20000", coalesce: 1s}
routes: []
`, "t.yaml:3:53: endpoints.a.coalesce: "},
	} {
		_, err := config.Parse("t.yaml", []byte(tc.yaml))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("error\n got %v\nwant %s…", err, tc.want)
		}
	}
}

// TestUDPPDU sends a 4095-byte ISO-TP PDU and CAN frames over an
// authenticated UDP link between two endpoints and checks every byte.
func TestUDPPDU(t *testing.T) {
	pa, pb := gatewaytest.FreePort(t, "udp"), gatewaytest.FreePort(t, "udp")
	dir := t.TempDir()
	key := filepath.Join(dir, "psk")
	os.WriteFile(key, []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	mk := func(listen, peer int) *udpConn {
		cfg, err := config.Parse("t.yaml", []byte(fmt.Sprintf(`
endpoints:
  u: {kind: udp, listen: "127.0.0.1:%d", peer: "127.0.0.1:%d", auth: {key_file: %q}}
routes: []
`, listen, peer, key)))
		if err != nil {
			t.Fatal(err)
		}
		c, err := open(context.Background(), cfg.Endpoints[0], testEnv())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c.(*udpConn)
	}
	a, b := mk(pa, pb), mk(pb, pa)
	got := make(chan frame.Frame, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.Receive(ctx, func(fs []frame.Frame) {
		for i := range fs {
			got <- fs[i]
		}
	})
	fs := make([]frame.Frame, 3)
	fs[0] = frame.Frame{Type: frame.CAN, ID: 0x123, Len: 2, Data: [frame.MaxData]byte{1, 2}}
	fs[1] = frame.Frame{Type: frame.ISOTP, ID: 0x7E0, Len: 4095}
	for i := range 4095 {
		fs[1].Data[i] = byte(i * 7)
	}
	fs[2] = frame.Frame{Type: frame.CANFD, ID: 0x456, Len: 12, Flags: frame.CANFDBRS}
	if n, err := a.Send(ctx, fs); n != 3 || err != nil {
		t.Fatalf("send: %d %v", n, err)
	}
	for i := range 3 {
		select {
		case f := <-got:
			if f.Type != fs[i].Type || f.ID != fs[i].ID || f.Len != fs[i].Len || f.Flags != fs[i].Flags || string(f.Payload()) != string(fs[i].Payload()) {
				t.Fatalf("frame %d: got %v %x len %d", i, f.Type, f.ID, f.Len)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("frame %d not received", i)
		}
	}
	if b.env.Stats.SeqGaps.Load() != 0 || b.env.Stats.Drops.Total() != 0 {
		t.Fatalf("gaps %d drops %v", b.env.Stats.SeqGaps.Load(), b.env.Stats.Drops.Snapshot())
	}
	// A replayed datagram is refused and counted.
	var raw [65536]byte
	a.mu.Lock()
	plain := cannelloni.AppendHeader(nil, 9, 1)
	plain = frame.AppendCannelloni(plain, &fs[0])
	sealed := a.auth.seal(raw[:0], plain)
	a.mu.Unlock()
	conn, _ := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", pb))
	conn.Write(sealed)
	conn.Write(sealed)
	conn.Write([]byte("garbage that is not authenticated"))
	<-got
	waitFor(t, "auth drops", func() bool { return b.env.Stats.Drops.Load(endpoint.ReasonAuth) == 2 })
	// Loose key file permissions are refused.
	os.Chmod(key, 0o644)
	if _, err := readKeyFile(key); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("loose key accepted: %v", err)
	}
}
