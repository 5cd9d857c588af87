//go:build hil

package slcan_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bt "github.com/fieldgate/fieldgate/bluetooth"
	"github.com/fieldgate/fieldgate/bluetooth/bttest"
	"github.com/fieldgate/fieldgate/core"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
	"github.com/fieldgate/fieldgate/internal/peer"
)

// SLCAN over RFCOMM in the rig: bluez-test-tools' btvirt emulates two
// BR/EDR controllers on /dev/vhci that reach each other (as the bluetooth
// kinds' rig tests set them up), so RFCOMM connections between them run
// through the kernel's stack on both sides. The peers are Debian's
// /usr/bin/python3 socket module (AF_BLUETOOTH, BTPROTO_RFCOMM) speaking
// Lawicel lines, and cangen, candump and cansend on vcan0 and vcan1.
// Clients only ever dial a controller that exists: a connect to an
// address nobody answers has panicked this kernel under btvirt.

// btRig is two controllers, found or made once per test binary: a
// carries the gateways' servers, b the peers and clients.
var btRig struct {
	once sync.Once
	log  bytes.Buffer
	a, b bt.DeviceInfo
	err  error
}

// controllers returns controllers a and b (a has the lower index).
func controllers(t *testing.T) (a, b bt.DeviceInfo) {
	t.Helper()
	btRig.once.Do(func() { btRig.err = setupControllers() })
	if btRig.err != nil {
		t.Fatalf("btvirt controllers: %v; btvirt output: %s", btRig.err, btRig.log.String())
	}
	return btRig.a, btRig.b
}

// setupControllers uses two controllers a btvirt of an earlier package's
// tests left in this guest boot (a second btvirt would make controllers
// with the same device addresses), or starts btvirt -l2. btvirt is left
// running: the guest powers off after the tests, and removing controllers
// that still have links has upset this kernel.
func setupControllers() error {
	before, err := bt.Devices()
	if err != nil {
		return err
	}
	var cs []bt.DeviceInfo
	if len(before) >= 2 {
		ids := make([]uint16, 0, len(before))
		for _, d := range before {
			ids = append(ids, d.ID)
		}
		slices.Sort(ids)
		cs, err = bttest.Up(ids[:2])
	} else {
		cs, _, err = bttest.Virtual(2, &btRig.log)
	}
	if err != nil {
		return err
	}
	btRig.a, btRig.b = cs[0], cs[1]
	return nil
}

// quiet waits (up to 20 s) until controllers a and b hold no ACL link
// (the kernel lists each as /sys/class/bluetooth/hciN:HANDLE): the links
// of an earlier test are torn down a few seconds after their last channel
// closes, and a connect made while the RFCOMM session on it is being torn
// down waits for the kernel's 30 s RFCOMM timer. If a link stays, the
// test goes on: its deadlines cover that timer.
func quiet(t *testing.T, a, b bt.DeviceInfo) {
	t.Helper()
	var links []string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		links = links[:0]
		for _, d := range []bt.DeviceInfo{a, b} {
			m, _ := filepath.Glob("/sys/class/bluetooth/" + d.Name + ":*")
			links = append(links, m...)
		}
		if len(links) == 0 {
			return
		}
	}
	t.Logf("ACL links still up after 20s: %v", links)
}

// pythonLawicel connects from adapter argv[1] to channel argv[3] of
// argv[2] over RFCOMM and drives fieldgate as python-can's slcan
// interface drives an adapter, one Lawicel command at a time: it prints
// each command's reply in hex ("reply CMD REPLY"), then the first three
// lines fieldgate sends it ("line LINE", hex), and on a line of its
// stdin closes the channel (C) and the connection. If the connection is
// refused or closed it prints "closed".
const pythonLawicel = `
import socket, sys
local, remote, ch = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_BLUETOOTH, socket.SOCK_STREAM, socket.BTPROTO_RFCOMM)
s.bind((local, 0))
try:
    s.connect((remote, ch))
except OSError as e:
    print("closed", e.errno)
    sys.exit(0)
print("connected")
buf = b""
def line():
    global buf
    while True:
        for i, c in enumerate(buf):
            if c == 13 or c == 7:
                out, buf = buf[:i+1], buf[i+1:]
                return out
        try:
            m = s.recv(4096)
        except OSError:
            m = b""
        if not m:
            print("closed")
            sys.exit(0)
        buf += m
def ask(cmd):
    try:
        s.sendall(cmd)
    except OSError:
        print("closed")
        sys.exit(0)
    print("reply", cmd.hex(), line().hex())
for cmd in sys.argv[4:]:
    ask(cmd.encode() + b"\r")
print("sent")
for _ in range(3):
    print("line", line().hex())
sys.stdin.readline()
ask(b"C\r")
s.close()
print("done")
`

