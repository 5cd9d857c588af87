package console

import (
	"sync"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/frame"
)

// TestTapConcurrentWriters has several sources write the same IDs while a
// reader reads: counts are exact, and a read never mixes two frames' data
// (each frame's eight bytes are all equal).
func TestTapConcurrentWriters(t *testing.T) {
	tap := new(Tap)
	const writers, batches, ids = 4, 2000, 16
	var wg sync.WaitGroup
	done := make(chan struct{})
	torn := 0
	go func() {
		var e entry
		for {
			select {
			case <-done:
				return
			default:
			}
			for i := range tapSlots {
				if tap.read(i, &e) {
					for _, b := range e.data[1:8] {
						if b != e.data[0] {
							torn++
						}
					}
				}
			}
		}
	}()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			batch := make([]frame.Frame, ids)
			for n := range batches {
				for i := range batch {
					f := &batch[i]
					*f = frame.Frame{Type: frame.CAN, ID: uint32(0x100 + i), Len: 8, Source: uint16(w % 2), Time: int64(n + 1)}
					for b := range 8 {
						f.Data[b] = byte(n + w)
					}
				}
				tap.Observe(batch)
			}
		}()
	}
	wg.Wait()
	close(done)
	var e entry
	rows, total := 0, uint64(0)
	for i := range tapSlots {
		if tap.read(i, &e) {
			rows++
			total += e.count
			if e.count != writers/2*batches {
				t.Errorf("slot %x: count %d, want %d", e.key, e.count, writers/2*batches)
			}
		}
	}
	if rows != 2*ids || total != writers*batches*ids || tap.Overflow() != 0 {
		t.Errorf("%d rows, %d frames, %d overflow; want %d rows, %d frames", rows, total, tap.Overflow(), 2*ids, writers*batches*ids)
	}
	if torn != 0 {
		t.Errorf("%d torn reads", torn)
	}
}

// TestTapOverflow fills the table: frames of IDs without a slot are
// counted as overflow, and nothing is lost between the two.
func TestTapOverflow(t *testing.T) {
	tap := new(Tap)
	const n = tapSlots + 1000
	f := []frame.Frame{{Type: frame.CAN, Len: 1}}
	for i := range n {
		f[0].ID = frame.CANEFFFlag | uint32(i)
		tap.Observe(f)
	}
	var e entry
	var traced uint64
	for i := range tapSlots {
		if tap.read(i, &e) {
			traced += e.count
		}
	}
	if traced+tap.Overflow() != n || tap.Overflow() < 1000 {
		t.Fatalf("traced %d + overflow %d, want %d frames with at least 1000 overflowing", traced, tap.Overflow(), n)
	}
}

func TestTapKeyAndData(t *testing.T) {
	tap := new(Tap)
	f := []frame.Frame{{Type: frame.CANFD, ID: 0x7FF, Len: 64, Flags: frame.CANFDBRS, Source: 3, Time: 5e9}}
	for i := range 64 {
		f[0].Data[i] = byte(i)
	}
	tap.Observe(f)
	f[0].Time = 5.02e9
	tap.Observe(f)
	v := &traceView{tap: tap, name: func(i uint16) string { return map[uint16]string{3: "bus"}[i] }}
	var e entry
	for i := range tapSlots {
		if !tap.read(i, &e) {
			continue
		}
		r := v.row(&e, 0)
		if r.EP != "bus" || r.Type != "canfd" || r.ID != "7FF" || r.Count != 2 || r.Len != 64 || r.Period != 20 || r.Last != 5020 {
			t.Errorf("row %+v", r)
		}
		if r.Data[:8] != "00010203" || r.Data[120:] != "3c3d3e3f" || e.flags != frame.CANFDBRS {
			t.Errorf("data %s flags %x", r.Data, e.flags)
		}
		return
	}
	t.Fatal("no row")
}

func TestTapObserveDoesNotAllocate(t *testing.T) {
	tap := new(Tap)
	batch := make([]frame.Frame, 64)
	for i := range batch {
		batch[i] = frame.Frame{Type: frame.CAN, ID: uint32(i), Len: 8}
	}
	if a := testing.AllocsPerRun(100, func() { tap.Observe(batch) }); a != 0 {
		t.Fatalf("Observe: %v allocs per batch", a)
	}
}

// BenchmarkTapObserve is the cost the trace adds per frame while a
// console is open (64-frame batches of 64 IDs).
func BenchmarkTapObserve(b *testing.B) {
	tap := new(Tap)
	batch := make([]frame.Frame, 64)
	for i := range batch {
		batch[i] = frame.Frame{Type: frame.CAN, ID: uint32(0x100 + i), Len: 8}
	}
	b.ReportAllocs()
	for b.Loop() {
		tap.Observe(batch)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/frame")
}
