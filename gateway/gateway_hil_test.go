//go:build hil

package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	socketcandep "github.com/fieldgate/fieldgate/gateway/endpoints/socketcand"

	"golang.org/x/sys/unix"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/internal/peer"
)

// gw is a fieldgate run process with its admin address.
type gw struct {
	*peer.Process
	admin string
	file  string
}

func startGW(t testing.TB, admin int, yaml string) *gw {
	t.Helper()
	file := filepath.Join(t.TempDir(), "gw.yaml")
	yaml = fmt.Sprintf("admin: {listen: \"127.0.0.1:%d\"}\n", admin) + yaml
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	g := &gw{Process: peer.Start(t, "fieldgate", "run", "-c", file), admin: fmt.Sprintf("127.0.0.1:%d", admin), file: file}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get("http://" + g.admin + "/healthz"); err == nil {
			resp.Body.Close()
			return g
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway did not start: %s", g.Stderr())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (g *gw) status(t testing.TB) Status {
	t.Helper()
	resp, err := http.Get("http://" + g.admin + "/status")
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	defer resp.Body.Close()
	var st Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func (st Status) endpoint(name string) EndpointStatus {
	for _, e := range st.Endpoints {
		if e.Name == name {
			return e
		}
	}
	return EndpointStatus{}
}

func (st Status) dropped() uint64 {
	var d uint64
	for _, e := range st.Endpoints {
		d += DroppedTotal(e.Dropped)
	}
	return d
}

// settle waits until a gateway's counters stop moving.
func (g *gw) settle(t testing.TB) Status {
	prev := g.status(t)
	for range 50 {
		time.Sleep(300 * time.Millisecond)
		st := g.status(t)
		same := true
		for i := range st.Endpoints {
			if i < len(prev.Endpoints) && (st.Endpoints[i].FramesIn != prev.Endpoints[i].FramesIn || st.Endpoints[i].FramesOut != prev.Endpoints[i].FramesOut || st.Endpoints[i].Queue != 0) {
				same = false
			}
		}
		if same {
			return st
		}
		prev = st
	}
	return prev
}

// bridgeTest runs cangen on vcan0 and candump on vcan1 across two gateway
// processes joined by the given link endpoints, and checks sent = received +
// dropped exactly.
func bridgeTest(t *testing.T, linkA, linkB string, n int) {
	a := startGW(t, 9201, `
endpoints:
  bus: {kind: can, interface: vcan0}
`+linkA+`
routes:
  - {name: up, from: [bus], to: [link]}
`)
	b := startGW(t, 9202, `
endpoints:
  bus: {kind: can, interface: vcan1}
`+linkB+`
routes:
  - {name: down, from: [link], to: [bus], allow: ["000:000"]}
`)
	// Stream links: wait until connected.
	deadline := time.Now().Add(20 * time.Second)
	for strings.Contains(linkA, "kind: tcp") || strings.Contains(linkA, "kind: vsock") {
		if a.status(t).endpoint("link").Peers == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("stream link did not connect")
		}
		time.Sleep(100 * time.Millisecond)
	}
	dump := peer.Start(t, "candump", "-n", strconv.Itoa(n), "vcan1")
	time.Sleep(300 * time.Millisecond)
	gen := exec.Command("cangen", "vcan0", "-n", strconv.Itoa(n), "-g", "1", "-I", "i", "-L", "8", "-D", "i")
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("cangen: %v %s", err, out)
	}
	got := dump.Count(n, 30*time.Second)
	sa, sb := a.settle(t), b.settle(t)
	drops := sa.dropped() + sb.dropped()
	t.Logf("sent %d, candump received %d, dropped %d (A %v, B %v), A bus in %d, B bus out %d", n, got, drops,
		sa.endpoint("bus").Dropped, sb.endpoint("bus").Dropped, sa.endpoint("bus").FramesIn, sb.endpoint("bus").FramesOut)
	if uint64(got)+drops != uint64(n) {
		t.Fatalf("sent %d != received %d + dropped %d", n, got, drops)
	}
	if got != n {
		t.Errorf("lost %d frames (all counted)", n-got)
	}
}

func TestHILUDPBridge(t *testing.T) {
	bridgeTest(t,
		`  link: {kind: udp, listen: "127.0.0.1:21000", peer: "127.0.0.1:21001"}`,
		`  link: {kind: udp, listen: "127.0.0.1:21001", peer: "127.0.0.1:21000"}`, 1000)
}

