package busmsg

import (
	"testing"

	"github.com/fieldgate/fieldgate/gateway/frame"
)

func TestBatch(t *testing.T) {
	var got [][]uint32
	b := Batch{Frames: make([]frame.Frame, 3), Deliver: func(fs []frame.Frame) {
		var ids []uint32
		for _, f := range fs {
			ids = append(ids, f.ID)
		}
		got = append(got, ids)
	}}
	b.Flush() // nothing gathered: nothing delivered
	for id := uint32(1); id <= 7; id++ {
		f := b.Next()
		f.ID = id
		if id != 5 { // an uncounted slot is reused
			b.N++
		}
	}
	b.Flush()
	b.Flush()
	want := [][]uint32{{1, 2, 3}, {4, 6, 7}}
	if len(got) != len(want) {
		t.Fatalf("deliveries %v, want %v", got, want)
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("deliveries %v, want %v", got, want)
		}
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Fatalf("deliveries %v, want %v", got, want)
			}
		}
	}
}
