//go:build hil

package can

import (
	"context"
	"testing"
	"time"
)

// A frame that arrives after a receive found the socket empty, but before
// the poller wait begins, wakes the wait: it is read at once, not when the
// next frame comes. (The runtime clears the descriptor's readiness as a
// wait begins, so a wait that parks without asking the socket again loses
// an arrival the network poller has seen in between; the demo once lost
// the last of its 300 frames this way.)
func TestHILReadBatchSeesFrameQueuedBeforeWait(t *testing.T) {
	rx := listen(t, "vcan1", &RawConfig{})
	tx := listen(t, "vcan1", &RawConfig{})
	const rounds = 50
	sent := 0
	rx.rxDirect.afterEmpty = func() {
		if sent < rounds {
			f := FDFrame{ID: uint32(0x300 + sent), Len: 1}
			f.Data[0] = byte(sent)
			if err := tx.WriteFrame(context.Background(), &f); err != nil {
				t.Errorf("WriteFrame: %v", err)
			}
			sent++
			// Let the runtime's network poller run and see the
			// arrival before the wait begins.
			time.Sleep(time.Millisecond)
		}
	}
	got := make(chan RecvMsg, rounds)
	done := make(chan error, 1)
	go func() {
		msgs := make([]RecvMsg, MaxBatch)
		for n := 0; n < rounds; {
			// An uncancellable context: the direct poller wait.
			k, err := rx.ReadBatch(context.Background(), msgs)
			if err != nil {
				done <- err
				return
			}
			for _, m := range msgs[:k] {
				got <- m
			}
			n += k
		}
		done <- nil
	}()
	for i := range rounds {
		select {
		case m := <-got:
			if m.Frame.ID != uint32(0x300+i) || m.Frame.Len != 1 || m.Frame.Data[0] != byte(i) {
				t.Fatalf("frame %d: got %v", i, m.Frame)
			}
		case <-time.After(2 * time.Second):
			rx.Close() // unblock the reader
			t.Fatalf("frame %d, queued before the receive's poller wait, not read within 2s (%d sent)", i, sent)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
