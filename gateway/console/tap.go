package console

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/fieldgate/fieldgate/gateway/frame"
)

// The trace tap is a fixed table of slots, one per (source endpoint, frame
// type, ID), allocated when the first browser connects. The engine calls
// Observe on the receiving goroutine of every source; Observe finds the
// frame's slot by open addressing, counts the frame and stores its time
// and first 64 data bytes, all with atomic operations and no allocation or
// lock. The console reads the table at most ten times a second. Each slot's
// data is guarded by a sequence number: a writer makes it odd while it
// writes (another writer finding it odd leaves the data to it, the count
// is still added), and a reader retries a slot whose sequence number
// changed while it read. Frames whose ID finds no free slot within
// maxProbe places are counted in Overflow and not traced.

const (
	tapSlots  = 4096 // a power of two
	tapShift  = 64 - 12
	maxProbe  = 32
	dataWords = 8 // 64 data bytes
)

// slot is one traced ID. key is 0 while the slot is free. state holds the
// sequence number (low 32 bits, odd while a writer writes) and the last
// frame's length and flags (high 32 bits: len | flags<<16), so that
// locking and publishing cost one atomic operation each.
type slot struct {
	key   atomic.Uint64
	count atomic.Uint64
	state atomic.Uint64
	last  atomic.Int64 // time of the last frame (ns since the epoch)
	data  [dataWords]atomic.Uint64
}

// Tap is the console's gateway.Tap.
type Tap struct {
	slots    [tapSlots]slot
	overflow atomic.Uint64
	// used lists the claimed slots in the order they were claimed (each
	// entry the slot's index + 1; 0 while its claimer has not stored it
	// yet), so that a reader visits only those, not the whole table.
	used  [tapSlots]atomic.Uint32
	nused atomic.Uint32
	srcs  [maxSources]source

	// The event streams read the tap right after the forwarding path has
	// run rather than on a timer of their own: a stream that wants its
	// next read at time T stores T in due, and the first batch received at
	// or after T (by its first frame's receive time) clears due and sends
	// on wake, so that the stream runs when the receiving goroutine
	// blocks again, with no timer waking the process in between (each
	// wake-up of an idle process costs more than a read of the tap).
	// Streams keep a timer for when no frame comes. Observe pays one
	// atomic load per batch for this.
	due  atomic.Int64
	wake chan struct{} // capacity 1; nil in taps made with new(Tap)

	adjMu     sync.Mutex // serialises adjust
	adjAt     time.Time
	adjFrames [maxSources]uint64
}

// A busy source is sampled: only one batch in every is traced, its counts
// multiplied by every, so that the tap traces about traceBudget frames a
// second of each source whatever its rate. The trace's counts are then
// estimates (Row.Sampled); the engine's own counters stay exact.
const maxSources = 256 // sources are told apart modulo this

// traceBudget is the frames/s of one source traced in full (a variable
// for the browser test, whose exact counts must not depend on the
// machine's hiccups).
var traceBudget = 20000.0

// source is what the tap knows of one source endpoint.
type source struct {
	// delivered counts the batches delivered (low batchBits bits, modulo
	// 2^batchBits) and the frames, traced or not (the bits above): one
	// atomic add per batch for both.
	delivered atomic.Uint64
	every     atomic.Uint64 // trace one batch in every (0 or 1: all)
	// The writers' own rate window (retune), so that a burst is sampled
	// at once rather than at the reader's next adjust.
	winAt     atomic.Int64 // frame time the window started
	winFrames atomic.Uint64
	_         [32]byte // one cache line each
}

// batchBits is the width of source.delivered's batch count.
const batchBits = 20

// retuneBatches is how often (in batches) a source's writer checks its
// rate, and retuneWindow the shortest window it rates.
const (
	retuneBatches = 64
	retuneWindow  = 10 * time.Millisecond
)

// newTap returns a tap whose Observe wakes a stream that armed it.
func newTap() *Tap { return &Tap{wake: make(chan struct{}, 1)} }

// arm asks for a send on t.wake when a batch received at or after at
// (Unix nanoseconds) arrives; with several streams, the earliest time
// asked for wins, and the one stream that takes the wake-up.
func (t *Tap) arm(at int64) {
	for {
		d := t.due.Load()
		if d != 0 && d <= at || t.due.CompareAndSwap(d, at) {
			return
		}
	}
}

// traceKey packs what identifies a trace row; it is never 0 since every
// frame type is at least 1.
func traceKey(f *frame.Frame) uint64 {
	return uint64(f.Source)<<48 | uint64(f.Type)<<40 | uint64(f.Addr)<<32 | uint64(f.ID)
}

// keyParts unpacks a traceKey.
func keyParts(k uint64) (src uint16, typ frame.Type, addr uint8, id uint32) {
	return uint16(k >> 48), frame.Type(k >> 40), uint8(k >> 32), uint32(k)
}

// Observe traces frames. It implements gateway.Tap. A run of frames of
// one ID in the batch is counted at once and only its last frame stored.
func (t *Tap) Observe(frames []frame.Frame) {
	if len(frames) == 0 {
		return
	}
	if d := t.due.Load(); d != 0 && frames[0].Time >= d && t.due.CompareAndSwap(d, 0) {
		select {
		case t.wake <- struct{}{}:
		default:
		}
	}
	src := &t.srcs[frames[0].Source%maxSources]
	d := src.delivered.Add(uint64(len(frames))<<batchBits | 1)
	b, nf := d&(1<<batchBits-1), d>>batchBits
	if b%retuneBatches == 0 {
		src.retune(frames[0].Time, nf)
	}
	scale := src.every.Load()
	if scale > 1 && b%scale != 0 {
		return
	}
	scale = max(scale, 1)
	for i := 0; i < len(frames); {
		f := &frames[i]
		k := traceKey(f)
		j := i + 1
		for j < len(frames) && traceKey(&frames[j]) == k {
			j++
		}
		t.observe(&frames[j-1], k, uint64(j-i)*scale)
		i = j
	}
}

