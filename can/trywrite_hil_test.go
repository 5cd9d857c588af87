//go:build hil

package can

import (
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TryWriteBatch sends what WriteBatch sends, byte for byte and in order,
// and refuses what WriteBatch refuses, without waiting.
func TestHILTryWriteBatch(t *testing.T) {
	rx := listen(t, "vcan1", &RawConfig{FD: true, RecvBuffer: 1 << 20})
	tx := listen(t, "vcan1", &RawConfig{})
	frames := make([]FDFrame, 40)
	for i := range frames {
		f := &frames[i]
		f.ID, f.Extended, f.Len = uint32(0x100+i), i%2 == 1, uint8(i%9)
		for j := range f.Len {
			f.Data[j] = byte(i*13 + int(j))
		}
	}
	sent := 0
	deadline := time.Now().Add(10 * time.Second)
	for sent < len(frames) {
		n, err := tx.TryWriteBatch(frames[sent:])
		if err != nil && !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.ENOBUFS) {
			t.Fatalf("TryWriteBatch: %v", err)
		}
		sent += n
		if time.Now().After(deadline) {
			t.Fatalf("sent %d of %d frames in 10s", sent, len(frames))
		}
	}
	msgs := make([]RecvMsg, MaxBatch)
	got := 0
	for got < len(frames) {
		n, err := rx.ReadBatch(hilCtx(t, 5*time.Second), msgs)
		if err != nil {
			t.Fatalf("read after %d frames: %v", got, err)
		}
		for _, m := range msgs[:n] {
			want := &frames[got]
			if m.Frame.ID != want.ID || m.Frame.Extended != want.Extended || m.Frame.Len != want.Len || m.Frame.Data != want.Data || m.FD {
				t.Fatalf("frame %d: got %+v, want %+v", got, m.Frame, *want)
			}
			got++
		}
	}
	fd := FDFrame{ID: 0x1, Len: 12, Flags: FDF}
	if n, err := tx.TryWriteBatch([]FDFrame{fd}); n != 0 || !errors.Is(err, unix.EINVAL) {
		t.Fatalf("FD frame on a classic socket: n=%d err=%v, want 0 and EINVAL", n, err)
	}
	if n, err := tx.TryWriteBatch(nil); n != 0 || err != nil {
		t.Fatalf("empty batch: n=%d err=%v", n, err)
	}
	all := listen(t, "", &RawConfig{})
	if _, err := all.TryWriteBatch(frames[:1]); !errors.Is(err, ErrNoInterface) {
		t.Fatalf("socket on all interfaces: %v, want ErrNoInterface", err)
	}
}
