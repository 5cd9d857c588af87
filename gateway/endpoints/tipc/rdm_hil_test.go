//go:build hil

package tipc_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
	"github.com/fieldgate/fieldgate/internal/peer"
)

// helperEnv names the configuration TestHILNetnsHelper runs.
const helperEnv = "FG_TIPC_HELPER_CONFIG"

// TestHILNetnsHelper is not a test: TestHILRDMCluster runs this binary
// again inside a network namespace with only this test selected and the
// gateway configuration in the environment. It runs that gateway, prints
// "ready", and for each line "status" on stdin prints "status" and the
// endpoints' status as JSON; at the end of stdin it stops. The gateway's
// log goes to stderr.
func TestHILNetnsHelper(t *testing.T) {
	yaml := os.Getenv(helperEnv)
	if yaml == "" {
		t.Skip("run by TestHILRDMCluster")
	}
	cfg, err := config.Parse("helper.yaml", []byte("admin: {listen: \"\"}\n"+yaml))
	if err != nil {
		t.Fatal(err)
	}
	g := gateway.New(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := g.Start(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	defer g.Shutdown()
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() == "status" {
			b, _ := json.Marshal(g.Status().Endpoints)
			fmt.Printf("status %s\n", b)
		}
	}
}

// nsGateway is a gateway running in a network namespace (a helper
// process).
type nsGateway struct{ p *peer.Process }

func (g nsGateway) status(t *testing.T) map[string]gateway.EndpointStatus {
	t.Helper()
	fmt.Fprintln(g.p.In(), "status")
	f := g.p.ExpectPrefix(t, "status ", 30*time.Second)
	var eps []gateway.EndpointStatus
	if err := json.Unmarshal([]byte(strings.TrimPrefix(f, "status ")), &eps); err != nil {
		t.Fatalf("helper status %q: %v", f, err)
	}
	out := map[string]gateway.EndpointStatus{}
	for _, e := range eps {
		out[e.Name] = e
	}
	return out
}

// waitStatus polls the gateway's status until cond holds.
func (g nsGateway) waitStatus(t *testing.T, what string, cond func(map[string]gateway.EndpointStatus) bool) map[string]gateway.EndpointStatus {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := g.status(t)
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; status %+v; gateway log:\n%s", what, s, g.p.Stderr())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func sh(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// cluster makes two network namespaces, each a TIPC node with an Ethernet
// bearer on one end of a veth pair, and waits for the TIPC link between
// them to come up. It also makes a vxcan pair whose end can1 is in
// namespace a, and can0 here. Everything is removed at the end of the
// test.
func cluster(t *testing.T) (a, b, can0, can1 string) {
	t.Helper()
	id := strconv.Itoa(os.Getpid() % 10000)
	a, b, can0, can1 = "fgtipc-a"+id, "fgtipc-b"+id, "fgtc0-"+id, "fgtc1-"+id
	va, vb := "fgtv0-"+id, "fgtv1-"+id
	sh(t, "ip", "netns", "add", a)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", a).Run() })
	sh(t, "ip", "netns", "add", b)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", b).Run() })
	sh(t, "ip", "link", "add", va, "netns", a, "type", "veth", "peer", "name", vb, "netns", b)
	sh(t, "ip", "-n", a, "link", "set", va, "up")
	sh(t, "ip", "-n", b, "link", "set", vb, "up")
	sh(t, "ip", "netns", "exec", a, "tipc", "bearer", "enable", "media", "eth", "dev", va)
	sh(t, "ip", "netns", "exec", b, "tipc", "bearer", "enable", "media", "eth", "dev", vb)
	sh(t, "ip", "link", "add", can0, "type", "vxcan", "peer", "name", can1, "netns", a)
	t.Cleanup(func() { exec.Command("ip", "link", "del", can0).Run() })
	sh(t, "ip", "link", "set", can0, "up")
	sh(t, "ip", "-n", a, "link", "set", can1, "up")
	gatewaytest.WaitFor(t, 30*time.Second, "the TIPC link between the namespaces", func() bool {
		out, _ := exec.Command("ip", "netns", "exec", a, "tipc", "link", "list").CombinedOutput()
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, va) && strings.HasSuffix(strings.TrimSpace(l), ": up") {
				return true
			}
		}
		return false
	})
	return a, b, can0, can1
}

