//go:build hil

package can

import (
	"context"
	"testing"
)

// TestHILBatchZeroAlloc: ReadBatch and WriteBatch do not allocate in the
// steady state, with a cancelable context and frames ready.
func TestHILBatchZeroAlloc(t *testing.T) {
	rx := listen(t, "vcan1", &RawConfig{FD: true, Timestamps: true, RecvBuffer: 1 << 20})
	tx := listen(t, "vcan1", &RawConfig{FD: true, Filters: []Filter{}})
	frames := make([]FDFrame, 16)
	for i := range frames {
		frames[i] = FDFrame{ID: uint32(i), Len: 12, Flags: FDF}
	}
	msgs := make([]RecvMsg, 16)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Warm up.
	tx.WriteBatch(ctx, frames)
	rx.ReadBatch(ctx, msgs)
	allocs := testing.AllocsPerRun(50, func() {
		if n, err := tx.WriteBatch(ctx, frames); err != nil || n != 16 {
			t.Fatalf("write %d %v", n, err)
		}
		for got := 0; got < 16; {
			n, err := rx.ReadBatch(ctx, msgs[got:])
			if err != nil {
				t.Fatal(err)
			}
			got += n
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per 16-frame write+read round", allocs)
	}
}