// hexLine is the hex of an SLCAN line as pythonLawicel prints it.
func hexLine(s string) string { return fmt.Sprintf("%x", s) }

// TestHILRFCOMMPython: fieldgate (role: device) serves an RFCOMM channel
// on controller a, with peers naming b; Python's RFCOMM socket on b opens
// it as python-can opens an adapter. Every reply is checked byte by byte
// against the Lawicel command set (a frame before O is refused with BEL
// and counted link_down); the frames Python sends after O reach vcan1
// byte for byte, except the one the route's allow list does not name
// (counted not_allowed); frames from vcan0 reach Python as t/T/r lines,
// byte for byte. Nothing else is dropped.
func TestHILRFCOMMPython(t *testing.T) {
	a, b := controllers(t)
	quiet(t, a, b)
	const ch = 21
	g := gatewaytest.Start(t, "dev", fmt.Sprintf(`
endpoints:
  dev: {kind: slcan, role: device, transport: rfcomm, mode: server, address: "%s", channel: %d, peers: ["%s"], security: low}
  bus0: {kind: can, interface: vcan0}
  bus1: {kind: can, interface: vcan1}
routes:
  - {name: up, from: [dev], to: [bus1], allow: ["123", "1ABCDEF0"]}
  - {name: down, from: [bus0], to: [dev]}
`, a.BDAddr, ch, b.BDAddr))
	onBus := candump(t, "vcan1", 2)
	cmds := []string{"t1232C0FF", "V", "N", "S6", "O", "t1232C0FF", "T1ABCDEF04DEADBEEF", "t555155"}
	replies := []string{"\a", "V1013\r", "NFG01\r", "\r", "\r", "z\r", "Z\r", "z\r"}
	py := peer.StartPython(t, pythonLawicel, append([]string{b.BDAddr.String(), a.BDAddr.String(), strconv.Itoa(ch)}, cmds...)...)
	py.Expect(t, "connected", 90*time.Second)
	for i, cmd := range cmds {
		f := py.Fields(t, "reply", 30*time.Second)
		if len(f) != 2 || f[0] != hexLine(cmd+"\r") || f[1] != hexLine(replies[i]) {
			t.Fatalf("python: reply %q, want %s %s (%q to %q)", f, hexLine(cmd+"\r"), hexLine(replies[i]), replies[i], cmd)
		}
	}
	py.Expect(t, "sent", 30*time.Second)
	if got := strings.Join(gatewaytest.CandumpFrames(t, onBus, 2), " "); got != "123#C0FF 1ABCDEF0#DEADBEEF" {
		t.Fatalf("vcan1 got %s, want 123#C0FF 1ABCDEF0#DEADBEEF", got)
	}
	gatewaytest.WaitFor(t, 20*time.Second, "the peer and the refused frames to be counted", func() bool {
		d := g.Endpoint("dev")
		return d.Peers == 1 && d.Dropped["link_down"] == 1 && d.Dropped["not_allowed"]+g.Endpoint("bus1").Dropped["not_allowed"] == 1
	})

	peer.Run(t, "cansend", "vcan0", "456#0102030405060708")
	peer.Run(t, "cansend", "vcan0", "000007A5#C0FFEE")
	peer.Run(t, "cansend", "vcan0", "100#R2")
	for _, want := range []string{"t45680102030405060708\r", "T000007A53C0FFEE\r", "r1002\r"} {
		if f := py.Fields(t, "line", 30*time.Second); len(f) != 1 || f[0] != hexLine(want) {
			t.Fatalf("python got line %q, want %s (%q)", f, hexLine(want), want)
		}
	}
	fmt.Fprintln(py.In())
	if f := py.Fields(t, "reply", 30*time.Second); len(f) != 2 || f[1] != hexLine("\r") {
		t.Fatalf("python: C: %q", f)
	}
	py.Expect(t, "done", 30*time.Second)
	gatewaytest.WaitFor(t, 20*time.Second, "python's disconnect and the counters", func() bool {
		return g.Endpoint("dev").Peers == 0 && g.Endpoint("dev").FramesOut == 3 && g.Endpoint("bus1").FramesOut == 2
	})
	d := g.Endpoint("dev")
	if d.FramesIn != 3 || d.Connects != 1 || d.Dropped["malformed"] != 0 {
		t.Errorf("dev: frames in %d (want 3: two allowed, one not), connects %d, drops %v", d.FramesIn, d.Connects, d.Dropped)
	}
	var drops []string
	for _, e := range g.Status().Endpoints {
		for r, n := range e.Dropped {
			if n != 0 {
				drops = append(drops, fmt.Sprintf("%s/%s=%d", e.Name, r, n))
			}
		}
	}
	slices.Sort(drops)
	if j := strings.Join(drops, " "); j != "dev/link_down=1 dev/not_allowed=1" && j != "bus1/not_allowed=1 dev/link_down=1" {
		t.Errorf("drops %s, want only the frame before O (link_down) and the one allow refused (not_allowed)", j)
	}
}

