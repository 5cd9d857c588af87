//go:build hil

package tipc_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	_ "github.com/fieldgate/fieldgate/gateway/endpoints/can"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
	"github.com/fieldgate/fieldgate/internal/peer"
	tp "github.com/fieldgate/fieldgate/tipc"
)

// The rig's kernel has TIPC (module tipc) and no bearer: one node, on
// which publications of either scope, the name table and connections all
// work. The peers are cangen/candump/cansend on vcan0 and vcan1, Debian's
// /usr/bin/python3 socket module (AF_TIPC) and iproute2's tipc(8).

// nameTableRow returns tipc(8)'s name table row for a service type:
// Type Lower Upper Scope Port Node.
func nameTableRow(t *testing.T, typ uint32) []string {
	t.Helper()
	out, err := exec.Command("tipc", "nametable", "show").CombinedOutput()
	if err != nil {
		t.Fatalf("tipc nametable show: %v %s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == strconv.FormatUint(uint64(typ), 10) {
			return f
		}
	}
	return nil
}

// TestHILTIPCBridge: vcan0 → can endpoint → tipc client → tipc server →
// can endpoint → vcan1, two gateways in this process that know each
// other only by service name. 200 frames from cangen (11- and 29-bit)
// arrive byte-exact and in order on vcan1, every counter agrees, and
// after the server gateway restarts the client finds it again by name.
func TestHILTIPCBridge(t *testing.T) {
	for _, tc := range []struct {
		name, socket, scope, publish string
		typ, instance                uint32
		row                          []string // name table Type Lower Upper Scope
	}{
		{"stream", "stream", "cluster", "instance: 17", 18888, 17, []string{"18888", "17", "17", "cluster"}},
		{"seqpacket-range", "seqpacket", "node", "lower: 10, upper: 20", 18890, 15, []string{"18890", "10", "20", "node"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			server := fmt.Sprintf(`
endpoints:
  link: {kind: tipc, mode: server, service: {type: %d, %s}, scope: %s, socket: %s}
  bus: {kind: can, interface: vcan1}
routes:
  - {name: down, from: [link], to: [bus], allow: [any]}
`, tc.typ, tc.publish, tc.scope, tc.socket)
			b := gatewaytest.Start(t, "server", server)
			if row := nameTableRow(t, tc.typ); len(row) < 4 || !slicesEqual(row[:4], tc.row) {
				t.Fatalf("name table row %q, want %q", row, tc.row)
			}
			a := gatewaytest.Start(t, "client", fmt.Sprintf(`
endpoints:
  bus: {kind: can, interface: vcan0}
  link: {kind: tipc, mode: client, service: {type: %d, instance: %d}, socket: %s, reconnect: {min: 20ms, max: 200ms}}
routes:
  - {name: up, from: [bus], to: [link]}
`, tc.typ, tc.instance, tc.socket))
			gatewaytest.WaitFor(t, 20*time.Second, "the client to connect", func() bool {
				return a.Endpoint("link").Peers == 1 && b.Endpoint("link").Peers == 1
			})

			const n = 200
			in := peer.Start(t, "candump", "-L", "-n", strconv.Itoa(n), "vcan0")
			out := peer.Start(t, "candump", "-L", "-n", strconv.Itoa(n), "vcan1")
			time.Sleep(300 * time.Millisecond)
			peer.Run(t, "cangen", "vcan0", "-n", strconv.Itoa(n/2), "-g", "1")
			peer.Run(t, "cangen", "vcan0", "-n", strconv.Itoa(n/2), "-g", "1", "-e")
			sent, got := gatewaytest.CandumpFrames(t, in, n), gatewaytest.CandumpFrames(t, out, n)
			for i := range sent {
				if got[i] != sent[i] {
					t.Fatalf("frame %d: vcan1 got %s, cangen sent %s", i, got[i], sent[i])
				}
			}
			if ext := sent[n-1]; len(strings.SplitN(ext, "#", 2)[0]) != 8 {
				t.Errorf("cangen -e sent %s, not a 29-bit frame", ext)
			}
			// The client counts a frame out once its write returned, which
			// may be after the server forwarded it.
			gatewaytest.WaitFor(t, 10*time.Second, "the counters", func() bool {
				return b.Endpoint("bus").FramesOut == n && a.Endpoint("link").FramesOut == n
			})
			if ai, ao, bi, bo := a.Endpoint("bus").FramesIn, a.Endpoint("link").FramesOut, b.Endpoint("link").FramesIn, b.Endpoint("bus").FramesOut; ai != n || ao != n || bi != n || bo != n {
				t.Errorf("frames: client bus in %d, client link out %d, server link in %d, server bus out %d; want %d each", ai, ao, bi, bo, n)
			}
			a.NoDrops(t)
			b.NoDrops(t)
			t.Logf("%d frames vcan0 → %s %v → vcan1 byte-exact; last %s", n, tc.socket, tc.row, sent[n-1])

			// The server goes away: its service is withdrawn; the client
			// retries by name and reconnects to the new server.
			b.Stop()
			if row := nameTableRow(t, tc.typ); row != nil {
				t.Fatalf("name table still lists %q after the server stopped", row)
			}
			gatewaytest.WaitFor(t, 10*time.Second, "the client to notice", func() bool { return a.Endpoint("link").Peers == 0 })
			b = gatewaytest.Start(t, "server2", server)
			gatewaytest.WaitFor(t, 20*time.Second, "the client to reconnect", func() bool {
				return a.Endpoint("link").Peers == 1 && b.Endpoint("link").Peers == 1
			})
			out = peer.Start(t, "candump", "-L", "-n", "1", "vcan1")
			time.Sleep(300 * time.Millisecond)
			peer.Run(t, "cansend", "vcan0", "7A5#C0FFEE")
			if f := gatewaytest.CandumpFrames(t, out, 1); f[0] != "7A5#C0FFEE" {
				t.Fatalf("after the reconnect vcan1 got %s, want 7A5#C0FFEE", f[0])
			}
			if c := a.Endpoint("link").Peers; c != 1 {
				t.Errorf("client peers %d", c)
			}
		})
	}
}