// pythonRDM, in namespace b, binds one RDM socket per instance given in
// argv[2:] to service type argv[1] (cluster scope), prints "bound", and
// then follows commands on stdin:
//
//	send T I    send a cannelloni datagram of three frames (0x123,
//	            0x1ABCDEF0, 0x555) from the first socket to service {T, I}
//	recv        print "got INSTANCE SRCNODE HEX" for one datagram on each socket
//	close       close the last socket
const pythonRDM = `
import socket, struct, sys
typ = int(sys.argv[1])
socks = []
for inst in sys.argv[2:]:
    s = socket.socket(socket.AF_TIPC, socket.SOCK_RDM)
    s.bind((socket.TIPC_ADDR_NAMESEQ, typ, int(inst), int(inst)))
    s.settimeout(60)
    socks.append((inst, s))
print("bound")
for line in sys.stdin:
    cmd = line.split()
    if cmd[0] == "send":
        frames = (struct.pack(">IB", 0x123, 4) + bytes.fromhex("deadbeef") +
                  struct.pack(">IB", 0x80000000 | 0x1ABCDEF0, 8) + bytes(range(1, 9)) +
                  struct.pack(">IB", 0x555, 1) + b"\x55")
        d = struct.pack(">BBBH", 2, 0, 7, 3) + frames
        socks[0][1].sendto(d, (socket.TIPC_ADDR_NAME, int(cmd[1]), int(cmd[2]), 0))
        print("sent")
    elif cmd[0] == "recv":
        for inst, s in socks:
            d, src = s.recvfrom(66000)
            print("got", inst, src[1], d.hex())
    elif cmd[0] == "close":
        socks.pop()[1].close()
        print("closed")
`