// TestHILRFCOMMRefused: a device server whose peers list names another
// device refuses Python on b: the connection is closed before anything
// is served, counted as an allow_peers rejection and an auth drop, logged
// with the device's address, and no peer is ever counted connected.
//
// The gateway counts the refusal at once; Python's connect, when it has
// not completed before the gateway closes the channel (the usual case
// once the controllers have been linked before), returns ECONNRESET only
// when the kernel's 30 s RFCOMM connect timer expires, so its deadline is
// long.
func TestHILRFCOMMRefused(t *testing.T) {
	a, b := controllers(t)
	quiet(t, a, b)
	const ch = 22
	other := core.BDAddr{0x00, 0x1A, 0x7D, 0xDA, 0x71, 0x13}
	g := gatewaytest.Start(t, "refusing", fmt.Sprintf(`
endpoints:
  dev: {kind: slcan, role: device, transport: rfcomm, mode: server, address: "%s", channel: %d, peers: ["%s"]}
  bus1: {kind: can, interface: vcan1}
routes:
  - {name: up, from: [dev], to: [bus1], allow: [any]}
`, a.BDAddr, ch, other))
	py := peer.StartPython(t, pythonLawicel, b.BDAddr.String(), a.BDAddr.String(), strconv.Itoa(ch), "V", "O", "t1232C0FF")
	start := time.Now()
	line := py.ExpectPrefix(t, "closed", 90*time.Second)
	t.Logf("python: %q after %v; counted: %v", line, time.Since(start), g.Endpoint("dev").Rejected)
	gatewaytest.WaitFor(t, 60*time.Second, "the refusal to be counted", func() bool {
		return g.Endpoint("dev").Rejected["allow_peers"] == 1 && g.Endpoint("dev").Dropped["auth"] == 1
	})
	if d := g.Endpoint("dev"); d.Connects != 0 || d.Peers != 0 || d.FramesIn != 0 || gatewayDrops(d.Dropped) != 1 || len(d.Rejected) != 1 {
		t.Errorf("refused peer: drops %v, rejected %v, connects %d, peers %d, frames in %d; want auth 1, allow_peers 1 and nothing else",
			d.Dropped, d.Rejected, d.Connects, d.Peers, d.FramesIn)
	}
	// The refusal is counted before it is logged: wait for the line.
	gatewaytest.WaitFor(t, 10*time.Second, "the refusal to be logged with the device", func() bool {
		return strings.Contains(g.Logs.String(), "device "+b.BDAddr.String()+" is not in peers")
	})
}

// gatewayDrops sums a drop map.
func gatewayDrops(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}

