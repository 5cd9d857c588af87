//go:build hil

package slcan_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/fieldgate/fieldgate/gateway/endpoints/can"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/logfile"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
	"github.com/fieldgate/fieldgate/internal/peer"
)

// The rig's peers: can-utils' slcand (attaches Linux's slcan line
// discipline, module slcan, to a tty), cansend/candump/cangen on vcan0,
// Debian's python3-can 4.1 slcan interface (over python3-serial), and the
// test's own adapter emulator (adapter_test.go) on a pty.

// receivers counts the CAN receivers (raw sockets' filters) registered on
// iface, from /proc/net/can/rcvlist_*; -1 if the kernel does not list them.
func receivers(iface string) int {
	n, found := 0, false
	for _, l := range []string{"all", "fil", "inv", "eff", "sff", "err"} {
		b, err := os.ReadFile("/proc/net/can/rcvlist_" + l)
		if err != nil {
			continue
		}
		found = true
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) > 0 && f[0] == iface {
				n++
			}
		}
	}
	if !found {
		return -1
	}
	return n
}

// candump starts candump -L on iface for n frames and returns once its
// socket is registered with the kernel (so it sees every frame from then).
func candump(t *testing.T, iface string, n int) *peer.Process {
	t.Helper()
	before := receivers(iface)
	p := peer.Start(t, "candump", "-L", "-n", strconv.Itoa(n), iface)
	if before < 0 {
		time.Sleep(time.Second)
		return p
	}
	gatewaytest.WaitFor(t, 30*time.Second, "candump on "+iface+" to register", func() bool { return receivers(iface) > before })
	return p
}

// loadSlcan loads the slcan module with the rig's modprobe (the one the
// kernel calls, /proc/sys/kernel/modprobe).
func loadSlcan(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/sys/module/slcan"); err == nil {
		return
	}
	mp, err := os.ReadFile("/proc/sys/kernel/modprobe")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(strings.TrimSpace(string(mp)), "slcan").CombinedOutput(); err != nil {
		t.Fatalf("modprobe slcan: %v %s", err, out)
	}
	if _, err := os.Stat("/sys/module/slcan"); err != nil {
		t.Fatalf("module slcan not loaded: %v", err)
	}
}

// slcand attaches the kernel's slcan driver to tty as interface name
// (C, S6, O, then the line discipline), and brings the interface up.
func slcand(t *testing.T, tty, name string) *peer.Process {
	t.Helper()
	loadSlcan(t)
	p := peer.StartMerged(t, "slcand", "-o", "-c", "-s6", "-F", tty, name)
	gatewaytest.WaitFor(t, 20*time.Second, "slcand to create "+name, func() bool {
		_, err := os.Stat("/sys/class/net/" + name)
		return err == nil
	})
	// slcan's queue holds 10 frames and its driver keeps one in flight:
	// a cangen at -g 1 on a loaded rig would get ENOBUFS.
	peer.Run(t, "ip", "link", "set", name, "txqueuelen", "1000", "up")
	t.Cleanup(func() { p.Signal(os.Interrupt) })
	return p
}

func linkFile(t *testing.T, name string) string {
	return filepath.Join(t.TempDir(), name)
}

// TestHILSlcand: fieldgate plays an adapter (role: device) on a pty whose
// slave slcand attached to the kernel's slcan driver: 11- and 29-bit and
// remote frames cross between slcan0 and vcan0 both ways, byte-exact, in
// order, with every counter in agreement.
func TestHILSlcand(t *testing.T) {
	link := linkFile(t, "slcan-pty")
	g := gatewaytest.Start(t, "dev", fmt.Sprintf(`
endpoints:
  dev: {kind: slcan, role: device, transport: pty, link: %s}
  bus: {kind: can, interface: vcan0}
routes:
  - {name: up, from: [dev], to: [bus], allow: [any]}
  - {name: down, from: [bus], to: [dev]}
`, link))
	// slcand takes a path under /dev (it prefixes others with /dev/).
	slave, err := os.Readlink(link)
	if err != nil {
		t.Fatal(err)
	}
	slcand(t, slave, "slcan0")

	// slcan0 → kernel slcan → pty → fieldgate → vcan0.
	const n = 200
	onBus := candump(t, "vcan0", n)
	onSl := candump(t, "slcan0", n)
	peer.Run(t, "cangen", "slcan0", "-n", strconv.Itoa(n/2), "-g", "1", "-p", "100")
	peer.Run(t, "cangen", "slcan0", "-n", strconv.Itoa(n/2), "-g", "1", "-p", "100", "-e", "-R")
	sent, got := gatewaytest.CandumpFrames(t, onSl, n), gatewaytest.CandumpFrames(t, onBus, n)
	for i := range sent {
		if got[i] != sent[i] {
			t.Fatalf("frame %d: vcan0 got %s, slcan0 sent %s", i, got[i], sent[i])
		}
	}
	gatewaytest.WaitFor(t, 20*time.Second, "the counters", func() bool { return g.Endpoint("bus").FramesOut == n })
	if in := g.Endpoint("dev").FramesIn; in != n {
		t.Errorf("dev frames in %d, want %d", in, n)
	}

	onBus.Wait() // both have printed their n frames: let their sockets go
	onSl.Wait()

	// vcan0 → fieldgate → pty → kernel slcan → slcan0.
	onBus = candump(t, "vcan0", n)
	onSl = candump(t, "slcan0", n)
	peer.Run(t, "cangen", "vcan0", "-n", strconv.Itoa(n/2), "-g", "1")
	peer.Run(t, "cangen", "vcan0", "-n", strconv.Itoa(n/2), "-g", "1", "-e")
	sent, got = gatewaytest.CandumpFrames(t, onBus, n), gatewaytest.CandumpFrames(t, onSl, n)
	for i := range sent {
		if got[i] != sent[i] {
			t.Fatalf("frame %d: slcan0 got %s, vcan0 sent %s", i, got[i], sent[i])
		}
	}
	gatewaytest.WaitFor(t, 20*time.Second, "the counters", func() bool { return g.Endpoint("dev").FramesOut == n })
	if in := g.Endpoint("bus").FramesIn; in != n {
		t.Errorf("bus frames in %d, want %d", in, n)
	}
	g.NoDrops(t)
}

