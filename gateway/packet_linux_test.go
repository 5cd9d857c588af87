//go:build linux && !hil

package gateway

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/internal/netnstest"
	"github.com/fieldgate/fieldgate/packet"
	"github.com/fieldgate/fieldgate/packet/packettest"
)

// pktNet is a network namespace with two veth pairs, p0a <-> p0b and
// p1a <-> p1b, up, IPv6 off (the kernel sends nothing of its own), lo up.
// The test injects on p0a and sniffs on p1a; the gateway uses p0b and p1b.
// The namespace is deleted when the test ends, pass or fail.
type pktNet struct {
	*netnstest.Net
	name string
}

func newPktNet(t *testing.T, mtu0 int) *pktNet {
	t.Helper()
	n := netnstest.New(t, "fggw",
		netnstest.Pair{A: "p0a", B: "p0b", MACA: "02:00:00:00:00:0a", MACB: "02:00:00:00:00:0b", MTU: mtu0},
		netnstest.Pair{A: "p1a", B: "p1b", MACA: "02:00:00:00:01:0a", MACB: "02:00:00:00:01:0b", MTU: 1500})
	return &pktNet{Net: n, name: n.Name}
}

// do runs f on an OS thread inside the namespace and returns its error.
// Sockets created there stay in the namespace.
func (n *pktNet) do(f func() error) error { return n.Do(f) }

// listen opens a ring-less packet socket on iface in the namespace that
// ignores frames this host sends.
func (n *pktNet) listen(t *testing.T, iface string) *packet.Conn {
	t.Helper()
	var c *packet.Conn
	err := n.do(func() error {
		ifi, err := net.InterfaceByName(iface)
		if err != nil {
			return err
		}
		c, err = packet.Listen(ifi, &packet.Config{IgnoreOutgoing: true, ReadBuffer: 8 << 20})
		return err
	})
	if err != nil {
		t.Fatalf("listen %s: %v", iface, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// start runs a gateway whose sockets live in the namespace.
func (n *pktNet) start(t *testing.T, yaml string) *Gateway {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	g := New(nil)
	ctx, cancel := context.WithCancel(context.Background())
	if err := n.do(func() error { return g.Start(ctx, cfg) }); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Shutdown(); cancel() })
	return g
}

// countVLAN counts the 802.1Q-tagged frames.
func countVLAN(fs [][]byte) int {
	n := 0
	for _, f := range fs {
		if len(f) >= 14 && f[12] == 0x81 && f[13] == 0x00 {
			n++
		}
	}
	return n
}

// readPcapng returns the records of an Ethernet-only pcapng file.
func readPcapng(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := packet.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for {
		rec, err := r.ReadPacket()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, append([]byte(nil), rec.Data...))
	}
	for _, ifc := range r.Interfaces() {
		if ifc.LinkType != packet.LinkTypeEthernet || ifc.Name != "lan0" {
			t.Errorf("pcapng interface %+v", ifc)
		}
	}
	return out
}

func epStatus(g *Gateway, name string) EndpointStatus {
	for _, e := range g.Status().Endpoints {
		if e.Name == name {
			return e
		}
	}
	return EndpointStatus{}
}

func compareFrames(t *testing.T, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("received %d frames, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("frame %d: got %d bytes % x..., want %d bytes % x...", i, len(got[i]), got[i][:min(20, len(got[i]))], len(want[i]), want[i][:min(20, len(want[i]))])
		}
	}
}

