//go:build linux

package udp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

// TestUDPPeerUnreachable: frames sent to a UDP port nobody listens on are
// counted exactly as peer_unreachable from the ICMP errors the kernel queues,
// plain and authenticated, in immediate and timer-flush mode, and none twice.
func TestUDPPeerUnreachable(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "psk")
	os.WriteFile(key, []byte(strings.Repeat("cd", 32)+"\n"), 0o600)
	for _, tc := range []struct{ name, extra string }{
		{"plain", ""},
		{"auth", fmt.Sprintf(", auth: {key_file: %q}", key)},
		{"flush", ", flush: 2ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dead := gatewaytest.FreePort(t, "udp") // closed again: the kernel answers port unreachable
			cfg, err := config.Parse("t.yaml", []byte(fmt.Sprintf(`
endpoints:
  u: {kind: udp, listen: "127.0.0.1:0", peer: "127.0.0.1:%d"%s}
routes: []
`, dead, tc.extra)))
			if err != nil {
				t.Fatal(err)
			}
			e := testEnv()
			c, err := open(context.Background(), cfg.Endpoints[0], e)
			if err != nil {
				t.Fatal(err)
			}
			u := c.(*udpConn)
			defer u.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- u.Receive(ctx, func([]frame.Frame) { t.Error("received a frame from nowhere") }) }()
			fs := make([]frame.Frame, 7)
			for i := range fs {
				fs[i] = frame.Frame{Type: frame.CAN, ID: uint32(0x100 + i), Len: 8}
			}
			fs[3] = frame.Frame{Type: frame.ISOTP, ID: 0x7E0, Len: 300} // its own PDU datagram
			const rounds = 50
			sent := 0
			for range rounds {
				n, err := u.Send(ctx, fs)
				if err != nil {
					t.Fatalf("send: %d %v", n, err)
				}
				sent += n
				time.Sleep(time.Millisecond) // keep fewer than 256 datagrams unanswered
			}
			waitFor(t, "peer_unreachable count", func() bool {
				return e.Stats.Drops.Load(endpoint.ReasonUnreachable) >= uint64(sent)
			})
			time.Sleep(50 * time.Millisecond)
			if got := e.Stats.Drops.Load(endpoint.ReasonUnreachable); got != uint64(sent) {
				t.Fatalf("peer_unreachable = %d, want exactly %d", got, sent)
			}
			if other := e.Stats.Drops.Total() - e.Stats.Drops.Load(endpoint.ReasonUnreachable); other != 0 {
				t.Fatalf("other drops: %v", e.Stats.Drops.Snapshot())
			}
			cancel()
			<-done
		})
	}
}
