//go:build hil

package can

import (
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// TestHILDroppedNowAndTryRead: a burst longer than the receive buffer
// holds, sent while nobody reads, overflows the queue at its end. Every
// drop comes after the last queued frame, so no received frame's
// SO_RXQ_OVFL count (Dropped) shows any, while DroppedNow does: queued +
// DroppedNow = sent exactly. TryReadBatch reads the queue without waiting
// and returns 0, nil once it is empty; neither allocates.
func TestHILDroppedNowAndTryRead(t *testing.T) {
	const sent = 10000
	c := listen(t, "vcan0", &RawConfig{RecvBuffer: 1 << 20})
	msgs := make([]RecvMsg, MaxBatch)
	start := time.Now()
	if n, err := c.TryReadBatch(msgs); n != 0 || err != nil {
		t.Fatalf("TryReadBatch on an empty socket: %d, %v", n, err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("TryReadBatch on an empty socket took %v", d)
	}
	if out, err := exec.Command("cangen", "vcan0", "-g", "0", "-I", "i", "-L", "8", "-n", strconv.Itoa(sent)).CombinedOutput(); err != nil {
		t.Fatalf("cangen: %v %s", err, out)
	}
	queued := 0
	for {
		n, err := c.TryReadBatch(msgs)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		for i := range n {
			if want := uint32(queued+i) & 0x7FF; msgs[i].Frame.ID != want {
				t.Fatalf("frame %d: ID %03X, want %03X", queued+i, msgs[i].Frame.ID, want)
			}
		}
		queued += n
	}
	now, err := c.DroppedNow()
	if err != nil {
		t.Fatal(err)
	}
	if queued == 0 || queued == sent || uint64(queued)+now != sent {
		t.Fatalf("queued %d + DroppedNow %d != sent %d (or no overflow)", queued, now, sent)
	}
	if d := c.Dropped(); d != 0 {
		t.Errorf("Dropped (from received frames) = %d; the drops all came after the last queued frame", d)
	}
	t.Logf("%d sent, %d queued, %d dropped at the end (Dropped saw %d)", sent, queued, now, c.Dropped())
	if a := testing.AllocsPerRun(100, func() {
		c.TryReadBatch(msgs)
		c.DroppedNow()
	}); a != 0 {
		t.Errorf("%.1f allocations per TryReadBatch + DroppedNow", a)
	}
}
