//go:build linux && !hil

package packet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/internal/netnstest"
	afpacket "github.com/fieldgate/fieldgate/packet"
	"github.com/fieldgate/fieldgate/packet/packettest"
)

// These tests run the kind alone, without the gateway engine: endpoints are
// opened with open in a network namespace with two veth pairs, and the
// test forwards what one receives to the other as the engine would. The
// engine-driven packet tests are in package gateway.

// pktNet is a network namespace with two veth pairs, p0a <-> p0b (MTU
// 9000) and p1a <-> p1b (MTU 1500), up, IPv6 off (the kernel sends nothing
// of its own). The test injects on p0a and sniffs on p1a; the endpoints
// use p0b and p1b. The namespace is deleted when the test ends.
type pktNet struct {
	*netnstest.Net
	name string
}

func newPktNet(t *testing.T) *pktNet {
	t.Helper()
	n := netnstest.New(t, "fgpk",
		netnstest.Pair{A: "p0a", B: "p0b", MACA: "02:00:00:00:00:0a", MACB: "02:00:00:00:00:0b", MTU: 9000},
		netnstest.Pair{A: "p1a", B: "p1b", MACA: "02:00:00:00:01:0a", MACB: "02:00:00:00:01:0b", MTU: 1500})
	return &pktNet{Net: n, name: n.Name}
}

func (n *pktNet) ip(t *testing.T, args ...string) {
	t.Helper()
	netnstest.Run(t, "ip", args...)
}

func (n *pktNet) waitUp(t *testing.T, links ...string) {
	t.Helper()
	n.WaitUp(t, links...)
}

// do runs f on an OS thread inside the namespace.
func (n *pktNet) do(f func() error) error { return n.Do(f) }

