package console

import (
	"sync"
	"testing"
	"time"

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
	v := &traceView{tap: tap, name: func(i uint16) string { return map[uint16]string{3: "bus"}[i] }}
	now := time.Now()
	if rows := v.changed(now, true); len(rows) != 1 || rows[0].Count != 1 || rows[0].Period != 0 {
		t.Fatalf("first read: %+v", rows)
	}
	// Two more frames 20 ms apart: the period is their mean interval.
	f[0].Time = 5.02e9
	tap.Observe(f)
	f[0].Time = 5.04e9
	f[0].Data[63] = 0xEE
	tap.Observe(f)
	rows := v.changed(now.Add(100*time.Millisecond), false)
	if len(rows) != 1 {
		t.Fatalf("second read: %+v", rows)
	}
	r := rows[0]
	if r.EP != "bus" || r.Type != "canfd" || r.ID != "7FF" || r.Count != 3 || r.Len != 64 || r.Period != 20 || r.Last != 5040 || r.Rate <= 0 {
		t.Errorf("row %+v", r)
	}
	if r.Data[:8] != "00010203" || r.Data[120:] != "3c3d3eee" {
		t.Errorf("data %s", r.Data)
	}
	var e entry
	for i := range tapSlots {
		if tap.read(i, &e) && e.flags != frame.CANFDBRS {
			t.Errorf("flags %x", e.flags)
		}
	}
	// Nothing new, rate decaying: the row is sent again until it is 0.
	if rows := v.changed(now.Add(200*time.Millisecond), false); len(rows) != 1 || rows[0].Rate >= r.Rate {
		t.Errorf("third read: %+v", rows)
	}
}

