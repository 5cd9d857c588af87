package udp

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// coalescePair opens a udp endpoint whose peer is a plain UDP socket the
// test reads datagrams from.
func coalescePair(t *testing.T, settings string) (*udpConn, *net.UDPConn) {
	t.Helper()
	peer, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	cfg, err := config.Parse("t.yaml", []byte(fmt.Sprintf(`
endpoints:
  u: {kind: udp, listen: "127.0.0.1:0", peer: %q%s}
routes: []
`, peer.LocalAddr().String(), settings)))
	if err != nil {
		t.Fatal(err)
	}
	c, err := open(context.Background(), cfg.Endpoints[0], testEnv())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*udpConn), peer
}

// readDatagram reads the next datagram within d and returns its frame IDs and
// when it came; ok false if none came.
func readDatagram(t *testing.T, c *net.UDPConn, d time.Duration) (ids []uint32, at time.Time, ok bool) {
	t.Helper()
	buf := make([]byte, 65536)
	c.SetReadDeadline(time.Now().Add(d))
	n, err := c.Read(buf)
	if err != nil {
		return nil, time.Time{}, false
	}
	at = time.Now()
	b := buf[:n]
	count := int(binary.BigEndian.Uint16(b[3:5]))
	b = b[5:]
	for range count {
		ids = append(ids, binary.BigEndian.Uint32(b[:4]))
		l := int(b[4])
		b = b[5+l:]
	}
	return ids, at, true
}

func canFrames(ids ...uint32) []frame.Frame {
	fs := make([]frame.Frame, len(ids))
	for i, id := range ids {
		fs[i] = frame.Frame{Type: frame.CAN, ID: id, Len: 1, Data: [frame.MaxData]byte{byte(i)}}
	}
	return fs
}

