//go:build hil

package gateway

import (
	"context"
	"strconv"
	"testing"

	"github.com/fieldgate/fieldgate/internal/peer"
)

// TestHILHostileDatagramsMidTraffic: while cangen's frames cross vcan0 →
// udp → vcan1, a Python process (Debian's /usr/bin/python3) sprays B's UDP
// port with datagrams that are not cannelloni (wrong version, truncated
// headers, random bytes). Every frame still arrives, nothing is injected,
// and B counts each hostile datagram exactly once as malformed.
func TestHILHostileDatagramsMidTraffic(t *testing.T) {
	a := startGW(t, 9240, `
endpoints:
  bus: {kind: can, interface: vcan0}
  link: {kind: udp, listen: "127.0.0.1:21090", peer: "127.0.0.1:21091"}
routes:
  - {name: up, from: [bus], to: [link]}
`)
	b := startGW(t, 9241, `
endpoints:
  bus: {kind: can, interface: vcan1}
  link: {kind: udp, listen: "127.0.0.1:21091", peer: "127.0.0.1:21090"}
routes:
  - {name: down, from: [link], to: [bus], allow: ["000:000"]}
`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := recvCounter(t, ctx, "vcan1")
	const n, hostile = 2000, 500
	gen := peer.Start(t, "cangen", "vcan0", "-n", strconv.Itoa(n), "-g", "1", "-I", "i", "-L", "8", "-D", "i")
	// 500 datagrams: every first byte but cannelloni's version 2, or
	// fewer than the 5 header bytes, with random lengths and contents.
	spray := peer.StartPython(t, `
import random, socket, time
r = random.Random(7)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(`+strconv.Itoa(hostile)+`):
    if i % 5 == 0:
        d = bytes([2]) + bytes(r.randrange(256) for _ in range(r.randrange(4)))
    else:
        v = r.choice([0, 1, 3, 0x47, 0xff])
        d = bytes([v]) + bytes(r.randrange(256) for _ in range(r.randrange(1, 300)))
    s.sendto(d, ("127.0.0.1", 21091))
    time.sleep(0.002)
print("sent", flush=True)
`)
	spray.Wait()
	gen.Wait()
	sa, sb := a.settle(t), b.settle(t)
	malformed := sb.endpoint("link").Dropped["malformed"]
	drops := sa.dropped() + sb.dropped() - malformed
	t.Logf("sent %d, received %d, frame drops %d, hostile datagrams %d, counted malformed %d", n, got.Load(), drops, hostile, malformed)
	if got.Load()+int64(drops) != n {
		t.Fatalf("sent %d != received %d + dropped %d", n, got.Load(), drops)
	}
	if malformed != hostile {
		t.Fatalf("malformed = %d, want exactly %d", malformed, hostile)
	}
	if out := sb.endpoint("bus").FramesOut; out != uint64(got.Load()) {
		t.Fatalf("B wrote %d frames, vcan1 saw %d: something was injected or lost", out, got.Load())
	}
}
