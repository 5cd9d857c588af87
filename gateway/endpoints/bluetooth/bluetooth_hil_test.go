//go:build hil

package bluetooth_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	bt "github.com/fieldgate/fieldgate/bluetooth"
	"github.com/fieldgate/fieldgate/core"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoints/bluetooth"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
	"github.com/fieldgate/fieldgate/internal/peer"
)

// pythonPeer connects from adapter argv[3] to the gateway at argv[4]
// (channel or PSM argv[5]) with a socket of type argv[1] and protocol
// argv[2]; with argv[6] == "1" (L2CAP) it first offers the smallest MTU,
// 48, so that the gateway must cut what it sends into messages that small.
// It completes the CANNELLONIv1 handshake, sends three cannelloni frames
// (0x123, 0x1ABCDEF0, and 0x555, which the gateway's allow list keeps off
// the bus), then prints the first frame the gateway sends it, whole, and
// the largest message it read. If the gateway closes the connection it
// prints "closed".
const pythonPeer = `
import socket, struct, sys
typ, proto, local, remote, port, small = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5], 0), sys.argv[6] == "1"
s = socket.socket(socket.AF_BLUETOOTH, getattr(socket, typ), getattr(socket, proto))
s.bind((local, 0))
if small:
    # SOL_L2CAP (6), L2CAP_OPTIONS (1): omtu, imtu, flush_to, mode, fcs, max_tx, txwin
    o = list(struct.unpack("=HHHBBBxH", s.getsockopt(6, 1, 12)))
    o[1] = 48
    s.setsockopt(6, 1, struct.pack("=HHHBBBxH", *o))
try:
    s.connect((remote, port))
except OSError as e:
    # The gateway closed the connection as the kernel completed it.
    print("closed", e.errno)
    sys.exit(0)
print("connected")
buf, biggest = b"", 0
def recvn(n):
    global buf, biggest
    while len(buf) < n:
        try:
            m = s.recv(65536)
        except OSError:
            m = b""
        if not m:
            print("closed")
            sys.exit(0)
        biggest = max(biggest, len(m))
        buf += m
    out, buf = buf[:n], buf[n:]
    return out
try:
    s.sendall(b"CANNELLONIv1")
except OSError:
    print("closed")
    sys.exit(0)
print("handshake", recvn(12).decode())
s.sendall(struct.pack(">IB", 0x123, 4) + bytes.fromhex("deadbeef") +
          struct.pack(">IB", 0x80000000 | 0x1ABCDEF0, 8) + bytes(range(1, 9)) +
          struct.pack(">IB", 0x555, 1) + b"\x55")
print("sent")
h = recvn(5)
rest = recvn(1 + (h[4] & 0x7f)) if h[4] & 0x80 else recvn(h[4])
print("frame", (h + rest).hex(), biggest)
sys.stdin.readline()
s.close()
`

// fdData is the 64-byte payload of the CAN FD frame sent to the L2CAP
// peer: longer than the 48-byte MTU it offers.
var fdData = func() string {
	var b strings.Builder
	for i := range 64 {
		fmt.Fprintf(&b, "%02x", i*3+1)
	}
	return b.String()
}()