// pythonSlcan is a python-can 4.1 program on the slcan interface: it opens
// the channel at 500 kbit/s, prints the version and serial number, sends
// three frames, and prints the frames it receives until argv[2] arrived.
const pythonSlcan = `
import sys, can
bus = can.Bus(interface="slcan", channel=sys.argv[1], bitrate=500000, sleep_after_open=0)
print("version", bus.get_version(10), flush=True)
print("serial", bus.get_serial_number(10), flush=True)
bus.send(can.Message(arbitration_id=0x123, data=[1, 2, 3], is_extended_id=False))
bus.send(can.Message(arbitration_id=0x1ABCDEF0, data=[0xDE, 0xAD, 0xBE, 0xEF, 0, 1, 2, 3], is_extended_id=True))
bus.send(can.Message(arbitration_id=0x7FF, is_remote_frame=True, dlc=4, is_extended_id=False))
print("sent", flush=True)
want = int(sys.argv[2])
got = 0
while got < want:
    m = bus.recv(30)
    if m is None:
        print("timeout", flush=True)
        break
    got += 1
    kind = "R" if m.is_remote_frame else "D"
    print("recv %X %s %s %s" % (m.arbitration_id, m.is_extended_id, kind, m.data.hex().upper()), flush=True)
bus.shutdown()
print("done", flush=True)
`

// TestHILPythonCAN: python-can's slcan interface opens fieldgate (role:
// device) on a pty like an adapter; frames cross both ways with vcan0.
func TestHILPythonCAN(t *testing.T) {
	link := linkFile(t, "slcan-pty")
	g := gatewaytest.Start(t, "dev", fmt.Sprintf(`
endpoints:
  dev: {kind: slcan, role: device, transport: pty, link: %s}
  bus: {kind: can, interface: vcan0}
routes:
  - {name: up, from: [dev], to: [bus], allow: [any]}
  - {name: down, from: [bus], to: [dev]}
`, link))
	onBus := candump(t, "vcan0", 3)
	py := peer.StartPython(t, pythonSlcan, link, "3")
	py.Expect(t, "version (10, 13)", 60*time.Second)
	py.Expect(t, "serial FG01", 30*time.Second)
	py.Expect(t, "sent", 30*time.Second)
	if got := strings.Join(gatewaytest.CandumpFrames(t, onBus, 3), " "); got != "123#010203 1ABCDEF0#DEADBEEF00010203 7FF#R4" {
		t.Errorf("vcan0 got %s", got)
	}
	peer.Run(t, "cansend", "vcan0", "321#1122334455667788")
	peer.Run(t, "cansend", "vcan0", "00000042#")
	peer.Run(t, "cansend", "vcan0", "100#R2")
	for _, want := range []string{"recv 321 False D 1122334455667788", "recv 42 True D ", "recv 100 False R "} {
		if got := py.Line(t, 30*time.Second); strings.TrimSpace(got) != strings.TrimSpace(want) {
			t.Errorf("python-can: %q, want %q", got, want)
		}
	}
	py.Expect(t, "done", 30*time.Second)
	gatewaytest.WaitFor(t, 20*time.Second, "the counters", func() bool { return g.Endpoint("dev").FramesOut == 3 && g.Endpoint("bus").FramesOut == 3 })
	g.NoDrops(t)
	if m := g.Endpoint("dev").Dropped["malformed"]; m != 0 {
		t.Errorf("python-can's lines counted malformed: %d", m)
	}
}