func TestHILTCPBridge(t *testing.T) {
	bridgeTest(t,
		`  link: {kind: tcp, mode: server, listen: "127.0.0.1:21010"}`,
		`  link: {kind: tcp, mode: client, peer: "127.0.0.1:21010", reconnect: {min: 50ms, max: 1s}}`, 1000)
}

func TestHILVsockBridge(t *testing.T) {
	bridgeTest(t,
		`  link: {kind: vsock, mode: server, port: 21020}`,
		`  link: {kind: vsock, mode: client, cid: 1, port: 21020, reconnect: {min: 50ms, max: 1s}}`, 500)
}

// TestHILSocketcandPython: two python-can socketcand clients at once receive
// frames cangen puts on vcan0 and send frames candump sees on vcan0.
func TestHILSocketcandPython(t *testing.T) {
	g := startGW(t, 9203, `
endpoints:
  bus: {kind: can, interface: vcan0}
  sc: {kind: socketcand, listen: "127.0.0.1:29536", bus: vcan0}
routes:
  - {name: to-clients, from: [bus], to: [sc]}
  - {name: from-clients, from: [sc], to: [bus], allow: ["555:7FF"]}
`)
	const nrecv, nsend = 200, 50
	var clients []*peer.Process
	for range 2 {
		clients = append(clients, peer.Start(t, peer.Python, "testdata/sc_client.py", "127.0.0.1", "29536", "vcan0", strconv.Itoa(nrecv), strconv.Itoa(nsend)))
	}
	for _, c := range clients {
		c.ExpectPrefix(t, "ready", 180*time.Second)
	}
	for g.status(t).endpoint("sc").Peers != 2 {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2 * socketcandep.RawHold)
	dump := peer.Start(t, "candump", "-n", strconv.Itoa(2*nsend), "vcan0,555:7FF")
	time.Sleep(300 * time.Millisecond)
	if out, err := exec.Command("cangen", "vcan0", "-n", strconv.Itoa(nrecv), "-g", "2", "-I", "123", "-L", "8").CombinedOutput(); err != nil {
		t.Fatalf("cangen: %v %s", err, out)
	}
	for i, c := range clients {
		if l := c.ExpectPrefix(t, "recv", 60*time.Second); l != fmt.Sprintf("recv %d", nrecv) {
			t.Errorf("client %d: %s", i, l)
		}
	}
	got := dump.Count(2*nsend, 60*time.Second)
	st := g.settle(t)
	t.Logf("clients received %d each; candump saw %d of %d sent by clients; sc %+v", nrecv, got, 2*nsend, st.endpoint("sc"))
	if got != 2*nsend {
		t.Fatalf("candump saw %d frames from the clients, want %d (dropped %d)", got, 2*nsend, st.dropped())
	}
}

