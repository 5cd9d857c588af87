//go:build hil

package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// lockedBuffer is a log sink safe for the gateway's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// An authenticated udp endpoint with `provider: auto` seals with what alg's
// crossover picks for its largest datagram: Go's AES-GCM at a 1500-byte
// path MTU, the kernel's (AF_ALG) at 9000, where gcm(aes) is cheaper in
// the kernel (alg.Crossover: from 2 KiB).
func TestHILUDPAuthAutoFollowsMTU(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k")
	if err := os.WriteFile(key, []byte(strings.Repeat("cd", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mtu  int
		want string
	}{{1500, `provider="go `}, {9000, `provider="kernel `}} {
		yaml := fmt.Sprintf(`endpoints:
  bus: {kind: can, interface: vcan0}
  u: {kind: udp, listen: "127.0.0.1:0", peer: "127.0.0.1:29881", mtu: %d, auth: {key_file: %s, provider: auto}}
routes:
  - {from: [bus], to: [u]}
`, tc.mtu, key)
		cfg, err := config.Parse("auto.yaml", []byte(yaml))
		if err != nil {
			t.Fatal(err)
		}
		var logs lockedBuffer
		g := New(slog.New(slog.NewTextHandler(&logs, nil)))
		ctx, cancel := context.WithCancel(context.Background())
		if err := g.Start(ctx, cfg); err != nil {
			cancel()
			t.Fatalf("mtu %d: %v", tc.mtu, err)
		}
		g.Shutdown()
		cancel()
		out := logs.String()
		if !strings.Contains(out, "authenticated UDP") || !strings.Contains(out, tc.want) {
			t.Errorf("mtu %d: want the sealer's log line with %s, got:\n%s", tc.mtu, tc.want, out)
		}
	}
}