func slicesEqual(a, b []string) bool { return strings.Join(a, " ") == strings.Join(b, " ") }

// pythonPeer connects to service {type, instance} with a socket of the
// given type (argv), completes the CANNELLONIv1 handshake, sends two
// cannelloni frames (11-bit and 29-bit), then prints the first frame the
// gateway sends it.
const pythonPeer = `
import socket, struct, sys
typ = {"stream": socket.SOCK_STREAM, "seqpacket": socket.SOCK_SEQPACKET}[sys.argv[1]]
s = socket.socket(socket.AF_TIPC, typ)
s.connect((socket.TIPC_ADDR_NAME, int(sys.argv[2]), int(sys.argv[3]), 0))
buf = b""
def recvn(n):
    global buf
    while len(buf) < n:
        m = s.recv(65536)
        if not m:
            raise SystemExit("gateway closed the connection")
        buf += m
    out, buf = buf[:n], buf[n:]
    return out
s.sendall(b"CANNELLONIv1")
print("handshake", recvn(12).decode())
s.sendall(struct.pack(">IB", 0x123, 4) + bytes.fromhex("deadbeef") +
          struct.pack(">IB", 0x80000000 | 0x1ABCDEF0, 8) + bytes(range(1, 9)))
print("sent")
print("frame", recvn(13).hex())
sys.stdin.readline()
s.close()
`

// TestHILTIPCPython: Python's AF_TIPC socket connects to the gateway's
// server by service name, speaks cannelloni's stream framing, and its
// frames appear on vcan0; a frame from vcan0 reaches Python. When the
// gateway stops, its service is gone.
func TestHILTIPCPython(t *testing.T) {
	for _, tc := range []struct {
		socket   string
		instance uint32
	}{{"stream", 18}, {"seqpacket", 19}} {
		t.Run(tc.socket, func(t *testing.T) {
			const typ = 18889
			g := gatewaytest.Start(t, "gw", fmt.Sprintf(`
endpoints:
  bus: {kind: can, interface: vcan0}
  link: {kind: tipc, service: {type: %d, instance: %d}, scope: node, socket: %s}
routes:
  - {name: in, from: [link], to: [bus], allow: [any]}
  - {name: out, from: [bus], to: [link]}
`, typ, tc.instance, tc.socket))
			inst := strconv.FormatUint(uint64(tc.instance), 10)
			if row, want := nameTableRow(t, typ), []string{"18889", inst, inst, "node"}; len(row) < 4 || !slicesEqual(row[:4], want) {
				t.Fatalf("name table row %q, want %q", row, want)
			}
			dump := peer.Start(t, "candump", "-L", "-n", "2", "vcan0")
			time.Sleep(300 * time.Millisecond)
			py := peer.StartPython(t, pythonPeer, tc.socket, strconv.Itoa(typ), inst)
			if s := py.Line(t, 60*time.Second); s != "handshake CANNELLONIv1" {
				t.Fatalf("python: %q", s)
			}
			if s := py.Line(t, 10*time.Second); s != "sent" {
				t.Fatalf("python: %q", s)
			}
			if got, want := strings.Join(gatewaytest.CandumpFrames(t, dump, 2), " "), "123#DEADBEEF 1ABCDEF0#0102030405060708"; got != want {
				t.Fatalf("vcan0 got %s, want %s", got, want)
			}
			gatewaytest.WaitFor(t, 10*time.Second, "the peer to be counted", func() bool { return g.Endpoint("link").Peers == 1 })
			peer.Run(t, "cansend", "vcan0", "456#0102030405060708")
			if s, want := py.Line(t, 30*time.Second), "frame 00000456080102030405060708"; s != want {
				t.Fatalf("python: %q, want %q", s, want)
			}
			// Python may read the frame before the gateway has counted it.
			gatewaytest.WaitFor(t, 10*time.Second, "the counters", func() bool { return g.Endpoint("link").FramesOut == 1 && g.Endpoint("bus").FramesOut == 2 })
			if l, b := g.Endpoint("link"), g.Endpoint("bus"); l.FramesIn != 2 || b.FramesOut != 2 || l.FramesOut != 1 {
				t.Errorf("link in %d out %d, bus out %d; want 2, 1, 2", l.FramesIn, l.FramesOut, b.FramesOut)
			}
			g.NoDrops(t)
			fmt.Fprintln(py.In())
			py.Wait()
			gatewaytest.WaitFor(t, 10*time.Second, "python's disconnect", func() bool { return g.Endpoint("link").Peers == 0 })

			g.Stop()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, err := tp.Dial(ctx, tp.Service{Type: typ, Instance: tc.instance}, nil)
			if err == nil {
				c.Close()
			}
			if !errors.Is(err, unix.EHOSTUNREACH) {
				t.Fatalf("dial after the gateway stopped: %v, want EHOSTUNREACH", err)
			}
		})
	}
}