// listen opens a ring-less socket on iface that ignores frames this host
// sends, for injecting and sniffing.
func (n *pktNet) listen(t *testing.T, iface string) *afpacket.Conn {
	t.Helper()
	var c *afpacket.Conn
	err := n.do(func() error {
		ifi, err := net.InterfaceByName(iface)
		if err != nil {
			return err
		}
		c, err = afpacket.Listen(ifi, &afpacket.Config{IgnoreOutgoing: true, ReadBuffer: 8 << 20})
		return err
	})
	if err != nil {
		t.Fatalf("listen %s: %v", iface, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// open opens a packet endpoint decoded from yaml (the fields of one
// endpoint) in the namespace.
func (n *pktNet) open(t *testing.T, name, fields string) (*packetConn, *endpoint.Env) {
	t.Helper()
	c, err := config.Parse("t.yaml", []byte(fmt.Sprintf("endpoints:\n  %s: {kind: packet, %s}\n  other: {kind: packet, interface: x}\nroutes: [{from: [%s], to: [other]}]\n", name, fields, name)))
	if err != nil {
		t.Fatal(err)
	}
	env := &endpoint.Env{Name: name, Stats: &endpoint.Stats{}, Log: slog.New(slog.DiscardHandler)}
	var tr endpoint.Transceiver
	if err := n.do(func() (err error) { tr, err = endpoint.Open(context.Background(), c.Endpoint(name), env); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr.(*packetConn), env
}

func ethernet(b []byte) frame.Frame {
	f := frame.Frame{Type: frame.Ethernet}
	f.Len = uint16(copy(f.Data[:], b))
	return f
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

// receiver runs c's Receive until the test ends and collects the frames.
type receiver struct {
	mu     sync.Mutex
	frames [][]byte
}

func receive(t *testing.T, c *packetConn) *receiver {
	r := &receiver{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- c.Receive(ctx, func(fs []frame.Frame) {
			r.mu.Lock()
			defer r.mu.Unlock()
			for i := range fs {
				if fs[i].Type != frame.Ethernet || fs[i].Time == 0 {
					t.Errorf("received %+v", fs[i].Type)
				}
				r.frames = append(r.frames, append([]byte(nil), fs[i].Data[:fs[i].Len]...))
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Receive: %v", err)
		}
	})
	return r
}

// wait waits up to timeout for n frames, then a little longer for any
// extra frame, and returns what has arrived.
func (r *receiver) wait(t *testing.T, n int, timeout time.Duration) [][]byte {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r.mu.Lock()
		got := len(r.frames)
		r.mu.Unlock()
		if got >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // any extra frame
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.frames...)
}

// TestReceive: the endpoint receives exactly the frames its tcpdump filter
// matches, byte for byte and in order, VLAN tags restored; a frame longer
// than MaxData is an oversize drop; frames this host sends on the
// interface are not received.
func TestReceive(t *testing.T) {
	n := newPktNet(t)
	lan0, env := n.open(t, "lan0", `interface: p0b, promiscuous: true, filter: "ether proto 0x88b5 or (vlan 5 and ether proto 0x88b5)"`)
	r := receive(t, lan0)
	inj := n.listen(t, "p0a")
	var want [][]byte
	for i := range 200 {
		et := uint16(0x88b5)
		if i%4 == 3 {
			et = 0x88b6 // filtered out by the kernel
		}
		f := packettest.EthFrame(et, 14+(i*37)%1487, i)
		if i%10 == 5 || i%10 == 6 {
			// 802.1Q tag, VLAN 5 (matched) or 6 (filtered out).
			f = append(f[:12:12], append([]byte{0x81, 0x00, 0x20, byte(i % 10)}, f[12:]...)...)
			if i%10 == 6 {
				et = 0
			}
		}
		if _, err := inj.Write(f); err != nil {
			t.Fatal(err)
		}
		if et == 0x88b5 {
			want = append(want, f)
		}
	}
	if _, err := inj.Write(packettest.EthFrame(0x88b5, 5000, 1000)); err != nil {
		t.Fatal(err)
	}
	compareFrames(t, r.wait(t, len(want), 10*time.Second), want)
	if d := env.Stats.Drops.Snapshot(); len(d) != 1 || d["oversize"] != 1 {
		t.Errorf("drops %v, want oversize 1", d)
	}
	// A frame the endpoint itself sends on p0b is outgoing there.
	if sent, err := lan0.Send(context.Background(), []frame.Frame{ethernet(packettest.EthFrame(0x88b5, 100, 2000))}); sent != 1 || err != nil {
		t.Fatalf("Send: %d, %v", sent, err)
	}
	if got := r.wait(t, len(want)+1, 300*time.Millisecond); len(got) != len(want) {
		t.Errorf("the endpoint received its own transmission: %d frames", len(got)-len(want))
	}
}

// TestSend: frames are written in batches byte-exact; a frame longer than
// the interface MTU is an oversize drop of that one frame, a non-Ethernet
// frame unsupported, a frame shorter than a header malformed; a down
// interface makes the batch link_down drops; the endpoint sends again
// once it is up.
func TestSend(t *testing.T) {
	n := newPktNet(t)
	lan1, _ := n.open(t, "lan1", "interface: p1b")
	snf := n.listen(t, "p1a")
	ctx := context.Background()
	var want [][]byte
	var fs []frame.Frame
	for i := range 150 {
		b := packettest.EthFrame(0x88b5, 14+(i*41)%1500, i)
		want = append(want, b)
		fs = append(fs, ethernet(b))
	}
	if sent, err := lan1.Send(ctx, fs); sent != len(fs) || err != nil {
		t.Fatalf("Send: %d of %d, %v", sent, len(fs), err)
	}
	compareFrames(t, packettest.Sniff(t, snf, len(want), 100*time.Millisecond), want)

	can := frame.Frame{Type: frame.CAN, Len: 8}
	for _, tc := range []struct {
		name   string
		f      frame.Frame
		reason endpoint.Reason
	}{
		{"over MTU", ethernet(packettest.EthFrame(0x88b5, 2000, 1)), endpoint.ReasonOversize},
		{"CAN", can, endpoint.ReasonUnsupported},
		{"short", ethernet(packettest.EthFrame(0x88b5, 13, 1)), endpoint.ReasonMalformed},
	} {
		ok := ethernet(packettest.EthFrame(0x88b5, 60, 2))
		sent, err := lan1.Send(ctx, []frame.Frame{ok, tc.f, ok})
		var de *endpoint.DropError
		if sent != 1 || !errors.As(err, &de) || de.Reason != tc.reason || !de.One {
			t.Errorf("%s: sent %d, %v", tc.name, sent, err)
		}
	}
	if got := packettest.Sniff(t, snf, 3, 50*time.Millisecond); len(got) != 3 {
		t.Errorf("%d frames before the failing ones, want 3", len(got))
	}

	n.ip(t, "-n", n.name, "link", "set", "p1b", "down")
	sent, err := lan1.Send(ctx, fs[:20])
	var de *endpoint.DropError
	if sent != 0 || !errors.As(err, &de) || de.Reason != endpoint.ReasonLinkDown || de.One {
		t.Errorf("down: sent %d, %v", sent, err)
	}
	n.ip(t, "-n", n.name, "link", "set", "p1b", "up")
	n.waitUp(t, "p1a", "p1b")
	if sent, err := lan1.Send(ctx, fs[:20]); sent != 20 || err != nil {
		t.Errorf("up again: sent %d, %v", sent, err)
	}
	compareFrames(t, packettest.Sniff(t, snf, 20, 100*time.Millisecond), want[:20])
}

// TestIdle: an idle endpoint's socket accepts nothing; made busy again it
// receives the frames of its filter.
func TestIdle(t *testing.T) {
	n := newPktNet(t)
	lan1, env := n.open(t, "lan1", `interface: p1b, filter: "ether proto 0x88b5"`)
	if err := lan1.SetIdle(true); err != nil {
		t.Fatal(err)
	}
	r := receive(t, lan1)
	snf := n.listen(t, "p1a")
	if _, err := snf.Write(packettest.EthFrame(0x88b5, 80, 1)); err != nil {
		t.Fatal(err)
	}
	if got := r.wait(t, 1, 300*time.Millisecond); len(got) != 0 {
		t.Fatalf("idle endpoint received %d frames", len(got))
	}
	if err := lan1.SetIdle(false); err != nil {
		t.Fatal(err)
	}
	want := [][]byte{packettest.EthFrame(0x88b5, 80, 2)}
	for _, f := range [][]byte{packettest.EthFrame(0x88b6, 80, 3), want[0]} {
		if _, err := snf.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	compareFrames(t, r.wait(t, 1, 10*time.Second), want)
	if d := env.Stats.Drops.Total(); d != 0 {
		t.Errorf("drops %v", env.Stats.Drops.Snapshot())
	}
}

// TestInterfaceRecreated: the receiver reopens its socket when its
// interface is deleted and created again.
func TestInterfaceRecreated(t *testing.T) {
	n := newPktNet(t)
	lan0, _ := n.open(t, "lan0", "interface: p0b")
	r := receive(t, lan0)
	n.ip(t, "-n", n.name, "link", "del", "p0a") // takes p0b with it
	time.Sleep(linkCheckInterval + 500*time.Millisecond)
	n.ip(t, "-n", n.name, "link", "add", "p0a", "type", "veth", "peer", "name", "p0b")
	n.ip(t, "-n", n.name, "link", "set", "p0a", "up")
	n.ip(t, "-n", n.name, "link", "set", "p0b", "up")
	n.waitUp(t, "p0a", "p0b")
	inj := n.listen(t, "p0a")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := inj.Write(packettest.EthFrame(0x88b5, 60, 0)); err != nil {
			t.Fatal(err)
		}
		r.mu.Lock()
		got := len(r.frames)
		r.mu.Unlock()
		if got > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no frame after the interface came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSendAllocs: writing a batch allocates nothing.
func TestSendAllocs(t *testing.T) {
	n := newPktNet(t)
	lan1, _ := n.open(t, "lan1", "interface: p1b")
	fs := make([]frame.Frame, endpoint.BatchSize)
	for i := range fs {
		fs[i] = ethernet(packettest.EthFrame(0x88b5, 60, i))
	}
	ctx := context.Background()
	if a := testing.AllocsPerRun(100, func() {
		if sent, err := lan1.Send(ctx, fs); sent != len(fs) || err != nil {
			t.Fatalf("Send: %d, %v", sent, err)
		}
		time.Sleep(time.Millisecond) // stay within the veth backlog
	}); a != 0 {
		t.Errorf("%.1f allocations per batch of %d", a, len(fs))
	}
}

// TestOpenErrors: a missing or non-Ethernet interface is an error naming
// it.
func TestOpenErrors(t *testing.T) {
	n := newPktNet(t)
	for iface, want := range map[string]string{
		"nope0": `interface nope0 does not exist`,
		"lo":    `interface "lo" is not an Ethernet interface`,
	} {
		c, err := config.Parse("t.yaml", []byte(fmt.Sprintf("endpoints:\n  a: {kind: packet, interface: %s}\n  b: {kind: packet, interface: x}\nroutes: [{from: [a], to: [b]}]\n", iface)))
		if err != nil {
			t.Fatal(err)
		}
		env := &endpoint.Env{Name: "a", Stats: &endpoint.Stats{}, Log: slog.New(slog.DiscardHandler)}
		err = n.do(func() error {
			tr, err := endpoint.Open(context.Background(), c.Endpoint("a"), env)
			if err == nil {
				tr.Close()
			}
			return err
		})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "endpoint a (packet, t.yaml:2:3)") {
			t.Errorf("%s: %v, want %q", iface, err, want)
		}
	}
}