// TestHILPythonPeer: Python's Bluetooth socket on controller b connects to
// the gateway's rfcomm (or l2cap) server on controller a, whose peers list
// names b. Python's frames reach vcan1 byte for byte, except the one the
// route's allow list does not name (counted not_allowed); a frame from
// vcan0 reaches Python byte for byte (over L2CAP a 64-byte CAN FD frame,
// which the gateway cuts into messages of Python's 48-byte MTU). Then a
// server whose peers list does not name b refuses Python: the connection
// is closed before the handshake, counted as an allow_peers rejection and
// an auth drop, and no peer is ever counted connected.
func TestHILPythonPeer(t *testing.T) {
	a, b := controllers(t)
	for i, k := range kinds {
		t.Run(k.kind, func(t *testing.T) {
			p := port(k.kind, i)
			g := gatewaytest.Start(t, "gw", fmt.Sprintf(`
endpoints:
  bus0: {kind: can, interface: vcan0, fd: true}
  bus1: {kind: can, interface: vcan1}
  link: {kind: %s, address: "%s", %s, peers: ["%s"]}
routes:
  - {name: in, from: [link], to: [bus1], allow: [123, 1ABCDEF0]}
  - {name: out, from: [bus0], to: [link]}
`, k.kind, a.BDAddr, k.addr(p), b.BDAddr))
			dump := peer.Start(t, "candump", "-L", "-n", "2", "vcan1")
			small := "0"
			if k.kind == "l2cap" {
				small = "1"
			}
			py := peer.StartPython(t, pythonPeer, k.sockType, k.proto, b.BDAddr.String(), a.BDAddr.String(), strconv.Itoa(p), small)
			py.Expect(t, "connected", 60*time.Second)
			if s := py.Line(t, 30*time.Second); s != "handshake CANNELLONIv1" {
				t.Fatalf("python: %q", s)
			}
			if s := py.Line(t, 30*time.Second); s != "sent" {
				t.Fatalf("python: %q", s)
			}
			if got, want := strings.Join(gatewaytest.CandumpFrames(t, dump, 2), " "), "123#DEADBEEF 1ABCDEF0#0102030405060708"; got != want {
				t.Fatalf("vcan1 got %s, want %s", got, want)
			}
			gatewaytest.WaitFor(t, 20*time.Second, "the peer and the refused frame to be counted", func() bool {
				return g.Endpoint("link").Peers == 1 && g.Drops()["link/not_allowed"]+g.Drops()["bus1/not_allowed"] == 1
			})

			var want string
			if k.kind == "l2cap" {
				peer.Run(t, "cansend", "vcan0", "456##1"+fdData)
				// cannelloni FD record: ID, 0x80|64, flags (BRS, and the
				// kernel's FDF bit), 64 data bytes.
				want = "00000456c0"
			} else {
				peer.Run(t, "cansend", "vcan0", "456#0102030405060708")
				want = "00000456080102030405060708"
			}
			f := py.Fields(t, "frame", 30*time.Second)
			if len(f) != 2 {
				t.Fatalf("python: frame %q", f)
			}
			if k.kind == "l2cap" {
				// The 70-byte record came in messages of at most 48 bytes.
				if !strings.HasPrefix(f[0], want) || len(f[0]) != 2*70 || f[0][12:] != fdData || (f[0][10:12] != "01" && f[0][10:12] != "05") || f[1] != "48" {
					t.Fatalf("python got %s in messages of up to %s bytes; want %s, flags 01 or 05, %s, in messages of 48", f[0], f[1], want, fdData)
				}
			} else if f[0] != want {
				t.Fatalf("python got %s, want %s", f[0], want)
			}
			gatewaytest.WaitFor(t, 10*time.Second, "the counters", func() bool { return g.Endpoint("link").FramesOut == 1 })
			if l, b1 := g.Endpoint("link"), g.Endpoint("bus1"); l.FramesIn != 3 || b1.FramesOut != 2 || l.Connects != 1 {
				t.Errorf("link in %d out %d connects %d, bus1 out %d; want 3, 1, 1, 2", l.FramesIn, l.FramesOut, l.Connects, b1.FramesOut)
			}
			if d := g.Drops(); len(d) != 1 {
				t.Errorf("drops %v, want only the one not_allowed", d)
			}
			fmt.Fprintln(py.In())
			py.Wait()
			gatewaytest.WaitFor(t, 10*time.Second, "python's disconnect", func() bool { return g.Endpoint("link").Peers == 0 })
			g.Stop()

			// A server whose peers list names another device.
			other := core.BDAddr{0x00, 0x1A, 0x7D, 0xDA, 0x71, 0x13}
			g = gatewaytest.Start(t, "refusing", fmt.Sprintf(`
endpoints:
  bus1: {kind: can, interface: vcan1}
  link: {kind: %s, address: "%s", %s, peers: ["%s"]}
routes:
  - {name: in, from: [link], to: [bus1], allow: [any]}
`, k.kind, a.BDAddr, k.addr(p), other))
			py = peer.StartPython(t, pythonPeer, k.sockType, k.proto, b.BDAddr.String(), a.BDAddr.String(), strconv.Itoa(p), "0")
			py.Expect(t, "closed", 60*time.Second)
			gatewaytest.WaitFor(t, 10*time.Second, "the refusal to be counted", func() bool {
				return g.Endpoint("link").Rejected["allow_peers"] == 1 && g.Endpoint("link").Dropped["auth"] == 1
			})
			if l := g.Endpoint("link"); l.Dropped["auth"] != 1 || l.Connects != 0 || l.Peers != 0 || l.FramesIn != 0 {
				t.Errorf("refused peer: drops %v, connects %d, peers %d, frames in %d; want auth 1 and nothing else", l.Dropped, l.Connects, l.Peers, l.FramesIn)
			}
			// The refusal is counted before it is logged: wait for the line.
			gatewaytest.WaitFor(t, 10*time.Second, "the refusal to be logged with the device", func() bool {
				return strings.Contains(g.Logs.String(), "device "+b.BDAddr.String()+" is not in peers")
			})
			t.Logf("%s: allowed peer %v exchanged frames byte for byte; peer refused by peers: [%v] and counted", k.kind, b.BDAddr, other)
		})
	}
}