func sameIDs(a []uint32, b ...uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCoalesceIdleGoesAtOnce: with flush: 0, frames on a quiet link go out
// at once, one datagram each, while the budget lasts (burstDatagrams);
// beyond it frames wait for the next slot and go together, one coalesce
// after the budget ran out, not before; with the link quiet again, frames
// go at once.
func TestCoalesceIdleGoesAtOnce(t *testing.T) {
	const coalesce = 50 * time.Millisecond
	u, peer := coalescePair(t, ", coalesce: 50ms")
	ctx := context.Background()
	// burst sends burstDatagrams frames back to back, each in a call of
	// its own, and checks that each went alone (a held frame would share
	// a datagram with the next).
	burst := func(what string, first uint32) time.Time {
		t.Helper()
		for id := first; id < first+burstDatagrams; id++ {
			if n, err := u.Send(ctx, canFrames(id)); n != 1 || err != nil {
				t.Fatalf("send: %d %v", n, err)
			}
		}
		var last time.Time
		for id := first; id < first+burstDatagrams; id++ {
			ids, at, ok := readDatagram(t, peer, time.Second)
			if !ok || !sameIDs(ids, id) {
				t.Fatalf("%s: datagram %v %v, want [%d] alone", what, ids, ok, id)
			}
			last = at
		}
		return last
	}
	start := time.Now()
	burst("quiet link", 1)
	// Budget spent: held, then sent together.
	for _, id := range []uint32{11, 12, 13} {
		if n, err := u.Send(ctx, canFrames(id)); n != 1 || err != nil {
			t.Fatalf("send: %d %v", n, err)
		}
	}
	ids, at1, ok := readDatagram(t, peer, 3*coalesce)
	if !ok || !sameIDs(ids, 11, 12, 13) {
		t.Fatalf("budget spent: datagram %v %v, want [11 12 13] in one", ids, ok)
	}
	if gap := at1.Sub(start); gap < coalesce*9/10 {
		t.Errorf("budget spent: held datagram went %v after the first, want ≥ %v", gap, coalesce)
	}
	// Quiet again: the budget refilled.
	time.Sleep(burstDatagrams * coalesce)
	burst("quiet again", 21)
}

// TestCoalesceSteadyRate: frames at one per coalesce go one per datagram,
// none held; at four per coalesce, about one datagram per coalesce carries
// them.
func TestCoalesceSteadyRate(t *testing.T) {
	const coalesce = 20 * time.Millisecond
	u, peer := coalescePair(t, ", coalesce: 20ms")
	ctx := context.Background()
	count := func(n int, every time.Duration) (datagrams int, took time.Duration) {
		got := make(chan int)
		go func() {
			frames, dgs := 0, 0
			for frames < n {
				ids, _, ok := readDatagram(t, peer, 2*time.Second)
				if !ok {
					break
				}
				frames += len(ids)
				dgs++
			}
			got <- dgs
		}()
		start := time.Now()
		for i := range n {
			u.Send(ctx, canFrames(uint32(i)))
			time.Sleep(every)
		}
		took = time.Since(start)
		return <-got, took
	}
	if d, _ := count(20, coalesce+coalesce/4); d != 20 {
		t.Errorf("one frame per %v: %d datagrams for 20 frames, want 20", coalesce+coalesce/4, d)
	}
	time.Sleep(burstDatagrams * coalesce)
	// Sleeps overshoot on a loaded machine: the bound follows the time
	// the frames really took.
	d, took := count(80, coalesce/4)
	if most := int(took/coalesce) + burstDatagrams + 2; d > most || d >= 80 {
		t.Errorf("80 frames in %v (about four per %v): %d datagrams, want at most %d", took, coalesce, d, most)
	}
	t.Logf("80 frames in %v: %d datagrams", took, d)
}

// TestCoalesceFullDatagramAtOnce: a datagram that fills up goes at once,
// even within coalesce of the last one; the rest waits.
func TestCoalesceFullDatagramAtOnce(t *testing.T) {
	u, peer := coalescePair(t, ", coalesce: 100ms, mtu: 576")
	ctx := context.Background()
	for range burstDatagrams { // spend the budget
		u.Send(ctx, canFrames(0))
		readDatagram(t, peer, time.Second)
	}
	// 576 - 28 - 5 header = 543 bytes: 90 frames of 6 bytes (4 id, 1
	// len, 1 data).
	ids := make([]uint32, 100)
	for i := range ids {
		ids[i] = uint32(i + 1)
	}
	if n, err := u.Send(ctx, canFrames(ids...)); n != 100 || err != nil {
		t.Fatalf("send: %d %v", n, err)
	}
	got, _, ok := readDatagram(t, peer, 20*time.Millisecond)
	if !ok || !sameIDs(got, ids[:90]...) {
		t.Fatalf("full datagram: %d frames %v, want frames 1–90 at once", len(got), ok)
	}
	got, _, ok = readDatagram(t, peer, time.Second)
	if !ok || !sameIDs(got, ids[90:]...) {
		t.Fatalf("rest: %v %v, want 91–100 after coalesce", got, ok)
	}
}

// TestCoalesceOff: coalesce: 0 sends every batch at once, one datagram
// each, as flush: 0 did before coalescing.
func TestCoalesceOff(t *testing.T) {
	u, peer := coalescePair(t, ", coalesce: 0")
	ctx := context.Background()
	for id := uint32(1); id <= 3; id++ {
		u.Send(ctx, canFrames(id))
	}
	for id := uint32(1); id <= 3; id++ {
		if ids, _, ok := readDatagram(t, peer, 20*time.Millisecond); !ok || !sameIDs(ids, id) {
			t.Fatalf("datagram %v %v, want [%d] at once", ids, ok, id)
		}
	}
}

// TestCoalesceCloseFlushes: frames waiting for the timer go out when the
// endpoint closes.
func TestCoalesceCloseFlushes(t *testing.T) {
	u, peer := coalescePair(t, ", coalesce: 100ms")
	ctx := context.Background()
	for range burstDatagrams { // spend the budget
		u.Send(ctx, canFrames(1))
		readDatagram(t, peer, time.Second)
	}
	u.Send(ctx, canFrames(2, 3))
	u.Close()
	if ids, _, ok := readDatagram(t, peer, 50*time.Millisecond); !ok || !sameIDs(ids, 2, 3) {
		t.Fatalf("after close: %v %v, want [2 3]", ids, ok)
	}
}

// TestRecvBufferReported: the receive buffer the kernel granted is in the
// endpoint's stats (/status), at least what SO_RCVBUF alone gives.
func TestRecvBufferReported(t *testing.T) {
	u, _ := coalescePair(t, "")
	got := u.env.Stats.RecvBuffer.Load()
	if runtimeLinux && got < 4096 {
		t.Fatalf("receive buffer %d", got)
	}
	t.Logf("granted %d bytes", got)
}