// observe counts n frames of key k and stores f, the last of them.
func (t *Tap) observe(f *frame.Frame, k, n uint64) {
	h := (k * 0x9E3779B97F4A7C15) >> tapShift
	var s *slot
	for p := uint64(0); p < maxProbe; p++ {
		i := (h + p) & (tapSlots - 1)
		c := &t.slots[i]
		ck := c.key.Load()
		if ck == k {
			s = c
			break
		}
		if ck == 0 {
			if c.key.CompareAndSwap(0, k) {
				t.used[t.nused.Add(1)-1].Store(uint32(i) + 1)
				s = c
				break
			}
			if c.key.Load() == k {
				s = c
				break
			}
		}
	}
	if s == nil {
		t.overflow.Add(n)
		return
	}
	s.count.Add(n)
	// Store the frame only when it differs from the one stored (data,
	// length or flags), or the stored one is more than a millisecond old:
	// comparing costs plain loads, storing atomic writes.
	q := s.state.Load()
	meta := uint64(uint32(f.Len)|uint32(f.Flags)<<16) << 32
	l := int(f.Len)
	if l > dataWords*8 {
		l = dataWords * 8
	}
	if q&^0xFFFFFFFF == meta && uint32(q) != 0 && f.Time-s.last.Load() < int64(time.Millisecond) {
		same := true
		for w := 0; w*8 < l; w++ {
			if s.data[w].Load() != word(f, w) {
				same = false
				break
			}
		}
		if same {
			return
		}
	}
	if q&1 != 0 || !s.state.CompareAndSwap(q, q+1) {
		return // another source writes this slot now
	}
	s.last.Store(f.Time)
	for w := 0; w*8 < l; w++ {
		s.data[w].Store(word(f, w))
	}
	s.state.Store(uint64(uint32(q)+2) | meta)
}

// word returns data bytes 8w to 8w+7 of f, little-endian.
func word(f *frame.Frame, w int) uint64 {
	b := f.Data[w*8 : w*8+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// entry is a consistent copy of one slot.
type entry struct {
	idx   int
	key   uint64
	count uint64
	len   int // the frame's length (data holds at most 64 bytes of it)
	flags uint8
	last  int64
	data  [dataWords * 8]byte
}

// read copies slot i into e; ok is false for a free slot, or one that was
// written throughout a few attempts (its count is still returned).
func (t *Tap) read(i int, e *entry) (ok bool) {
	s := &t.slots[i]
	e.idx = i
	e.key = s.key.Load()
	if e.key == 0 {
		return false
	}
	e.count = s.count.Load()
	for range 4 {
		q := s.state.Load()
		if q&1 != 0 {
			continue
		}
		e.len, e.flags = int(q>>32&0xFFFF), uint8(q>>48)
		e.last = s.last.Load()
		for w := range dataWords {
			v := s.data[w].Load()
			for b := range 8 {
				e.data[w*8+b] = byte(v >> (8 * b))
			}
		}
		if s.state.Load() == q {
			return uint32(q) != 0 // 0: counted, but no data stored yet
		}
	}
	return false
}

// retune rates the source's frames since its window started (at frame
// time now, nf frames delivered) and samples it when that is over the
// budget. Concurrent writers of one source may both retune: either result
// will do.
func (s *source) retune(now int64, nf uint64) {
	at := s.winAt.Load()
	if at == 0 || now < at {
		s.winAt.Store(now)
		s.winFrames.Store(nf)
		return
	}
	dt := time.Duration(now - at)
	if dt < retuneWindow {
		return
	}
	rate := float64(nf-s.winFrames.Load()) / dt.Seconds()
	if every := uint64(rate/traceBudget) + 1; every > s.every.Load() {
		s.every.Store(every)
	}
	s.winAt.Store(now)
	s.winFrames.Store(nf)
}

// adjust sets each source's sampling from its frame rate since the last
// call; the event streams call it at most ten times a second. It also
// lowers the sampling of a source that calmed down, which retune (on the
// writer's side) only raises.
func (t *Tap) adjust(now time.Time) {
	t.adjMu.Lock()
	defer t.adjMu.Unlock()
	dt := now.Sub(t.adjAt).Seconds()
	if dt < 0.09 {
		return
	}
	first := t.adjAt.IsZero()
	t.adjAt = now
	for i := range t.srcs {
		s := &t.srcs[i]
		n := s.delivered.Load() >> batchBits
		d := n - t.adjFrames[i]
		t.adjFrames[i] = n
		if first || d == 0 && s.every.Load() <= 1 {
			continue
		}
		every := uint64(float64(d)/dt/traceBudget) + 1
		s.every.Store(every)
	}
}

// sampled reports whether the tap samples source src now.
func (t *Tap) sampled(src uint16) bool { return t.srcs[src%maxSources].every.Load() > 1 }

// Overflow returns how many frames found no free slot.
func (t *Tap) Overflow() uint64 { return t.overflow.Load() }