// TestHILHostEmulator: fieldgate (role: host) drives the test's adapter
// emulator on a pty, bridged to vcan0: the open sequence byte by byte,
// frames both ways, a bus-off state report as an error frame in the log,
// and a reopen after the adapter vanishes.
func TestHILHostEmulator(t *testing.T) {
	link := linkFile(t, "adapter")
	logPath := filepath.Join(t.TempDir(), "err.log")
	a := startPTYAdapter(t, link)
	g := gatewaytest.Start(t, "host", fmt.Sprintf(`
endpoints:
  ad: {kind: slcan, role: host, transport: serial, device: %s, bitrate: 250000, status_interval: 100ms, reconnect: {min: 20ms, max: 200ms}}
  bus: {kind: can, interface: vcan0}
  errs: {kind: log, path: %s, mode: write}
routes:
  - {name: up, from: [ad], to: [bus], filters: ["0:20000000"]}
  - {name: errors, from: [ad], to: [errs], filters: ["20000000:20000000"]}
  - {name: down, from: [bus], to: [ad]}
`, link, logPath))
	gatewaytest.WaitFor(t, 30*time.Second, "the adapter to open", func() bool { return g.Endpoint("ad").Peers == 1 })
	const openSeq = "C\rV\rN\rS5\rO\rF\r"
	if got := a.received(); !strings.HasPrefix(got, openSeq) {
		t.Fatalf("open sequence %q, want %q", got, openSeq)
	}
	onBus := candump(t, "vcan0", 2)
	a.send("t12380102030405060708\rR1ABCDEF03\r")
	if got := strings.Join(gatewaytest.CandumpFrames(t, onBus, 2), " "); got != "123#0102030405060708 1ABCDEF0#R3" {
		t.Errorf("vcan0 got %s", got)
	}
	peer.Run(t, "cansend", "vcan0", "321#AABB")
	peer.Run(t, "cansend", "vcan0", "00000042#")
	gatewaytest.WaitFor(t, 30*time.Second, "the adapter to get 2 frames", func() bool { return len(a.sent()) == 2 })
	if got := strings.Join(a.sent(), " "); got != "t3212AABB T000000420" {
		t.Errorf("adapter got %s", got)
	}
	if got := withoutPolls(a.received()[len(openSeq):]); got != "t3212AABB\rT000000420\r" {
		t.Errorf("bytes after the open sequence %q", got)
	}

	// Bus-off.
	a.send("sb000255\r")
	gatewaytest.WaitFor(t, 30*time.Second, "the bus-off error frame", func() bool { return g.Endpoint("ad").ErrFrames == 1 && g.Endpoint("errs").FramesOut == 1 })
	g.Stop()
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	// CAN_ERR_FLAG | CAN_ERR_BUSOFF | CAN_ERR_CNT, tx errors 255, rx 0.
	if !strings.Contains(string(b), " 20000240#000000000000FF00\n") {
		t.Errorf("error log %q, want the bus-off frame 20000240#000000000000FF00", b)
	}
	if !strings.Contains(g.Logs.String(), "state=bus-off") {
		t.Error("bus-off not logged")
	}
}

// TestHILHostReopen: the adapter vanishes (its pty closes) and comes back
// at the same path: fieldgate runs the open sequence again and frames
// flow again.
func TestHILHostReopen(t *testing.T) {
	link := linkFile(t, "adapter")
	a := startPTYAdapter(t, link)
	g := gatewaytest.Start(t, "host", fmt.Sprintf(`
endpoints:
  ad: {kind: slcan, role: host, transport: serial, device: %s, bitrate: 1000000, reconnect: {min: 20ms, max: 200ms}}
  bus: {kind: can, interface: vcan0}
routes:
  - {name: up, from: [ad], to: [bus]}
`, link))
	gatewaytest.WaitFor(t, 30*time.Second, "the adapter to open", func() bool { return g.Endpoint("ad").Peers == 1 })
	a.vanish()
	gatewaytest.WaitFor(t, 30*time.Second, "the adapter to be gone", func() bool { return g.Endpoint("ad").Peers == 0 })
	b := startPTYAdapter(t, link)
	gatewaytest.WaitFor(t, 30*time.Second, "the adapter to reopen", func() bool { return g.Endpoint("ad").Peers == 1 })
	if got, want := b.received(), "C\rV\rN\rS8\rO\rF\r"; !strings.HasPrefix(got, want) {
		t.Fatalf("reopen sequence %q, want %q", got, want)
	}
	onBus := candump(t, "vcan0", 1)
	b.send("t7FF0\r")
	if got := gatewaytest.CandumpFrames(t, onBus, 1)[0]; got != "7FF#" {
		t.Errorf("after reopen vcan0 got %s", got)
	}
	if c := g.Endpoint("ad").Connects; c != 2 {
		t.Errorf("connects %d, want 2", c)
	}
	g.NoDrops(t)
}