// recvCounter counts frames on iface, surviving the interface going down.
func recvCounter(t *testing.T, ctx context.Context, iface string) *atomic.Int64 {
	c, err := can.ListenRaw(iface, &can.RawConfig{RecvBuffer: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	go func() {
		defer c.Close()
		msgs := make([]can.RecvMsg, can.MaxBatch)
		for {
			k, err := c.ReadBatch(ctx, msgs)
			n.Add(int64(k))
			if err != nil && ctx.Err() != nil {
				return
			}
		}
	}()
	return &n
}

// TestHILLinkDownUpAndReload: vcan1 goes down and up, and gateway A reloads
// a changed configuration, all mid-traffic; every frame is received or
// counted as dropped.
func TestHILLinkDownUpAndReload(t *testing.T) {
	a := startGW(t, 9204, `
endpoints:
  bus: {kind: can, interface: vcan0}
  link: {kind: udp, listen: "127.0.0.1:21030", peer: "127.0.0.1:21031"}
routes:
  - {name: up, from: [bus], to: [link]}
`)
	b := startGW(t, 9205, `
endpoints:
  bus: {kind: can, interface: vcan1, confirm: true}
  link: {kind: udp, listen: "127.0.0.1:21031", peer: "127.0.0.1:21030"}
routes:
  - {name: down, from: [link], to: [bus], allow: ["000:000"]}
`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := recvCounter(t, ctx, "vcan1")
	const n = 3000
	gen := peer.Start(t, "cangen", "vcan0", "-n", strconv.Itoa(n), "-g", "1", "-I", "i", "-L", "4")
	time.Sleep(700 * time.Millisecond)
	// Reload A with an extra endpoint and route; "up" is unchanged.
	cfg, _ := os.ReadFile(a.file)
	extra := strings.Replace(string(cfg), "routes:", "  rec: {kind: log, path: "+filepath.Join(t.TempDir(), "rec.log")+"}\nroutes:\n  - {name: rec, from: [bus], to: [rec]}", 1)
	os.WriteFile(a.file, []byte(extra), 0o644)
	if out, err := exec.Command("fieldgate", "reload", "-a", a.admin).CombinedOutput(); err != nil {
		t.Fatalf("reload: %v %s", err, out)
	}
	time.Sleep(300 * time.Millisecond)
	exec.Command("ip", "link", "set", "vcan1", "down").Run()
	time.Sleep(300 * time.Millisecond)
	exec.Command("ip", "link", "set", "vcan1", "up").Run()
	gen.Wait()
	sa, sb := a.settle(t), b.settle(t)
	time.Sleep(300 * time.Millisecond)
	drops := sa.dropped() + sb.dropped()
	unaccounted := int64(n) - got.Load() - int64(drops)
	t.Logf("sent %d, received on vcan1 %d, dropped %d (A %v; B bus %v), unaccounted %d, udp sequence gaps %d, A rec wrote %d",
		n, got.Load(), drops, sa.endpoint("link").Dropped, sb.endpoint("bus").Dropped, unaccounted, sb.endpoint("link").SeqGaps, sa.endpoint("rec").FramesOut)
	// Frames the kernel accepts from B's socket in the instant vcan1 goes
	// down are discarded inside the kernel after sendmmsg reported success:
	// dev_close deactivates the qdisc (noop: drop, NET_XMIT_CN, which
	// can_send treats as success) before it clears IFF_UP. Without confirm
	// 0–6 frames per run vanished there; with confirm: true B counts them
	// as tx_lost from the echoes that never came back. Exact, always.
	if unaccounted != 0 {
		t.Fatalf("sent %d != received %d + dropped %d (unaccounted %d)", n, got.Load(), drops, unaccounted)
	}
	if sb.endpoint("bus").Dropped["link_down"] == 0 {
		t.Logf("no frame hit the down interface (timing); the down/up path still ran")
	}
	for _, r := range sa.Routes {
		if r.Name == "up" && DroppedTotal(r.Dropped) != 0 {
			t.Errorf("unchanged route lost frames over the reload: %v", r.Dropped)
		}
	}
}

var _ = unix.ENETDOWN

// TestHILISOTPOverUDP: a 4095-byte PDU sent by isotpsend on vcan0 crosses
// isotp → udp → isotp and isotprecv on vcan1 prints it byte for byte.
func TestHILISOTPOverUDP(t *testing.T) {
	a := startGW(t, 9206, `
endpoints:
  tester: {kind: isotp, interface: vcan0, rx_id: 0x7E0, tx_id: 0x7E8}
  link: {kind: udp, listen: "127.0.0.1:21040", peer: "127.0.0.1:21041"}
routes:
  - {name: up, from: [tester], to: [link]}
`)
	b := startGW(t, 9207, `
endpoints:
  ecu: {kind: isotp, interface: vcan1, rx_id: 0x7E8, tx_id: 0x7E0}
  link: {kind: udp, listen: "127.0.0.1:21041", peer: "127.0.0.1:21040"}
routes:
  - {name: down, from: [link], to: [ecu], allow: ["7E0:7FF"]}
`)
	recv := peer.Start(t, "isotprecv", "-s", "7E8", "-d", "7E0", "vcan1")
	time.Sleep(300 * time.Millisecond)
	var pdu strings.Builder
	for i := range 4095 {
		if i > 0 {
			pdu.WriteByte(' ')
		}
		fmt.Fprintf(&pdu, "%02X", byte(i*7+1))
	}
	send := exec.Command("isotpsend", "-s", "7E0", "-d", "7E8", "vcan0")
	send.Stdin = strings.NewReader(pdu.String() + "\n")
	if out, err := send.CombinedOutput(); err != nil {
		t.Fatalf("isotpsend: %v %s", err, out)
	}
	if got := recv.Line(t, 30*time.Second); got != pdu.String() {
		t.Fatalf("isotprecv got %d chars, want %d: %.60q...", len(got), pdu.Len(), got)
	}
	sa, sb := a.settle(t), b.settle(t)
	if sa.endpoint("tester").FramesIn != 1 || sb.endpoint("ecu").FramesOut != 1 || sa.dropped()+sb.dropped() != 0 {
		t.Fatalf("counters: A %+v B %+v", sa.endpoint("tester"), sb.endpoint("ecu"))
	}
	t.Logf("4095-byte PDU crossed isotp → udp → isotp; bytes in %d, out %d", sa.endpoint("tester").BytesIn, sb.endpoint("ecu").BytesOut)
}

// TestHILDemo runs configs/demo.sh, the `make run` demo, and checks its
// summary: besides the script's own verdict, the fleet leg (vcan0 →
// gateway A → embedded NATS → gateway B → vcan1) delivered every frame
// with its bytes, and the signals subscriber printed decoded values.
func TestHILDemo(t *testing.T) {
	cmd := exec.Command("sh", "../configs/demo.sh")
	cmd.Env = append(os.Environ(), "DEMO_FRAMES=300")
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"seen on vcan1 (candump):                   600 (want 600",
		"vcan1 holds vcan0's frames twice, bytes equal: yes",
		"gateway B: from NATS 300 frames, 2400 bytes (want 300, 2400), onto vcan1 300, seq gaps 0",
		"signals.demo.bench.can.123  Engine  EngineSpeed=850.5 rpm  CoolantTemp=50 degC  Gear=3 (Drive)  ThrottlePos=20 %",
		"signals.demo.bench.can.321  Vehicle  VehicleSpeed=100 km/h  Odometer=10000 km",
		"demo OK",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
}

// TestHILPeerKilledAndRestarted: gateway B is killed (SIGKILL) and restarted
// mid-traffic. Frames sent to the dead peer are counted by A (no_peer, from
// the ICMP port-unreachable the kernel reports); what UDP cannot account for
// is the datagram in flight when B died and frames B held in memory when it
// was killed. The test prints the exact figures and bounds that remainder.
func TestHILPeerKilledAndRestarted(t *testing.T) {
	a := startGW(t, 9208, `
endpoints:
  bus: {kind: can, interface: vcan0}
  link: {kind: udp, listen: "127.0.0.1:21050", peer: "127.0.0.1:21051"}
routes:
  - {name: up, from: [bus], to: [link]}
`)
	bcfg := `
endpoints:
  bus: {kind: can, interface: vcan1}
  link: {kind: udp, listen: "127.0.0.1:21051", peer: "127.0.0.1:21050"}
routes:
  - {name: down, from: [link], to: [bus], allow: ["000:000"]}
`
	b1 := startGW(t, 9209, bcfg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := recvCounter(t, ctx, "vcan1")
	const n = 3000
	gen := peer.Start(t, "cangen", "vcan0", "-n", strconv.Itoa(n), "-g", "1", "-I", "i", "-L", "8")
	time.Sleep(800 * time.Millisecond)
	killed := time.Now()
	before := a.status(t).endpoint("link").FramesOut
	b1.Signal(os.Kill)
	b1.Wait()
	time.Sleep(500 * time.Millisecond)
	b2 := startGW(t, 9210, bcfg)
	outage := time.Since(killed)
	during := a.status(t).endpoint("link").FramesOut - before
	gen.Wait()
	sa, sb := a.settle(t), b2.settle(t)
	time.Sleep(300 * time.Millisecond)
	drops := sa.dropped() + sb.dropped()
	unaccounted := int64(n) - got.Load() - int64(drops)
	t.Logf("sent %d, received %d, counted dropped %d (A %v, B2 %v), unaccounted %d (in flight or in B's memory at SIGKILL)",
		n, got.Load(), drops, sa.endpoint("link").Dropped, sb.endpoint("bus").Dropped, unaccounted)
	if sb.endpoint("bus").FramesOut == 0 {
		t.Fatal("restarted peer received nothing")
	}
	// Every frame A sent while B was dead is counted exactly by A as
	// peer_unreachable: the kernel answers each datagram to the closed port
	// with an ICMP port unreachable that A reads from its socket's error
	// queue (IP_RECVERR). What nobody can count is what B held when it was
	// SIGKILLed: datagrams in its socket buffer and frames in its queues,
	// freed with the process. B keeps up with this rate on average, but
	// on the one emulated CPU it is descheduled for milliseconds at a time
	// (five processes share it here), so a few dozen datagrams can wait in
	// its socket buffer: runs of this test left 10–84 frames unaccounted.
	// The bound is what B's receive buffer (net.core.rmem_default, 212992
	// bytes, about 90 datagrams of ~2.3 KiB truesize) and one batch in
	// flight inside B can hold at a few frames per datagram.
	unreachable := sa.endpoint("link").Dropped["peer_unreachable"]
	t.Logf("outage %v: A sent %d frames while B was down; A counted %d peer_unreachable", outage.Round(time.Millisecond), during, unreachable)
	if unreachable == 0 {
		t.Fatal("no frame counted as peer_unreachable during the outage")
	}
	if unaccounted < 0 || unaccounted > 256 {
		t.Fatalf("unaccounted %d frames: more than B can have held at SIGKILL", unaccounted)
	}
}

// TestHILFDRTRErrorOverUDP: a CAN FD frame (BRS), an RTR frame and an error
// frame cross vcan0 → udp → vcan1 unchanged.
func TestHILFDRTRErrorOverUDP(t *testing.T) {
	startGW(t, 9211, `
endpoints:
  bus: {kind: can, interface: vcan0, fd: true, error_mask: 0x1FFFFFFF}
  link: {kind: udp, listen: "127.0.0.1:21060", peer: "127.0.0.1:21061"}
routes:
  - {name: up, from: [bus], to: [link]}
`)
	startGW(t, 9212, `
endpoints:
  bus: {kind: can, interface: vcan1, fd: true}
  link: {kind: udp, listen: "127.0.0.1:21061", peer: "127.0.0.1:21060"}
routes:
  - {name: down, from: [link], to: [bus], allow: [any, error]}
`)
	rx, err := can.ListenRaw("vcan1", &can.RawConfig{FD: true, ErrorMask: can.ErrClass(0x1FFFFFFF)})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	frames := []string{"123##1" + strings.Repeat("A5", 12), "1ABCDEF0#R4", "20000004#0004000000000000", "7FF#0102030405060708"}
	for _, f := range frames {
		if out, err := exec.Command("cansend", "vcan0", f).CombinedOutput(); err != nil {
			t.Fatalf("cansend %s: %v %s", f, err, out)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []string
	msgs := make([]can.RecvMsg, 8)
	for len(got) < len(frames) {
		n, err := rx.ReadBatch(ctx, msgs)
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		for i := range n {
			got = append(got, msgs[i].Frame.String())
		}
	}
	// The can package prints the FD flags nibble with FDF (0x4), as candump
	// does on Linux 6.x: BRS|FDF = 5.
	want := []string{"123##5" + strings.Repeat("A5", 12), "1ABCDEF0#R4", "20000004#0004000000000000", "7FF#0102030405060708"}
	for i := range want {
		if !strings.EqualFold(got[i], want[i]) {
			t.Errorf("frame %d: got %s want %s", i, got[i], want[i])
		}
	}
	t.Logf("crossed: %v", got)
}

// TestHILOffload runs the same transforming CAN → CAN route offloaded to
// can-gw and in user space: candump sees the same bytes from both, and the
// offloaded route's counters come from the kernel.
func TestHILOffload(t *testing.T) {
	run := func(offload string, port int) ([]string, RouteStatus) {
		g := startGW(t, port, `
endpoints:
  a: {kind: can, interface: vcan0}
  b: {kind: can, interface: vcan1}
routes:
  - name: fwd
    from: [a]
    to: [b]
    filters: ["100:700"]
    offload: `+offload+`
    transform:
      xor: {data: "FF00FF00"}
      set: {id: 0x555}
      xor_checksum: {from: 0, to: 6, result: 7}
`)
		const n = 300
		dump := peer.Start(t, "candump", "-L", "-n", strconv.Itoa(n), "vcan1")
		time.Sleep(300 * time.Millisecond)
		if out, err := exec.Command("cangen", "vcan0", "-n", strconv.Itoa(n), "-g", "1", "-I", "123", "-L", "8", "-D", "i").CombinedOutput(); err != nil {
			t.Fatalf("cangen: %v %s", err, out)
		}
		var lines []string
		for len(lines) < n {
			l, ok := dump.Next(t, 20*time.Second)
			if !ok {
				t.Fatalf("%s: candump saw %d of %d", offload, len(lines), n)
			}
			f := strings.Fields(l)
			lines = append(lines, f[len(f)-1])
		}
		st := g.settle(t)
		g.Signal(os.Interrupt)
		g.Wait()
		return lines, st.Routes[0]
	}
	kernel, kr := run("auto", 9213)
	user, ur := run("never", 9214)
	t.Logf("offloaded route: %+v; user-space route: %+v; first frame %s", kr, ur, kernel[0])
	if !kr.Offloaded || ur.Offloaded {
		t.Fatalf("offloaded flags: auto %v, never %v", kr.Offloaded, ur.Offloaded)
	}
	if kr.Out != 300 || ur.Out != 300 {
		t.Fatalf("route out: kernel %d, user %d", kr.Out, ur.Out)
	}
	for i := range kernel {
		if kernel[i] != user[i] {
			t.Fatalf("frame %d: can-gw %s, user space %s", i, kernel[i], user[i])
		}
	}
	if out, _ := exec.Command("cangw", "-L").CombinedOutput(); strings.Contains(string(out), "-s vcan0") {
		t.Fatalf("can-gw rule left behind after stop: %s", out)
	}
}

// TestHILJ1939OverUDP: a 1785-byte J1939 message (kernel transport
// protocol on both buses) crosses j1939 → udp → j1939.
func TestHILJ1939OverUDP(t *testing.T) {
	a := startGW(t, 9215, `
endpoints:
  ecu: {kind: j1939, interface: vcan0, address: 0x20}
  link: {kind: udp, listen: "127.0.0.1:21070", peer: "127.0.0.1:21071"}
routes:
  - {name: up, from: [ecu], to: [link]}
`)
	b := startGW(t, 9216, `
endpoints:
  ecu: {kind: j1939, interface: vcan1, address: 0x30}
  link: {kind: udp, listen: "127.0.0.1:21071", peer: "127.0.0.1:21070"}
routes:
  - {name: down, from: [link], to: [ecu], allow: ["pgn EF00:3FF00"]}
`)
	rx, err := can.ListenJ1939("vcan1", &can.J1939Config{Local: can.J1939Addr{PGN: can.J1939NoPGN, Addr: 0x20}})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	tx, err := can.ListenJ1939("vcan0", &can.J1939Config{Local: can.J1939Addr{PGN: can.J1939NoPGN, Addr: 0x80}})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msg := make([]byte, 1785)
	for i := range msg {
		msg[i] = byte(i*13 + 5)
	}
	if err := tx.WriteTo(ctx, msg, can.J1939Addr{PGN: 0xEF00, Addr: 0x20}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, src, meta, err := rx.ReadFrom(ctx, buf)
	if err != nil {
		t.Fatalf("receive: %v; A %+v B %+v", err, a.status(t).endpoint("ecu"), b.status(t).endpoint("ecu"))
	}
	if n != len(msg) || string(buf[:n]) != string(msg) || src.PGN != 0xEF00 || src.Addr != 0x30 || meta.DestAddr != 0x20 {
		t.Fatalf("got %d bytes pgn %#x from %#x to %#x", n, src.PGN, src.Addr, meta.DestAddr)
	}
	t.Logf("1785-byte J1939 message crossed j1939 → udp → j1939: pgn %#x, %#x → %#x", src.PGN, src.Addr, meta.DestAddr)
}

// TestHILCaptureTshark: frames from vcan0 routed to a capture endpoint are
// dissected by tshark as SocketCAN with the right IDs.
func TestHILCaptureTshark(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cap.pcapng")
	g := startGW(t, 9217, `
endpoints:
  bus: {kind: can, interface: vcan0, fd: true}
  cap: {kind: capture, path: `+path+`}
routes:
  - {name: rec, from: [bus], to: [cap]}
`)
	for _, f := range []string{"123#DEADBEEF", "1ABCDEF0#01", "456##1" + strings.Repeat("11", 16)} {
		if out, err := exec.Command("cansend", "vcan0", f).CombinedOutput(); err != nil {
			t.Fatalf("cansend: %v %s", err, out)
		}
	}
	g.settle(t)
	g.Signal(os.Interrupt)
	g.Wait()
	out, err := exec.Command("tshark", "-r", path, "-T", "fields", "-e", "can.id").Output()
	if err != nil {
		t.Fatalf("tshark: %v %s", err, out)
	}
	got := strings.Fields(string(out))
	want := []string{"0x00000123", "0x1abcdef0", "0x00000456"}
	if len(got) != 3 {
		t.Fatalf("tshark saw %q", out)
	}
	for i := range want {
		v1, _ := strconv.ParseUint(got[i], 0, 32) // tshark prints decimal
		v2, _ := strconv.ParseUint(want[i], 0, 32)
		if v1 != v2 {
			t.Errorf("frame %d: tshark can.id %s, want %s", i, got[i], want[i])
		}
	}
	t.Logf("tshark: %q", got)
}
