package gateway

import (
	"math"
	"sync"
	"sync/atomic"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/gateway/allowlist"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// filter is a compiled can_filter: (id & mask) == (fid & mask), or its inverse.
type filter struct {
	id, mask uint32
	inverted bool
}

func (f filter) match(id uint32) bool {
	return ((id & f.mask) == (f.id & f.mask)) != f.inverted
}

func compileFilters(fs []config.Filter) []filter {
	out := make([]filter, len(fs))
	for i, f := range fs {
		out[i] = filter{id: f.ID, mask: f.Mask, inverted: f.Inverted}
	}
	return out
}

func matchAny(fs []filter, id uint32) bool {
	for _, f := range fs {
		if f.match(id) {
			return true
		}
	}
	return false
}

// limiter is a token bucket.
type limiter struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   int64
}

func newLimiter(r config.Rate) *limiter {
	if r.PerSecond <= 0 {
		return nil
	}
	return &limiter{rate: r.PerSecond, burst: float64(r.Burst), tokens: float64(r.Burst)}
}

func (l *limiter) allow(now int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last != 0 {
		l.tokens = math.Min(l.burst, l.tokens+float64(now-l.last)*l.rate/1e9)
	}
	l.last = now
	if l.tokens >= 1 {
		l.tokens--
		return true
	}
	return false
}

// transform is a compiled route transform, applied in can-gw order.
type transform struct {
	remap        map[uint32]uint32
	and, or, xor *mod
	set          *mod
	crc8         *checksum
	xorcs        *checksum
	crcTable     [256]byte
}

type mod struct {
	id    *uint32
	len   *uint8
	flags *uint8
	data  [64]byte
	dataN int
}

type checksum struct {
	from, to, result int
	init, finalXOR   uint8
}

func compileMod(m *config.Mod) *mod {
	if m == nil {
		return nil
	}
	out := &mod{id: m.ID, len: m.Len, flags: m.Flags}
	if m.Data != nil {
		out.data, out.dataN = *m.Data, m.DataN
	}
	return out
}

func compileTransform(t *config.Transform) *transform {
	if t.Empty() {
		return nil
	}
	out := &transform{and: compileMod(t.AND), or: compileMod(t.OR), xor: compileMod(t.XOR), set: compileMod(t.SET)}
	if len(t.Remap) > 0 {
		out.remap = map[uint32]uint32{}
		for _, r := range t.Remap {
			out.remap[r.From] = r.To
		}
	}
	if c := t.CRC8; c != nil {
		out.crc8 = &checksum{from: c.From, to: c.To, result: c.Result, init: c.Init, finalXOR: c.FinalXOR}
		for i := range 256 {
			crc := byte(i)
			for range 8 {
				if crc&0x80 != 0 {
					crc = crc<<1 ^ c.Poly
				} else {
					crc <<= 1
				}
			}
			out.crcTable[i] = crc
		}
	}
	if c := t.XORCS; c != nil {
		out.xorcs = &checksum{from: c.From, to: c.To, result: c.Result, init: c.Init}
	}
	return out
}

const (
	opAND = iota
	opOR
	opXOR
	opSET
)

func (m *mod) apply(f *frame.Frame, op int) {
	if m == nil {
		return
	}
	do := func(a, b uint32) uint32 {
		switch op {
		case opAND:
			return a & b
		case opOR:
			return a | b
		case opXOR:
			return a ^ b
		}
		return b
	}
	if m.id != nil {
		f.ID = do(f.ID, *m.id)
	}
	if m.len != nil {
		f.Len = uint16(do(uint32(f.Len), uint32(*m.len)))
	}
	if m.flags != nil {
		f.Flags = uint8(do(uint32(f.Flags), uint32(*m.flags)))
	}
	if m.dataN > 0 {
		for i := range m.dataN {
			f.Data[i] = byte(do(uint32(f.Data[i]), uint32(m.data[i])))
		}
	}
}

// index resolves a can-gw checksum index (negative counts from the end).
func index(i int, n int) int {
	if i < 0 {
		return n + i
	}
	return i
}

// mapID returns the ID a frame with id will have after the transform.
func (t *transform) mapID(id uint32) uint32 {
	if t.remap != nil {
		if to, ok := t.remap[id&frame.CANEFFMask]; ok {
			id = id&^frame.CANEFFMask | to
		}
	}
	for i, m := range []*mod{t.and, t.or, t.xor, t.set} {
		if m != nil && m.id != nil {
			switch i {
			case opAND:
				id &= *m.id
			case opOR:
				id |= *m.id
			case opXOR:
				id ^= *m.id
			case opSET:
				id = *m.id
			}
		}
	}
	return id
}