// TestHILRFCOMMBridge: vcan0 → slcan host over an RFCOMM client on
// controller b → slcan device server on controller a → vcan1, two
// gateways in this process. 200 frames from cangen (11- and 29-bit)
// arrive byte-exact and in order, every counter agrees; when the server
// gateway stops the host notices, and it opens a new one again (the open
// sequence over a new connection) and frames cross again.
func TestHILRFCOMMBridge(t *testing.T) {
	a, b := controllers(t)
	quiet(t, a, b)
	const ch = 23
	server := fmt.Sprintf(`
endpoints:
  dev: {kind: slcan, role: device, transport: rfcomm, mode: server, address: "%s", channel: %d, peers: ["%s"]}
  bus: {kind: can, interface: vcan1}
routes:
  - {name: down, from: [dev], to: [bus], allow: [any]}
`, a.BDAddr, ch, b.BDAddr)
	s := gatewaytest.Start(t, "server", server)
	c := gatewaytest.Start(t, "client", fmt.Sprintf(`
endpoints:
  bus: {kind: can, interface: vcan0}
  ad: {kind: slcan, role: host, transport: rfcomm, address: "%s", local: "%s", channel: %d, bitrate: 500000, reconnect: {min: 50ms, max: 500ms}}
routes:
  - {name: up, from: [bus], to: [ad]}
`, a.BDAddr, b.BDAddr, ch))
	gatewaytest.WaitFor(t, 90*time.Second, "the host to open the device", func() bool {
		return c.Endpoint("ad").Peers == 1 && s.Endpoint("dev").Peers == 1
	})
	const n = 200
	in := candump(t, "vcan0", n)
	out := candump(t, "vcan1", n)
	peer.Run(t, "cangen", "vcan0", "-n", strconv.Itoa(n/2), "-g", "1")
	peer.Run(t, "cangen", "vcan0", "-n", strconv.Itoa(n/2), "-g", "1", "-e")
	sent, got := gatewaytest.CandumpFrames(t, in, n), gatewaytest.CandumpFrames(t, out, n)
	for i := range sent {
		if got[i] != sent[i] {
			t.Fatalf("frame %d: vcan1 got %s, cangen sent %s", i, got[i], sent[i])
		}
	}
	gatewaytest.WaitFor(t, 20*time.Second, "the counters", func() bool {
		return s.Endpoint("bus").FramesOut == n && c.Endpoint("ad").FramesOut == n
	})
	if ci, co, si, so := c.Endpoint("bus").FramesIn, c.Endpoint("ad").FramesOut, s.Endpoint("dev").FramesIn, s.Endpoint("bus").FramesOut; ci != n || co != n || si != n || so != n {
		t.Errorf("frames: client bus in %d, client ad out %d, server dev in %d, server bus out %d; want %d each", ci, co, si, so, n)
	}
	c.NoDrops(t)
	s.NoDrops(t)

	s.Stop()
	gatewaytest.WaitFor(t, 30*time.Second, "the host to notice", func() bool { return c.Endpoint("ad").Peers == 0 })
	s = gatewaytest.Start(t, "server2", server)
	gatewaytest.WaitFor(t, 90*time.Second, "the host to open the new device", func() bool {
		return c.Endpoint("ad").Peers == 1 && s.Endpoint("dev").Peers == 1
	})
	out = candump(t, "vcan1", 1)
	peer.Run(t, "cansend", "vcan0", "7A5#C0FFEE")
	if f := gatewaytest.CandumpFrames(t, out, 1); f[0] != "7A5#C0FFEE" {
		t.Fatalf("after the reconnect vcan1 got %s, want 7A5#C0FFEE", f[0])
	}
	if cc := c.Endpoint("ad").Connects; cc != 2 {
		t.Errorf("host connects %d, want 2", cc)
	}
	gatewaytest.WaitFor(t, 20*time.Second, "the counters", func() bool { return s.Endpoint("bus").FramesOut == 1 })
	s.NoDrops(t)
	if d := c.Endpoint("ad").Dropped; gatewayDrops(d) != 0 {
		// Frames routed while the device was away would be link_down;
		// none were sent then.
		t.Errorf("host drops %v", d)
	}
}
