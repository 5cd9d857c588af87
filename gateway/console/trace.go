package console

import (
	"encoding/hex"
	"math"
	"strconv"
	"time"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// Row is one line of the trace: an ID as one source endpoint received it.
// It documents the JSON of a trace event's rows, which traceView writes by
// hand (appendTrace); the tests decode events into it.
type Row struct {
	Key   string `json:"k"`  // stable key of the row
	EP    string `json:"ep"` // source endpoint
	Type  string `json:"type"`
	ID    string `json:"id"` // candump style: 3 hex digits, 8 for extended IDs
	IDNum uint32 `json:"idn"`
	Ext   bool   `json:"ext,omitempty"`
	RTR   bool   `json:"rtr,omitempty"`
	Addr  int    `json:"sa,omitempty"` // J1939 source address
	Count uint64 `json:"n"`
	// Sampled is set while the source is too busy to trace every frame:
	// Count and Rate are then estimates (see Tap).
	Sampled bool    `json:"sampled,omitempty"`
	Rate    float64 `json:"rate"`      // frames/s, smoothed over about a second
	Period  float64 `json:"period_ms"` // mean time between frames since the last update
	Len     int     `json:"len"`
	Data    string  `json:"data"` // hex of the first 64 bytes
	Last    int64   `json:"t"`    // Unix milliseconds of the last frame
	Msg     string  `json:"msg,omitempty"`
	Sigs    []Sig   `json:"sig,omitempty"`
}

// Sig is a decoded signal of a trace row.
type Sig struct {
	Name  string  `json:"n"`
	Value float64 `json:"v"`
	Unit  string  `json:"u,omitempty"`
	Text  string  `json:"x,omitempty"`
}

// traceView is one browser's view of the tap: the counts it last saw, to
// send only rows that changed and to compute rates, and what it formatted
// of each row, to format again only what changed.
type traceView struct {
	tap      *Tap
	dbc      *can.DBC
	name     func(uint16) string
	at       time.Time
	count    [tapSlots]uint64
	lastAt   [tapSlots]int64 // time of the slot's last frame at the previous read
	rate     [tapSlots]float32
	sentRate [tapSlots]float32
	period   [tapSlots]float32 // ms, as last sent
	rows     [tapSlots]*rowCache
	e        entry
	cf       can.FDFrame
	sigs     []can.Signal
}

// rowCache is what a view keeps of one slot's row between reads: the
// JSON of the parts that never change (key, endpoint, type, ID) and of the
// DBC decoding of the data it last decoded, which a read redoes only when
// the data changed.
type rowCache struct {
	key uint64
	ep  string // the endpoint name head was made with
	// head is `{"k":…,"ep":…,"type":…,"id":…,"idn":…` and ext, rtr, sa.
	head []byte
	rtr  bool // no data shown, nothing decoded

	decoded  bool // dec* and sig are set
	decLen   int
	decFlags uint8
	decData  [dataWords * 8]byte
	// sig is `,"msg":…,"sig":[…]`, or empty when the DBC has no such
	// message.
	sig []byte
}

// rateTau is the time constant of the rate's exponential smoothing.
const rateTau = time.Second

// appendTrace appends to b the JSON of a trace event with the rows whose
// count or rate changed since the last call (all rows on the first), read
// at now, and returns it with the number of rows; with none, it returns b
// unchanged. It allocates only for a row it has not sent before, or whose
// data changed when a DBC decodes it into more signals than before.
func (v *traceView) appendTrace(b []byte, now time.Time, all bool) ([]byte, int) {
	v.tap.adjust(now)
	dt := now.Sub(v.at)
	first := v.at.IsZero()
	v.at = now
	alpha := 1.0
	if !first {
		alpha = 1 - math.Exp(-dt.Seconds()/rateTau.Seconds())
	}
	start := len(b)
	b = append(b, `{"rows":[`...)
	n := 0
	// Only the claimed slots, in the order they were claimed: the table
	// has 4 096, a bus rarely more than a few hundred IDs.
	for u := range min(int(v.tap.nused.Load()), tapSlots) {
		iv := v.tap.used[u].Load()
		if iv == 0 {
			continue // its claimer has not published it yet: next read
		}
		i := int(iv - 1)
		s := &v.tap.slots[i]
		cnt := s.count.Load()
		d := cnt - v.count[i]
		var inst float64
		if !first && dt > 0 {
			inst = float64(d) / dt.Seconds()
		}
		r := float64(v.rate[i])
		if first {
			r = 0
		} else {
			r += (inst - r) * alpha
		}
		if r < 0.05 {
			r = 0
		}
		v.rate[i] = float32(r)
		send := all || d != 0 || float32(r) != v.sentRate[i]
		v.count[i] = cnt
		if !send || !v.tap.read(i, &v.e) {
			continue
		}
		v.sentRate[i] = float32(r)
		// The period: the mean time between frames since the last read
		// (exactly the last interval when one frame came).
		if d > 0 && v.lastAt[i] != 0 && v.e.last > v.lastAt[i] {
			v.period[i] = float32(math.Round(float64(v.e.last-v.lastAt[i])/float64(d)/1e4) / 100)
		}
		v.lastAt[i] = v.e.last
		if n > 0 {
			b = append(b, ',')
		}
		b = v.appendRow(b, &v.e, r, v.period[i])
		n++
	}
	if n == 0 {
		return b[:start], 0
	}
	b = append(b, ']')
	if o := v.tap.Overflow(); o != 0 {
		b = append(b, `,"overflow":`...)
		b = strconv.AppendUint(b, o, 10)
	}
	b = append(b, `,"t":`...)
	b = strconv.AppendInt(b, now.UnixMilli(), 10)
	return append(b, '}'), n
}

// appendRow appends the JSON of e's row (a Row).
func (v *traceView) appendRow(b []byte, e *entry, rate float64, period float32) []byte {
	c := v.rows[e.idx]
	src, _, _, _ := keyParts(e.key)
	if ep := v.name(src); c == nil || c.key != e.key || c.ep != ep {
		c = &rowCache{key: e.key, ep: ep}
		c.head, c.rtr = appendRowHead(nil, e.key, ep)
		v.rows[e.idx] = c
	}
	b = append(b, c.head...)
	b = append(b, `,"n":`...)
	b = strconv.AppendUint(b, e.count, 10)
	if v.tap.sampled(src) {
		b = append(b, `,"sampled":true`...)
	}
	b = append(b, `,"rate":`...)
	b = appendFloat(b, math.Round(rate*10)/10, 64)
	b = append(b, `,"period_ms":`...)
	b = appendFloat(b, float64(period), 32)
	b = append(b, `,"len":`...)
	b = strconv.AppendInt(b, int64(e.len), 10)
	n := min(e.len, len(e.data))
	if c.rtr {
		n = 0
	}
	b = append(b, `,"data":"`...)
	b = hex.AppendEncode(b, e.data[:n])
	b = append(b, `","t":`...)
	b = strconv.AppendInt(b, e.last/1e6, 10)
	if v.dbc != nil && !c.rtr {
		b = append(b, v.decode(c, e, n)...)
	}
	return append(b, '}')
}

// decode returns the JSON of the DBC's message name and signals for e's
// first n data bytes, decoding them only when they differ from the ones
// c decoded last.
func (v *traceView) decode(c *rowCache, e *entry, n int) []byte {
	_, typ, _, id := keyParts(e.key)
	if typ != frame.CAN && typ != frame.CANFD || id&frame.CANERRFlag != 0 {
		return nil
	}
	if c.decoded && c.decLen == n && c.decFlags == e.flags && c.decData == e.data {
		return c.sig
	}
	c.decoded, c.decLen, c.decFlags, c.decData = true, n, e.flags, e.data
	f := frame.Frame{ID: id, Type: typ, Flags: e.flags, Len: uint16(n)}
	copy(f.Data[:n], e.data[:n])
	frame.ToCAN(&v.cf, &f)
	name, sigs, ok := v.dbc.AppendDecode(v.sigs[:0], &v.cf)
	v.sigs = sigs
	c.sig = c.sig[:0]
	if !ok {
		return c.sig
	}
	c.sig = append(c.sig, `,"msg":`...)
	c.sig = appendString(c.sig, name)
	k := 0
	for _, sg := range sigs {
		if math.IsNaN(sg.Value) || math.IsInf(sg.Value, 0) {
			continue
		}
		if k == 0 {
			c.sig = append(c.sig, `,"sig":[`...)
		} else {
			c.sig = append(c.sig, ',')
		}
		k++
		c.sig = append(c.sig, `{"n":`...)
		c.sig = appendString(c.sig, sg.Name)
		c.sig = append(c.sig, `,"v":`...)
		c.sig = appendFloat(c.sig, sg.Value, 64)
		if sg.Unit != "" {
			c.sig = append(c.sig, `,"u":`...)
			c.sig = appendString(c.sig, sg.Unit)
		}
		if sg.Description != "" {
			c.sig = append(c.sig, `,"x":`...)
			c.sig = appendString(c.sig, sg.Description)
		}
		c.sig = append(c.sig, '}')
	}
	if k > 0 {
		c.sig = append(c.sig, ']')
	}
	return c.sig
}

// appendRowHead appends the parts of a row that depend only on its key
// and endpoint name, without the closing brace; rtr reports a remote
// request, whose data is not shown.
func appendRowHead(b []byte, key uint64, ep string) (_ []byte, rtr bool) {
	_, typ, addr, id := keyParts(key)
	b = append(b, `{"k":"`...)
	b = strconv.AppendUint(b, key, 36)
	b = append(b, `","ep":`...)
	b = appendString(b, ep)
	b = append(b, `,"type":`...)
	b = appendString(b, typ.String())
	var idn uint32
	var digits int
	ext, sa := false, -1
	switch typ {
	case frame.CAN, frame.CANFD:
		rtr = id&frame.CANRTRFlag != 0
		if id&frame.CANEFFFlag != 0 {
			ext, idn, digits = true, id&frame.CANEFFMask, 8
		} else {
			idn, digits = id&frame.CANSFFMask, 3
		}
	case frame.J1939:
		idn, digits, sa = id, 5, int(addr)
	default:
		idn, digits = id, 3
	}
	b = append(b, `,"id":"`...)
	b = appendHexID(b, idn, digits)
	b = append(b, `","idn":`...)
	b = strconv.AppendUint(b, uint64(idn), 10)
	if ext {
		b = append(b, `,"ext":true`...)
	}
	if rtr {
		b = append(b, `,"rtr":true`...)
	}
	if sa > 0 {
		b = append(b, `,"sa":`...)
		b = strconv.AppendInt(b, int64(sa), 10)
	}
	return b, rtr
}

// appendHexID appends id in upper-case hex, zero-padded to width digits.
func appendHexID(b []byte, id uint32, width int) []byte {
	const digits = "0123456789ABCDEF"
	var buf [8]byte
	i := len(buf)
	for id != 0 || i == len(buf) {
		i--
		buf[i] = digits[id&0xF]
		id >>= 4
	}
	for ; len(buf)-i < width; width-- {
		b = append(b, '0')
	}
	return append(b, buf[i:]...)
}