// apply transforms f in place. It reports false when the result is not a
// valid frame (the frame is then dropped as malformed).
func (t *transform) apply(f *frame.Frame) bool {
	if t.remap != nil {
		flags := f.ID &^ frame.CANEFFMask
		if to, ok := t.remap[f.ID&frame.CANEFFMask]; ok {
			f.ID = flags | to
		}
	}
	t.and.apply(f, opAND)
	t.or.apply(f, opOR)
	t.xor.apply(f, opXOR)
	t.set.apply(f, opSET)
	maxLen := uint16(8)
	if f.Type == frame.CANFD {
		maxLen = 64
	}
	if f.IsCAN() && f.Len > maxLen {
		return false
	}
	n := int(f.Len)
	if c := t.crc8; c != nil {
		from, to, res := index(c.from, n), index(c.to, n), index(c.result, n)
		if from < 0 || to < 0 || res < 0 || from >= n || to >= n || res >= n {
			return false
		}
		crc := c.init
		if from <= to {
			for i := from; i <= to; i++ {
				crc = t.crcTable[crc^f.Data[i]]
			}
		} else {
			for i := from; i >= to; i-- {
				crc = t.crcTable[crc^f.Data[i]]
			}
		}
		f.Data[res] = crc ^ c.finalXOR
	}
	if c := t.xorcs; c != nil {
		from, to, res := index(c.from, n), index(c.to, n), index(c.result, n)
		if from < 0 || to < 0 || res < 0 || from >= n || to >= n || res >= n {
			return false
		}
		x := c.init
		lo, hi := min(from, to), max(from, to)
		for i := lo; i <= hi; i++ {
			x ^= f.Data[i]
		}
		f.Data[res] = x
	}
	return true
}

// route is a compiled config.Route.
type route struct {
	name      string
	idx       uint16
	cfg       *config.Route
	filters   []filter
	frameType string
	allow     *allowlist.List // what untrusted sources may write onto a bus
	limiter   *limiter
	xform     *transform
	dests     []*node
	// guard[i] is true when dests[i] is a bus written from a network
	// source: frames must then match the allow list.
	guard []bool
	// ether[i] is true when dests[i] carries Ethernet frames only (an
	// interface bridged by a packet endpoint): allow lists ethertypes.
	ether     []bool
	stats     *routeStats
	latency   latencyObserver
	offloaded bool               // runs as can-gw rules (offload.go)
	offRules  []*can.GatewayRule // the installed rules
}

type latencyObserver interface{ Observe(float64) }

// allowed reports whether f, from an untrusted source, may be written to
// the guarded destination di (package allowlist has the rule). Onto an
// Ethernet-only destination (a packet endpoint) only Ethernet frames with
// a complete header whose outer ethertype (bytes 12-13) is listed pass;
// allow: [any] passes everything there.
func (r *route) allowed(f *frame.Frame, di int) bool {
	a := r.allow
	if r.ether[di] {
		if a.Any {
			return true
		}
		if f.Type != frame.Ethernet || f.Len < 14 {
			return false
		}
		return a.AdmitsEtherType(uint16(f.Data[12])<<8 | uint16(f.Data[13]))
	}
	switch f.Type {
	case frame.CAN, frame.CANFD:
		return a.AdmitsCAN(f.ID)
	case frame.ISOTP:
		return a.AdmitsISOTP(f.ID)
	case frame.J1939:
		return a.AdmitsPGN(f.ID)
	case frame.Ethernet:
		return a.Any && f.Len >= 14
	}
	return false
}

// accepts reports whether f passes the route's filters.
func (r *route) accepts(f *frame.Frame) bool {
	switch r.frameType {
	case "fd":
		if f.Type != frame.CANFD {
			return false
		}
	case "classic":
		if f.Type == frame.CANFD {
			return false
		}
	}
	if len(r.filters) == 0 {
		return true
	}
	return matchAny(r.filters, f.ID)
}

// routeStats are a route's counters. In counts frame copies: one per
// destination for each frame that passed the filter. In = Out + dropped +
// queued, always.
type routeStats struct {
	in, out atomic.Uint64
	drops   endpoint.Drops
	lat     latencyHist
}