// TestPacketBridge bridges two veth interfaces in both directions through
// packet endpoints with a tcpdump filter on the source: exactly the
// matching frames arrive, byte for byte and in order, VLAN-tagged ones with
// their tag; a frame longer than
// frame.MaxData is an oversize drop at the source, one longer than the
// destination's MTU an oversize drop at the destination; the gateway's own
// transmissions are not received again (no loop); every counter is exact.
func TestPacketBridge(t *testing.T) {
	n := newPktNet(t, 9000)
	pcap := filepath.Join(t.TempDir(), "lan0.pcapng")
	g := n.start(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  lan0: {kind: packet, interface: p0b, promiscuous: true, filter: "ether proto 0x88b5 or (vlan 5 and ether proto 0x88b5)"}
  lan1: {kind: packet, interface: p1b}
  cap: {kind: capture, path: %q}
routes:
  - {name: fwd, from: [lan0], to: [lan1]}
  - {name: back, from: [lan1], to: [lan0]}
  - {name: rec, from: [lan0], to: [cap]}
`, pcap))
	inj := n.listen(t, "p0a")
	snf := n.listen(t, "p1a")
	var want [][]byte
	sent := 0
	for i := range 200 {
		et := uint16(0x88b5)
		if i%4 == 3 {
			et = 0x88b6 // filtered out by the kernel
		}
		f := packettest.EthFrame(et, 14+(i*37)%1487, i)
		if i%10 == 5 || i%10 == 6 {
			// 802.1Q tag, VLAN 5 (bridged) or 6 (filtered out): the
			// kernel strips it on p0b, the ring restores it, so it
			// crosses as it was on the wire.
			f = append(f[:12:12], append([]byte{0x81, 0x00, 0x20, byte(i % 10)}, f[12:]...)...)
			if i%10 == 6 {
				et = 0
			}
		}
		if _, err := inj.Write(f); err != nil {
			t.Fatal(err)
		}
		sent++
		if et == 0x88b5 {
			want = append(want, f)
		}
	}
	if vlans := countVLAN(want); vlans != 10 {
		t.Fatalf("%d tagged frames expected to cross, want 10", vlans)
	}
	// Larger than frame.MaxData: dropped at the source. Larger than p1b's MTU
	// (but not than p0b's): dropped at the destination.
	for _, f := range [][]byte{packettest.EthFrame(0x88b5, 5000, 1000), packettest.EthFrame(0x88b5, 2000, 1001)} {
		if _, err := inj.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	got := packettest.Sniff(t, snf, len(want), 300*time.Millisecond)
	compareFrames(t, got, want)
	waitFor(t, "route counters", func() bool {
		r := g.Status().Routes[0]
		return r.In == uint64(len(want))+1 && r.Out+DroppedTotal(r.Dropped) == r.In
	})
	st := g.Status()
	fwd, back := st.Routes[0], st.Routes[1]
	if fwd.Out != uint64(len(want)) || fwd.Dropped["oversize"] != 1 || DroppedTotal(fwd.Dropped) != 1 {
		t.Errorf("route fwd: in %d out %d dropped %v", fwd.In, fwd.Out, fwd.Dropped)
	}
	if back.In != 0 || back.Out != 0 {
		t.Errorf("route back carried frames (a loop): %+v", back)
	}
	l0, l1 := epStatus(g, "lan0"), epStatus(g, "lan1")
	if l0.FramesIn != uint64(len(want))+1 || l0.FramesOut != 0 || l0.Dropped["oversize"] != 1 || DroppedTotal(l0.Dropped) != 1 {
		t.Errorf("lan0: %+v", l0)
	}
	var wantBytes uint64
	for _, f := range want {
		wantBytes += uint64(len(f))
	}
	if l1.FramesIn != 0 || l1.FramesOut != uint64(len(want)) || l1.BytesOut != wantBytes || l1.Dropped["oversize"] != 1 || DroppedTotal(l1.Dropped) != 1 {
		t.Errorf("lan1: %+v (want bytes out %d)", l1, wantBytes)
	}
	// A frame another socket of this host transmits on p1b is outgoing
	// there: lan1 does not receive it, so route back forwards nothing.
	local := n.listen(t, "p1b")
	own := packettest.EthFrame(0x88b5, 100, 2000)
	if _, err := local.Write(own); err != nil {
		t.Fatal(err)
	}
	compareFrames(t, packettest.Sniff(t, snf, 1, 100*time.Millisecond), [][]byte{own})
	// Nothing came back to the injecting side.
	if back := packettest.Sniff(t, inj, 0, 100*time.Millisecond); len(back) != 0 {
		t.Errorf("%d frames came back on p0a", len(back))
	}
	if back := g.Status().Routes[1]; back.In != 0 || epStatus(g, "lan1").FramesIn != 0 {
		t.Errorf("lan1 received the host's own transmission: route back %+v", back)
	}
	// The capture endpoint recorded what lan0 received: the forwarded
	// frames and the one lan1 could not send, as Ethernet records.
	waitFor(t, "capture", func() bool { return g.Status().Routes[2].Out == uint64(len(want))+1 })
	g.Shutdown()
	recs := readPcapng(t, pcap)
	compareFrames(t, recs[:min(len(recs), len(want))], want)
	if len(recs) != len(want)+1 || len(recs[len(recs)-1]) != 2000 {
		t.Errorf("capture holds %d records, want %d", len(recs), len(want)+1)
	}
	t.Logf("sent %d frames (+2 oversize), %d matched the filter and arrived byte-exact; lan0 %v, lan1 %v", sent, len(got), l0.Dropped, l1.Dropped)
}

// TestPacketUDPTunnel carries Ethernet frames packet → udp → packet
// between two gateways: frames arrive byte-exact and in order; the
// receiving route writes only the allowed ethertype (the other is
// not_allowed); a frame too long for the link's datagram size is an
// oversize drop at the sending udp endpoint.
func TestPacketUDPTunnel(t *testing.T) {
	n := newPktNet(t, 9000)
	a := n.start(t, `
admin: {listen: ""}
endpoints:
  lan: {kind: packet, interface: p0b, filter: "ether proto 0x88b5 or ether proto 0x88b7"}
  link: {kind: udp, listen: "127.0.0.1:21001", peer: "127.0.0.1:21002", queue: {size: 4096}}
routes:
  - {name: up, from: [lan], to: [link]}
  - {name: back, from: [link], to: [lan], allow: [any]}
`)
	// B has no peer: it answers the address A's datagrams come from.
	b := n.start(t, `
admin: {listen: ""}
endpoints:
  link: {kind: udp, listen: "127.0.0.1:21002"}
  lan: {kind: packet, interface: p1b, filter: "ether proto 0x88b8", queue: {size: 4096}}
routes:
  - {name: down, from: [link], to: [lan], allow: [0x88b5]}
  - {name: back, from: [lan], to: [link]}
`)
	inj := n.listen(t, "p0a")
	snf := n.listen(t, "p1a")
	var want [][]byte
	tunnelled, other := 0, 0
	for i := range 300 {
		et := uint16(0x88b5)
		switch i % 5 {
		case 3:
			et = 0x88b6 // not matched by A's filter
		case 4:
			et = 0x88b7 // tunnelled, not allowed onto B's interface
			other++
		}
		f := packettest.EthFrame(et, 14+(i*53)%1444, i) // fits 1472 - 14 bytes of framing
		if _, err := inj.Write(f); err != nil {
			t.Fatal(err)
		}
		if et == 0x88b5 {
			want = append(want, f)
		}
		if et != 0x88b6 {
			tunnelled++
		}
		if i%50 == 49 {
			time.Sleep(2 * time.Millisecond) // stay within the sniffer's socket buffer
		}
	}
	// 1459 bytes + 14 bytes of OpPDU framing exceed the 1472-byte datagram
	// of mtu 1500.
	if _, err := inj.Write(packettest.EthFrame(0x88b5, 1459, 999)); err != nil {
		t.Fatal(err)
	}
	got := packettest.Sniff(t, snf, len(want), 300*time.Millisecond)
	compareFrames(t, got, want)
	waitFor(t, "counters", func() bool {
		r := b.Status().Routes[0]
		return r.In == uint64(tunnelled) && r.Out+DroppedTotal(r.Dropped) == r.In
	})
	al, alink := epStatus(a, "lan"), epStatus(a, "link")
	bl, blink := epStatus(b, "lan"), epStatus(b, "link")
	if al.FramesIn != uint64(tunnelled)+1 || DroppedTotal(al.Dropped) != 0 {
		t.Errorf("A lan: %+v", al)
	}
	if alink.FramesOut != uint64(tunnelled) || alink.Dropped["oversize"] != 1 || DroppedTotal(alink.Dropped) != 1 {
		t.Errorf("A link: %+v", alink)
	}
	if blink.FramesIn != uint64(tunnelled) || blink.SeqGaps != 0 || DroppedTotal(blink.Dropped) != 0 {
		t.Errorf("B link: %+v", blink)
	}
	r := b.Status().Routes[0]
	if r.Out != uint64(len(want)) || r.Dropped["not_allowed"] != uint64(other) || DroppedTotal(r.Dropped) != uint64(other) {
		t.Errorf("B route: in %d out %d dropped %v", r.In, r.Out, r.Dropped)
	}
	if bl.FramesOut != uint64(len(want)) || bl.Dropped["not_allowed"] != uint64(other) {
		t.Errorf("B lan: %+v", bl)
	}
	// The other way: B learned A's address from A's datagrams.
	var ret [][]byte
	for i := range 20 {
		f := packettest.EthFrame(0x88b8, 100+i, 3000+i)
		if _, err := snf.Write(f); err != nil {
			t.Fatal(err)
		}
		ret = append(ret, f)
	}
	compareFrames(t, packettest.Sniff(t, inj, len(ret), 300*time.Millisecond), ret)
	t.Logf("tunnelled %d frames (+1 oversize), %d allowed arrived byte-exact, %d not_allowed; %d back", tunnelled, len(got), other, len(ret))
}

// TestPacketLinkDownUp takes the destination interface down (writes are
// link_down drops, counted exactly) and the source interface down and up
// again (the ring socket resumes: frames flow as before). The destination,
// which no route reads, receives nothing meanwhile.
func TestPacketLinkDownUp(t *testing.T) {
	n := newPktNet(t, 1500)
	g := n.start(t, `
admin: {listen: ""}
endpoints:
  lan0: {kind: packet, interface: p0b}
  lan1: {kind: packet, interface: p1b}
routes:
  - {name: fwd, from: [lan0], to: [lan1]}
`)
	inj := n.listen(t, "p0a")
	snf := n.listen(t, "p1a")
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", append([]string{"-n", n.name}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v\n%s", args, err, out)
		}
	}
	send := func(base, count int) [][]byte {
		t.Helper()
		var fs [][]byte
		for i := range count {
			f := packettest.EthFrame(0x88b5, 60+i, base+i)
			if _, err := inj.Write(f); err != nil {
				t.Fatal(err)
			}
			fs = append(fs, f)
		}
		return fs
	}
	want := send(0, 10)
	compareFrames(t, packettest.Sniff(t, snf, 10, 100*time.Millisecond), want)
	// No route reads lan1: its socket accepts nothing (SetIdle), so a frame
	// arriving on p1b is neither received nor counted as no_route.
	if _, err := snf.Write(packettest.EthFrame(0x88b5, 80, 50)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if l1 := epStatus(g, "lan1"); l1.FramesIn != 0 || l1.Dropped["no_route"] != 0 {
		t.Errorf("idle lan1 received: %+v", l1)
	}

	ip("link", "set", "p1b", "down")
	send(100, 20)
	waitFor(t, "link_down drops", func() bool { return epStatus(g, "lan1").Dropped["link_down"] == 20 })
	ip("link", "set", "p1b", "up")
	n.WaitUp(t, "p1a", "p1b")
	want = send(200, 10)
	compareFrames(t, packettest.Sniff(t, snf, 10, 100*time.Millisecond), want)

	ip("link", "set", "p0b", "down")
	ip("link", "set", "p0b", "up")
	n.WaitUp(t, "p0a", "p0b")
	want = send(300, 10)
	compareFrames(t, packettest.Sniff(t, snf, 10, 100*time.Millisecond), want)

	l0, l1 := epStatus(g, "lan0"), epStatus(g, "lan1")
	if l0.FramesIn != 50 || l1.FramesOut != 30 || l1.Dropped["link_down"] != 20 || DroppedTotal(l1.Dropped) != 20 {
		t.Errorf("lan0 %+v\nlan1 %+v", l0, l1)
	}
}

// TestPacketInterfaceRecreated deletes the veth pair under both endpoints
// and creates it again: the endpoints reopen their sockets on the new
// interfaces and frames flow again, byte-exact.
func TestPacketInterfaceRecreated(t *testing.T) {
	n := newPktNet(t, 1500)
	g := n.start(t, `
admin: {listen: ""}
endpoints:
  lan0: {kind: packet, interface: p0b}
  lan1: {kind: packet, interface: p1b}
routes:
  - {name: fwd, from: [lan0], to: [lan1]}
`)
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", append([]string{"-n", n.name}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v\n%s", args, err, out)
		}
	}
	ip("link", "del", "p0a") // takes p0b with it
	ip("link", "del", "p1a")
	time.Sleep(1500 * time.Millisecond) // the receivers notice within linkCheckInterval
	ip("link", "add", "p0a", "type", "veth", "peer", "name", "p0b")
	ip("link", "add", "p1a", "type", "veth", "peer", "name", "p1b")
	for _, l := range []string{"p0a", "p0b", "p1a", "p1b"} {
		ip("link", "set", l, "up")
	}
	n.WaitUp(t, "p0a", "p0b", "p1a", "p1b")
	inj := n.listen(t, "p0a")
	snf := n.listen(t, "p1a")
	// Until both receivers have reopened, frames are lost: send until one
	// arrives, then a numbered batch that must arrive whole.
	buf := make([]byte, 2048)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := inj.Write(packettest.EthFrame(0x88b5, 60, 0)); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		_, err := snf.ReadPacket(ctx, buf)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no frame after the interfaces came back: lan0 %+v lan1 %+v", epStatus(g, "lan0"), epStatus(g, "lan1"))
		}
	}
	packettest.Sniff(t, snf, 0, 100*time.Millisecond) // stragglers of the probe loop
	var want [][]byte
	for i := range 20 {
		f := packettest.EthFrame(0x88b5, 60+i, 100+i)
		if _, err := inj.Write(f); err != nil {
			t.Fatal(err)
		}
		want = append(want, f)
	}
	compareFrames(t, packettest.Sniff(t, snf, 20, 100*time.Millisecond), want)
}

// TestPacketStreamTunnel carries Ethernet frames packet → stream → packet
// over a cannelloni stream link (unix here: the client's dial runs outside
// the test's network namespace, a unix path does not care) with
// fieldgate's PDU records (pdus: true on both ends), both ways through the
// one connection: frames up to 4013 bytes cross, arrive byte-exact and in
// order where the destination MTU allows, the longer ones are oversize
// drops there, counted exactly.
func TestPacketStreamTunnel(t *testing.T) {
	n := newPktNet(t, 9000)
	sock := filepath.Join(t.TempDir(), "link.sock")
	a := n.start(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  lan: {kind: packet, interface: p0b}
  link: {kind: unix, mode: server, path: %q, pdus: true, queue: {size: 4096}}
routes:
  - {name: up, from: [lan], to: [link]}
  - {name: back, from: [link], to: [lan], allow: [any]}
`, sock))
	b := n.start(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  link: {kind: unix, mode: client, path: %q, pdus: true}
  lan: {kind: packet, interface: p1b, queue: {size: 4096}}
routes:
  - {name: down, from: [link], to: [lan], allow: [0x88b5]}
  - {name: back, from: [lan], to: [link]}
`, sock))
	waitPeers(t, a, "link", 1)
	inj := n.listen(t, "p0a")
	snf := n.listen(t, "p1a")
	var want [][]byte
	for i := range 300 {
		f := packettest.EthFrame(0x88b5, 14+(i*59)%4000, i) // up to 4013 bytes: p0b's MTU is 9000
		if _, err := inj.Write(f); err != nil {
			t.Fatal(err)
		}
		want = append(want, f)
		if i%50 == 49 {
			time.Sleep(2 * time.Millisecond)
		}
	}
	// p1b's MTU is 1500: longer frames are oversize drops there.
	var fit [][]byte
	for _, f := range want {
		if len(f) <= 1514 {
			fit = append(fit, f)
		}
	}
	got := packettest.Sniff(t, snf, len(fit), 300*time.Millisecond)
	compareFrames(t, got, fit)
	waitFor(t, "counters", func() bool {
		r := b.Status().Routes[0]
		return r.In == uint64(len(want)) && r.Out+DroppedTotal(r.Dropped) == r.In
	})
	if r := b.Status().Routes[0]; r.Out != uint64(len(fit)) || r.Dropped["oversize"] != uint64(len(want)-len(fit)) || DroppedTotal(r.Dropped) != uint64(len(want)-len(fit)) {
		t.Errorf("B route: in %d out %d dropped %v", r.In, r.Out, r.Dropped)
	}
	if al := epStatus(a, "link"); al.FramesOut != uint64(len(want)) || DroppedTotal(al.Dropped) != 0 {
		t.Errorf("A link: %+v", al)
	}
	// The other way, through the same connection.
	var ret [][]byte
	for i := range 20 {
		f := packettest.EthFrame(0x88b8, 100+i, 3000+i)
		if _, err := snf.Write(f); err != nil {
			t.Fatal(err)
		}
		ret = append(ret, f)
	}
	compareFrames(t, packettest.Sniff(t, inj, len(ret), 300*time.Millisecond), ret)
	t.Logf("%d frames through the unix stream link, %d fit p1b and arrived byte-exact, %d back", len(want), len(got), len(ret))
}