// TestHILBridge: vcan0 → can → rfcomm (l2cap) client on controller b →
// server on controller a → can → vcan1, two gateways in this process.
// 200 frames from cangen (11- and 29-bit) arrive byte-exact and in order,
// every counter agrees; when the server gateway stops the client notices,
// and it reconnects to a new one.
func TestHILBridge(t *testing.T) {
	a, b := controllers(t)
	for i, k := range kinds {
		t.Run(k.kind, func(t *testing.T) {
			p := port(k.kind, i+4)
			server := fmt.Sprintf(`
endpoints:
  link: {kind: %s, address: "%s", %s, peers: ["%s"], security: low}
  bus: {kind: can, interface: vcan1}
routes:
  - {name: down, from: [link], to: [bus], allow: [any]}
`, k.kind, a.BDAddr, k.addr(p), b.BDAddr)
			s := gatewaytest.Start(t, "server", server)
			c := gatewaytest.Start(t, "client", fmt.Sprintf(`
endpoints:
  bus: {kind: can, interface: vcan0}
  link: {kind: %s, mode: client, address: "%s", local: "%s", %s, reconnect: {min: 50ms, max: 500ms}}
routes:
  - {name: up, from: [bus], to: [link]}
`, k.kind, a.BDAddr, b.BDAddr, k.addr(p)))
			gatewaytest.WaitFor(t, 30*time.Second, "the client to connect", func() bool {
				return c.Endpoint("link").Peers == 1 && s.Endpoint("link").Peers == 1
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
			// The client counts a frame out once its write returned, which
			// may be after the server forwarded it.
			gatewaytest.WaitFor(t, 10*time.Second, "the counters", func() bool {
				return s.Endpoint("bus").FramesOut == n && c.Endpoint("link").FramesOut == n
			})
			if ci, co, si, so := c.Endpoint("bus").FramesIn, c.Endpoint("link").FramesOut, s.Endpoint("link").FramesIn, s.Endpoint("bus").FramesOut; ci != n || co != n || si != n || so != n {
				t.Errorf("frames: client bus in %d, client link out %d, server link in %d, server bus out %d; want %d each", ci, co, si, so, n)
			}
			for _, g := range []*gatewaytest.Gateway{c, s} {
				if d := g.Drops(); len(d) != 0 {
					t.Errorf("%s drops %v", g.Name, d)
				}
			}

			s.Stop()
			gatewaytest.WaitFor(t, 20*time.Second, "the client to notice", func() bool { return c.Endpoint("link").Peers == 0 })
			s = gatewaytest.Start(t, "server2", server)
			gatewaytest.WaitFor(t, 30*time.Second, "the client to reconnect", func() bool {
				return c.Endpoint("link").Peers == 1 && s.Endpoint("link").Peers == 1
			})
			out = peer.Start(t, "candump", "-L", "-n", "1", "vcan1")
			time.Sleep(300 * time.Millisecond)
			peer.Run(t, "cansend", "vcan0", "7A5#C0FFEE")
			if f := gatewaytest.CandumpFrames(t, out, 1); f[0] != "7A5#C0FFEE" {
				t.Fatalf("after the reconnect vcan1 got %s, want 7A5#C0FFEE", f[0])
			}
			if cc := c.Endpoint("link").Connects; cc != 2 {
				t.Errorf("client connects %d, want 2", cc)
			}
			t.Logf("%s: %d frames vcan0 → %v → %v → vcan1 byte-exact; reconnected after a server restart", k.kind, n, b.BDAddr, a.BDAddr)
		})
	}
}

// TestHILSecurityLevel: the security setting reaches the kernel: a server
// of each level listens with that BT_SECURITY level on its socket, which
// the kernel gives every connection it accepts (and it refuses a link that
// does not reach it). btvirt's controllers pair with nobody here (no
// bluetoothd agent), so connections above low are not tried. The kernel's
// RFCOMM sockets take low to high; L2CAP ones fips too.
func TestHILSecurityLevel(t *testing.T) {
	a, _ := controllers(t)
	levels := []struct {
		name  string
		level bt.SecurityLevel
	}{{"low", bt.SecurityLow}, {"medium", bt.SecurityMedium}, {"high", bt.SecurityHigh}, {"fips", bt.SecurityFIPS}}
	for i, k := range kinds {
		for j, lvl := range levels {
			if k.kind == "rfcomm" && lvl.level == bt.SecurityFIPS {
				continue
			}
			ln := listenFor(t, k.kind, fmt.Sprintf("address: \"%s\", %s, security: %s", a.BDAddr, k.addr(port(k.kind, 8+4*i+j)), lvl.name))
			sec, err := bt.GetSecurity(ln.Socket())
			ln.Close()
			if err != nil || sec.Level != lvl.level {
				t.Errorf("%s security: %s: listener has level %d (%v), want %d", k.kind, lvl.name, sec.Level, err, lvl.level)
			}
		}
	}
}

// listenFor opens the listener of a server of kind with the given fields,
// decoded from its configuration.
func listenFor(t *testing.T, kind, fields string) *bt.Listener {
	t.Helper()
	cfg, err := config.Parse("sec.yaml", []byte(fmt.Sprintf(`admin: {listen: ""}
endpoints:
  link: {kind: %s, %s}
  bus: {kind: can, interface: vcan1}
routes:
  - {name: r, from: [link], to: [bus], allow: [any]}
`, kind, fields)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := bluetooth.Listen(cfg.Endpoint("link").Settings.(*bluetooth.Config))
	if err != nil {
		t.Fatalf("%s %s: %v", kind, fields, err)
	}
	return bluetooth.BTListener(ln)
}

// cpuTime returns the user and system CPU time of this process.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// guestBusy returns the CPU time all CPUs of the machine spent not idle
// (user, nice, system, irq, softirq, steal), from /proc/stat.
func guestBusy(t *testing.T) time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0]) // cpu user nice system idle iowait irq softirq steal
	var busy int
	for i, v := range f[1:9] {
		if i == 3 || i == 4 {
			continue // idle, iowait
		}
		n, _ := strconv.Atoi(v)
		busy += n
	}
	return time.Duration(busy) * 10 * time.Millisecond
}

// procCPU returns the user and system CPU time of process pid, from
// /proc/pid/stat (in clock ticks of 10 ms).
func procCPU(t *testing.T, pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// TestHILThroughput compares rfcomm with the tcp stream endpoint in one
// run. A burst of 5000 classic 8-byte frames from cangen (unpaced) goes
// vcan0 → client gateway → link → server gateway → vcan1, both gateways in
// this process, over RFCOMM between controllers b and a, or over TCP on
// 127.0.0.1; the link's queue applies backpressure (the burst waits in the
// queue and the CAN socket's buffer instead of being dropped), so the link
// runs saturated, with full batches. Five rounds alternate the two links
// (the host is shared: a round of one next to a round of the other is the
// fair comparison). Every frame must arrive and nothing be dropped; the
// test logs each round's rate, this process's CPU time per frame (both
// gateways, and the kernel work done in their system calls), btvirt's (the
// controllers' emulator, which carries every RFCOMM byte through user
// space, as a real controller's firmware would), and the whole guest's busy
// CPU time per frame (everything: cangen, candump, kernel workers, btvirt),
// the figure to compare: the Bluetooth stack does much of its work in
// kernel workers that no process is charged for.
func TestHILThroughput(t *testing.T) {
	a, b := controllers(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcpAddr := ln.Addr().String()
	ln.Close()
	const n, rounds = 5000, 5
	type result struct {
		wall, cpu, emu, busy time.Duration
	}
	links := []struct{ name, server, client string }{
		{"rfcomm", fmt.Sprintf(`{kind: rfcomm, address: "%s", channel: 26}`, a.BDAddr),
			fmt.Sprintf(`{kind: rfcomm, mode: client, address: "%s", local: "%s", channel: 26, queue: {size: 8192, overflow: backpressure}}`, a.BDAddr, b.BDAddr)},
		{"tcp", fmt.Sprintf(`{kind: tcp, listen: "%s"}`, tcpAddr), fmt.Sprintf(`{kind: tcp, mode: client, peer: "%s", queue: {size: 8192, overflow: backpressure}}`, tcpAddr)},
	}
	results := map[string][]result{}
	for round := range rounds {
		for _, link := range links {
			s := gatewaytest.Start(t, link.name+"-server", fmt.Sprintf(`
endpoints:
  link: %s
  bus: {kind: can, interface: vcan1}
routes:
  - {name: down, from: [link], to: [bus], allow: [any]}
`, link.server))
			c := gatewaytest.Start(t, link.name+"-client", fmt.Sprintf(`
endpoints:
  bus: {kind: can, interface: vcan0}
  link: %s
routes:
  - {name: up, from: [bus], to: [link]}
`, link.client))
			gatewaytest.WaitFor(t, 30*time.Second, link.name+" client to connect", func() bool {
				return c.Endpoint("link").Peers == 1 && s.Endpoint("link").Peers == 1
			})
			dump := peer.Start(t, "candump", "-r", "16000000", "-n", strconv.Itoa(n), "vcan1")
			time.Sleep(500 * time.Millisecond)
			cpu0, emu0, busy0, t0 := cpuTime(t), procCPU(t, rig.cmd.Process.Pid), guestBusy(t), time.Now()
			gen := peer.Start(t, "cangen", "vcan0", "-n", strconv.Itoa(n), "-g", "0", "-L", "8")
			got := dump.Count(n, 180*time.Second)
			wall := time.Since(t0)
			cpu, emu, busy := cpuTime(t)-cpu0, procCPU(t, rig.cmd.Process.Pid)-emu0, guestBusy(t)-busy0
			gen.Wait()
			if got != n {
				t.Fatalf("%s: vcan1 got %d of %d frames; client drops %v, server drops %v", link.name, got, n, c.Drops(), s.Drops())
			}
			for _, g := range []*gatewaytest.Gateway{c, s} {
				if d := g.Drops(); len(d) != 0 {
					t.Errorf("%s drops %v", g.Name, d)
				}
			}
			results[link.name] = append(results[link.name], result{wall, cpu, emu, busy})
			t.Logf("round %d %s: %d frames in %v (%.0f frames/s); gateways' CPU %v = %.0f µs/frame; btvirt CPU %v = %.0f µs/frame; guest busy %v = %.0f µs/frame",
				round, link.name, n, wall.Round(time.Millisecond), n/wall.Seconds(), cpu.Round(time.Millisecond), float64(cpu.Microseconds())/n,
				emu, float64(emu.Microseconds())/n, busy, float64(busy.Microseconds())/n)
			c.Stop()
			s.Stop()
		}
	}
	var rate, busy []float64
	for i := range rounds {
		r, p := results["rfcomm"][i], results["tcp"][i]
		rate = append(rate, p.wall.Seconds()/r.wall.Seconds())
		busy = append(busy, float64(r.busy)/float64(p.busy))
	}
	slices.Sort(rate)
	slices.Sort(busy)
	t.Logf("rfcomm/tcp over %d rounds: frame rate %.2f (%.2f–%.2f), guest busy CPU per frame %.2f (%.2f–%.2f) (medians, ranges)",
		rounds, rate[rounds/2], rate[0], rate[rounds-1], busy[rounds/2], busy[0], busy[rounds-1])
}