// TestHILRDMCluster: two TIPC nodes in two network namespaces joined by a
// veth bearer. The gateway runs in namespace a (a helper process: sockets
// belong to the namespace of the thread that makes them), with a can
// endpoint on a vxcan end and a tipc rdm endpoint that publishes
// {18910, 1} and multicasts to {18911, 0..99}; Python's TIPC RDM sockets in
// namespace b publish instances 10 and 20 of 18911.
//
// The topology service reports both Python sockets as peers up (peers 2,
// connects 2, logged); Python's datagram reaches the bus byte for byte,
// but for the frame the allow list does not name; a frame from the bus
// reaches both Python sockets as one cannelloni datagram each, byte for
// byte, from node a. When Python closes one socket the peer goes down
// (peers 1, logged), and when it exits both; a frame sent then is a
// no_peer drop.
func TestHILRDMCluster(t *testing.T) {
	a, b, can0, can1 := cluster(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	gwCfg := fmt.Sprintf(`
endpoints:
  bus: {kind: can, interface: %s}
  link: {kind: tipc, socket: rdm, service: {type: 18910, instance: 1}, to: {type: 18911, lower: 0, upper: 99}}
routes:
  - {name: in, from: [link], to: [bus], allow: [123, 1ABCDEF0]}
  - {name: out, from: [bus], to: [link]}
`, can1)
	g := nsGateway{peer.StartEnv(t, append(os.Environ(), helperEnv+"="+gwCfg), "ip", "netns", "exec", a, exe, "-test.run=^TestHILNetnsHelper$")}
	g.p.Expect(t, "ready", 60*time.Second)

	py := peer.Start(t, "ip", "netns", "exec", b, peer.Python, "-u", "-c", pythonRDM, "18911", "10", "20")
	py.Expect(t, "bound", 60*time.Second)
	g.waitStatus(t, "both Python sockets as peers", func(s map[string]gateway.EndpointStatus) bool {
		return s["link"].Peers == 2 && s["link"].Connects == 2
	})

	dump := peer.Start(t, "candump", "-L", "-n", "2", can0)
	time.Sleep(300 * time.Millisecond)
	fmt.Fprintln(py.In(), "send 18910 1")
	py.Expect(t, "sent", 30*time.Second)
	if got, want := strings.Join(gatewaytest.CandumpFrames(t, dump, 2), " "), "123#DEADBEEF 1ABCDEF0#0102030405060708"; got != want {
		t.Fatalf("%s got %s, want %s", can0, got, want)
	}

	fmt.Fprintln(py.In(), "recv")
	peer.Run(t, "cansend", can0, "456#0102030405060708")
	// cannelloni v2: version 2, op 0, sequence 0 (the gateway's first
	// datagram), one frame; the frame: ID, length, data.
	const want = "020000000100000456080102030405060708"
	var srcNode string
	for _, inst := range []string{"10", "20"} {
		f := py.Fields(t, "got", 30*time.Second)
		if len(f) != 3 || f[0] != inst || f[2] != want {
			t.Fatalf("python: got %v, want %s <node> %s", f, inst, want)
		}
		if srcNode != "" && f[1] != srcNode {
			t.Errorf("the two copies came from nodes %s and %s", srcNode, f[1])
		}
		srcNode = f[1]
	}
	s := g.waitStatus(t, "the counters", func(s map[string]gateway.EndpointStatus) bool {
		return s["link"].FramesOut == 1 && s["bus"].FramesOut == 2
	})
	if l, bus := s["link"], s["bus"]; l.FramesIn != 3 || l.SeqGaps != 0 || bus.FramesIn != 1 {
		t.Errorf("link in %d, seq gaps %d, bus in %d; want 3, 0, 1", l.FramesIn, l.SeqGaps, bus.FramesIn)
	}
	if n := s["link"].Dropped["not_allowed"] + s["bus"].Dropped["not_allowed"]; n != 1 {
		t.Errorf("not_allowed drops %d, want 1 (frame 0x555)", n)
	}

	fmt.Fprintln(py.In(), "close")
	py.Expect(t, "closed", 30*time.Second)
	g.waitStatus(t, "one peer down", func(s map[string]gateway.EndpointStatus) bool { return s["link"].Peers == 1 })
	py.CloseInput()
	py.Wait()
	g.waitStatus(t, "no peer", func(s map[string]gateway.EndpointStatus) bool { return s["link"].Peers == 0 })
	peer.Run(t, "cansend", can0, "457#01")
	s = g.waitStatus(t, "the frame without a peer to be counted", func(s map[string]gateway.EndpointStatus) bool {
		return s["link"].Dropped["no_peer"] == 1
	})
	if c := s["link"].Connects; c != 2 {
		t.Errorf("connects %d, want 2", c)
	}
	log := g.p.Stderr()
	if up, down := strings.Count(log, `msg="peer up"`), strings.Count(log, `msg="peer down"`); up != 2 || down != 2 {
		t.Errorf("log has %d peer up and %d peer down lines, want 2 each:\n%s", up, down, log)
	}
	t.Logf("two nodes: Python's datagram → %s byte for byte; %s → one datagram to each of 2 sockets of {18911,0-99} from node %s; peers up 2, down 2; no_peer after", can1, can0, srcNode)
}

// pythonReply binds nothing: it sends one cannelloni datagram to service
// {argv[1], argv[2]} and prints the datagram that comes back.
const pythonReply = `
import socket, struct, sys
s = socket.socket(socket.AF_TIPC, socket.SOCK_RDM)
s.settimeout(60)
d = struct.pack(">BBBH", 2, 0, 0, 1) + struct.pack(">IB", 0x321, 2) + b"\x01\x02"
s.sendto(d, (socket.TIPC_ADDR_NAME, int(sys.argv[1]), int(sys.argv[2]), 0))
print("sent")
d, src = s.recvfrom(66000)
print("got", d.hex())
`

// TestHILRDMReply: an rdm endpoint without to: answers the socket it heard
// from last. Python's unbound socket sends to the gateway's service; its
// frame reaches vcan0, and the frame from vcan0 comes back to Python's
// socket. On one node, in this process.
func TestHILRDMReply(t *testing.T) {
	g := gatewaytest.Start(t, "gw", `
endpoints:
  bus: {kind: can, interface: vcan0}
  link: {kind: tipc, socket: rdm, service: {type: 18920, instance: 4}, scope: node}
routes:
  - {name: in, from: [link], to: [bus], allow: [321]}
  - {name: out, from: [bus], to: [link]}
`)
	dump := peer.Start(t, "candump", "-L", "-n", "1", "vcan0")
	time.Sleep(300 * time.Millisecond)
	py := peer.StartPython(t, pythonReply, "18920", "4")
	py.Expect(t, "sent", 60*time.Second)
	if f := gatewaytest.CandumpFrames(t, dump, 1); f[0] != "321#0102" {
		t.Fatalf("vcan0 got %s, want 321#0102", f[0])
	}
	gatewaytest.WaitFor(t, 10*time.Second, "the frame to be counted", func() bool { return g.Endpoint("link").FramesIn == 1 })
	peer.Run(t, "cansend", "vcan0", "654#AABB")
	if s, want := py.Line(t, 30*time.Second), "got 020000000100000654"+"02aabb"; s != want {
		t.Fatalf("python: %q, want %q", s, want)
	}
	gatewaytest.WaitFor(t, 10*time.Second, "the counters", func() bool { return g.Endpoint("link").FramesOut == 1 })
	g.NoDrops(t)
	if p := g.Endpoint("link").Peers; p != 0 {
		t.Errorf("peers %d: without to: the topology is not watched", p)
	}
}
