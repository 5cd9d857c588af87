package console

import (
	"sync/atomic"

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

// slot is one traced ID. key is 0 while the slot is free.
type slot struct {
	key   atomic.Uint64
	count atomic.Uint64
	seq   atomic.Uint32
	meta  atomic.Uint32 // data length | flags<<16
	last  atomic.Int64  // time of the last frame (ns since the epoch)
	prev  atomic.Int64  // time of the frame before
	data  [dataWords]atomic.Uint64
}

// Tap is the console's gateway.Tap.
type Tap struct {
	slots    [tapSlots]slot
	overflow atomic.Uint64
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

// Observe traces frames. It implements gateway.Tap.
func (t *Tap) Observe(frames []frame.Frame) {
	for i := range frames {
		t.observe(&frames[i])
	}
}

func (t *Tap) observe(f *frame.Frame) {
	k := traceKey(f)
	h := (k * 0x9E3779B97F4A7C15) >> tapShift
	var s *slot
	for p := uint64(0); p < maxProbe; p++ {
		c := &t.slots[(h+p)&(tapSlots-1)]
		ck := c.key.Load()
		if ck == k || ck == 0 && (c.key.CompareAndSwap(0, k) || c.key.Load() == k) {
			s = c
			break
		}
	}
	if s == nil {
		t.overflow.Add(1)
		return
	}
	s.count.Add(1)
	q := s.seq.Load()
	if q&1 != 0 || !s.seq.CompareAndSwap(q, q+1) {
		return // another source writes this slot now
	}
	n := int(f.Len)
	if n > dataWords*8 {
		n = dataWords * 8
	}
	s.meta.Store(uint32(f.Len) | uint32(f.Flags)<<16)
	s.prev.Store(s.last.Load())
	s.last.Store(f.Time)
	for w := 0; w*8 < n; w++ {
		var v uint64
		for b := range 8 {
			v |= uint64(f.Data[w*8+b]) << (8 * b)
		}
		s.data[w].Store(v)
	}
	s.seq.Store(q + 2)
}

// entry is a consistent copy of one slot.
type entry struct {
	idx        int
	key        uint64
	count      uint64
	len        int // the frame's length (Data holds at most 64 bytes of it)
	flags      uint8
	last, prev int64
	data       [dataWords * 8]byte
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
		q := s.seq.Load()
		if q&1 != 0 {
			continue
		}
		m := s.meta.Load()
		e.len, e.flags = int(m&0xFFFF), uint8(m>>16)
		e.last, e.prev = s.last.Load(), s.prev.Load()
		for w := range dataWords {
			v := s.data[w].Load()
			for b := range 8 {
				e.data[w*8+b] = byte(v >> (8 * b))
			}
		}
		if s.seq.Load() == q {
			return q != 0 // 0: counted, but no data stored yet
		}
	}
	return false
}

// Overflow returns how many frames found no free slot.
func (t *Tap) Overflow() uint64 { return t.overflow.Load() }