// TestTapRuns counts a run of one ID in a batch at once and keeps its last
// frame.
func TestTapRuns(t *testing.T) {
	tap := new(Tap)
	batch := make([]frame.Frame, 10)
	for i := range batch {
		batch[i] = frame.Frame{Type: frame.CAN, ID: 0x100, Len: 1, Data: [frame.MaxData]byte{byte(i)}}
	}
	batch[4].ID = 0x200
	tap.Observe(batch)
	var e entry
	got := map[uint32][2]uint64{}
	for i := range tapSlots {
		if tap.read(i, &e) {
			_, _, _, id := keyParts(e.key)
			got[id] = [2]uint64{e.count, uint64(e.data[0])}
		}
	}
	if got[0x100] != [2]uint64{9, 9} || got[0x200] != [2]uint64{1, 4} || len(got) != 2 {
		t.Fatalf("got %v", got)
	}
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

// TestTapSamplesBusySources traces one batch in every of a busy source,
// its counts scaled, and all of a quiet one.
func TestTapSamplesBusySources(t *testing.T) {
	tap := new(Tap)
	now := time.Now()
	tap.adjust(now)
	busy := make([]frame.Frame, 50)
	for i := range busy {
		busy[i] = frame.Frame{Type: frame.CAN, ID: 0x100, Source: 1, Len: 1}
	}
	quiet := []frame.Frame{{Type: frame.CAN, ID: 0x200, Source: 2, Len: 1}}
	// 100 000 frames/s of source 1 in the last 100 ms: five times the budget.
	for range 200 {
		tap.Observe(busy)
	}
	tap.Observe(quiet)
	tap.adjust(now.Add(100 * time.Millisecond))
	if e := tap.srcs[1].every.Load(); e != 6 || !tap.sampled(1) || tap.sampled(2) {
		t.Fatalf("every %d, sampled %v %v", e, tap.sampled(1), tap.sampled(2))
	}
	counts := func() map[uint32]uint64 {
		m := map[uint32]uint64{}
		var e entry
		for i := range tapSlots {
			if tap.read(i, &e) {
				_, _, _, id := keyParts(e.key)
				m[id] = e.count
			}
		}
		return m
	}
	before := counts()
	for range 60 {
		tap.Observe(busy)
		tap.Observe(quiet)
	}
	after := counts()
	if d := after[0x100] - before[0x100]; d != 60*50 {
		t.Errorf("busy source: %d frames counted, want the estimate %d", d, 60*50)
	}
	if d := after[0x200] - before[0x200]; d != 60 {
		t.Errorf("quiet source: %d frames counted, want 60 exactly", d)
	}
	// Quiet again: back to tracing every frame.
	tap.adjust(now.Add(200 * time.Millisecond))
	tap.adjust(now.Add(300 * time.Millisecond))
	if tap.sampled(1) {
		t.Errorf("source 1 still sampled at rest: every %d", tap.srcs[1].every.Load())
	}
}

// TestTapRetunesOnBursts samples a burst from the writer's side, before
// any reader adjusts.
func TestTapRetunesOnBursts(t *testing.T) {
	tap := new(Tap)
	batch := make([]frame.Frame, 64)
	at := int64(1e12)
	for range 10 * retuneBatches {
		for i := range batch {
			batch[i] = frame.Frame{Type: frame.CAN, ID: 0x100, Source: 7, Len: 1, Time: at}
		}
		at += int64(64 * time.Microsecond) // 1 000 000 frames/s
		tap.Observe(batch)
	}
	if e := tap.srcs[7].every.Load(); e < 40 || e > 60 {
		t.Fatalf("every %d after a 1 000 000 frames/s burst, want about 50", e)
	}
}

// The claimed list names every slot in use exactly once, so the trace
// reader, which visits only those, sees every traced ID.
func TestTapClaimedListsEverySlot(t *testing.T) {
	tp := new(Tap)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fs := make([]frame.Frame, 1)
			for id := range 500 {
				fs[0] = frame.Frame{Type: frame.CAN, ID: uint32(id), Len: 1, Source: uint16(w % 2)}
				tp.Observe(fs)
			}
		}()
	}
	wg.Wait()
	inUse := 0
	for i := range tapSlots {
		if tp.slots[i].key.Load() != 0 {
			inUse++
		}
	}
	seen := map[uint32]bool{}
	for u := range int(tp.nused.Load()) {
		v := tp.used[u].Load()
		if v == 0 || seen[v] {
			t.Fatalf("used[%d] = %d (zero or repeated)", u, v)
		}
		seen[v] = true
		if tp.slots[v-1].key.Load() == 0 {
			t.Fatalf("used[%d] names free slot %d", u, v-1)
		}
	}
	if inUse != 1000 || len(seen) != inUse {
		t.Fatalf("%d slots in use (want 1000: 500 IDs × 2 sources), %d listed", inUse, len(seen))
	}
}

// TestTapWakesArmedStream: an armed tap sends one wake-up, with the first
// batch received at or after the time asked for, and none before that or
// after it until armed again; the earliest of two times asked for wins;
// and Observe allocates nothing while doing so.
func TestTapWakesArmedStream(t *testing.T) {
	tap := newTap()
	batch := []frame.Frame{{Type: frame.CAN, ID: 0x100, Len: 1, Time: 1000}}
	woken := func() bool {
		select {
		case <-tap.wake:
			return true
		default:
			return false
		}
	}
	tap.Observe(batch)
	if woken() {
		t.Fatal("woken without being armed")
	}
	tap.arm(2000)
	tap.arm(3000) // later: the earlier time stays
	batch[0].Time = 1999
	tap.Observe(batch)
	if woken() {
		t.Fatal("woken by a frame before the time asked for")
	}
	batch[0].Time = 2000
	tap.Observe(batch)
	if !woken() {
		t.Fatal("not woken by the first frame at the time asked for")
	}
	batch[0].Time = 2500
	tap.Observe(batch)
	if woken() {
		t.Fatal("woken twice for one arm")
	}
	tap.arm(5000)
	tap.arm(4000) // earlier: wins
	batch[0].Time = 4000
	tap.Observe(batch)
	if !woken() {
		t.Fatal("the earlier time asked for did not win")
	}
	allocs := testing.AllocsPerRun(100, func() {
		tap.arm(batch[0].Time)
		tap.Observe(batch)
		batch[0].Time++
		woken()
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per armed batch", allocs)
	}
}
