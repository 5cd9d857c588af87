package udp

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/cannelloni"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

// receiver is a udp endpoint on loopback with its Receive running, and a
// socket that sends it datagrams.
type receiver struct {
	u   *udpConn
	got chan frame.Frame
	tx  net.Conn
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	port := gatewaytest.FreePort(t, "udp")
	cfg, err := config.Parse("t.yaml", []byte(fmt.Sprintf(`
endpoints:
  u: {kind: udp, listen: "127.0.0.1:%d"}
routes: []
`, port)))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := open(context.Background(), cfg.Endpoints[0], testEnv())
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{u: tr.(*udpConn), got: make(chan frame.Frame, 1024)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.u.Receive(ctx, func(fs []frame.Frame) {
			for i := range fs {
				r.got <- fs[i]
			}
		})
	}()
	r.tx, err = net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		<-done
		r.tx.Close()
		r.u.Close()
	})
	return r
}

// datagram is a cannelloni datagram with sequence number seq carrying
// one frame of ID id.
func datagram(seq uint8, id uint32) []byte {
	b := cannelloni.AppendHeader(nil, seq, 1)
	return cannelloni.AppendFrame(b, &cannelloni.Frame{ID: id, Len: 1, Data: [64]byte{seq}})
}

// send sends datagrams and waits for the frames they carry (n in all).
func (r *receiver) send(t *testing.T, n int, ds ...[]byte) []frame.Frame {
	t.Helper()
	for _, d := range ds {
		if _, err := r.tx.Write(d); err != nil {
			t.Fatal(err)
		}
	}
	var out []frame.Frame
	for range n {
		select {
		case f := <-r.got:
			out = append(out, f)
		case <-time.After(5 * time.Second):
			t.Fatalf("%d of %d frames received", len(out), n)
		}
	}
	return out
}

// TestMalformedCountsDatagrams: a datagram whose header claims more
// frames than it holds counts once as malformed, not the claimed count
// (one 9-byte datagram claiming 65 535 frames used to add 65 535); the
// frames before the damage are delivered.
func TestMalformedCountsDatagrams(t *testing.T) {
	r := newReceiver(t)
	stats := r.u.env.Stats
	r.send(t, 1, []byte{2, 0, 0, 0xFF, 0xFF, 0, 0, 1, 0x23}, datagram(1, 0x100))
	if got := stats.Drops.Load(endpoint.ReasonMalformed); got != 1 {
		t.Fatalf("9-byte datagram claiming 65535 frames: malformed %d, want 1", got)
	}
	// Count 3, two good frames, then a classic frame of length 9.
	d := cannelloni.AppendHeader(nil, 2, 3)
	d = cannelloni.AppendFrame(d, &cannelloni.Frame{ID: 0x201, Len: 1})
	d = cannelloni.AppendFrame(d, &cannelloni.Frame{ID: 0x202, Len: 1})
	d = append(d, 0, 0, 2, 3, 9)
	fs := r.send(t, 3, d, datagram(3, 0x300))
	if fs[0].ID != 0x201 || fs[1].ID != 0x202 || fs[2].ID != 0x300 {
		t.Fatalf("frames %x %x %x", fs[0].ID, fs[1].ID, fs[2].ID)
	}
	if got := stats.Drops.Load(endpoint.ReasonMalformed); got != 2 {
		t.Fatalf("malformed %d, want 2", got)
	}
	if stats.SeqGaps.Load() != 0 || stats.Drops.Total() != 2 {
		t.Fatalf("gaps %d, drops %v", stats.SeqGaps.Load(), stats.Drops.Snapshot())
	}
}

// TestSeqGapsOverWindow: duplicated and reordered datagrams count no
// gaps (5,5,5,4 used to count 764); three datagrams that never arrive
// count 3, once the reorder window has passed them.
func TestSeqGapsOverWindow(t *testing.T) {
	r := newReceiver(t)
	gaps := &r.u.env.Stats.SeqGaps
	r.send(t, 4, datagram(5, 1), datagram(5, 1), datagram(5, 1), datagram(4, 1))
	if gaps.Load() != 0 {
		t.Fatalf("5,5,5,4: %d gaps, want 0", gaps.Load())
	}
	r.send(t, 3, datagram(7, 1), datagram(8, 1), datagram(6, 1))
	if gaps.Load() != 0 {
		t.Fatalf("reordered 7,8,6: %d gaps, want 0", gaps.Load())
	}
	// 9, 10 and 11 are lost.
	var ds [][]byte
	for s := 12; s < 12+ReorderWindow-3; s++ {
		ds = append(ds, datagram(uint8(s), 1))
	}
	r.send(t, len(ds), ds...)
	if gaps.Load() != 0 {
		t.Fatalf("losses still inside the window: %d gaps, want 0", gaps.Load())
	}
	ds = ds[:0]
	for s := 12 + ReorderWindow - 3; s < 12+ReorderWindow+10; s++ {
		ds = append(ds, datagram(uint8(s), 1))
	}
	r.send(t, len(ds), ds...)
	if gaps.Load() != 3 {
		t.Fatalf("after the window: %d gaps, want 3", gaps.Load())
	}
	// Late arrivals of counted datagrams and replays count nothing more.
	r.send(t, 3, datagram(9, 1), datagram(10, 1), datagram(30, 1))
	if gaps.Load() != 3 || r.u.env.Stats.Drops.Total() != 0 {
		t.Fatalf("late and replayed: %d gaps, drops %v", gaps.Load(), r.u.env.Stats.Drops.Snapshot())
	}
}
