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
// send only rows that changed and to compute rates.
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
	e        entry
	cf       can.FDFrame
	sigs     []can.Signal
}

// rateTau is the time constant of the rate's exponential smoothing.
const rateTau = time.Second

// changed returns the rows whose count or rate changed since the last
// call (all rows on the first), read at now.
func (v *traceView) changed(now time.Time, all bool) []Row {
	v.tap.adjust(now)
	dt := now.Sub(v.at)
	first := v.at.IsZero()
	v.at = now
	alpha := 1.0
	if !first {
		alpha = 1 - math.Exp(-dt.Seconds()/rateTau.Seconds())
	}
	var rows []Row
	// Only the claimed slots, in the order they were claimed: the table
	// has 4 096, a bus rarely more than a few hundred IDs.
	for u := range min(int(v.tap.nused.Load()), tapSlots) {
		iv := v.tap.used[u].Load()
		if iv == 0 {
			continue // its claimer has not published it yet: next read
		}
		i := int(iv - 1)
		s := &v.tap.slots[i]
		n := s.count.Load()
		d := n - v.count[i]
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
		v.count[i] = n
		if !send || !v.tap.read(i, &v.e) {
			continue
		}
		v.sentRate[i] = float32(r)
		row := v.row(&v.e, r)
		// The period: the mean time between frames since the last read
		// (exactly the last interval when one frame came).
		if d > 0 && v.lastAt[i] != 0 && v.e.last > v.lastAt[i] {
			v.period[i] = float32(math.Round(float64(v.e.last-v.lastAt[i])/float64(d)/1e4) / 100)
		}
		row.Period = float64(v.period[i])
		v.lastAt[i] = v.e.last
		rows = append(rows, row)
	}
	return rows
}

// row formats an entry.
func (v *traceView) row(e *entry, rate float64) Row {
	src, typ, addr, id := keyParts(e.key)
	r := Row{Key: strconv.FormatUint(e.key, 36), EP: v.name(src), Type: typ.String(), Count: e.count,
		Rate: math.Round(rate*10) / 10, Len: e.len, Last: e.last / 1e6, Sampled: v.tap.sampled(src)}
	n := min(e.len, len(e.data))
	if id&frame.CANRTRFlag != 0 && (typ == frame.CAN || typ == frame.CANFD) {
		r.RTR, n = true, 0
	}
	r.Data = hex.EncodeToString(e.data[:n])
	switch typ {
	case frame.CAN, frame.CANFD:
		if id&frame.CANEFFFlag != 0 {
			r.Ext, r.IDNum = true, id&frame.CANEFFMask
			r.ID = hexID(r.IDNum, 8)
		} else {
			r.IDNum = id & frame.CANSFFMask
			r.ID = hexID(r.IDNum, 3)
		}
		if v.dbc != nil && !r.RTR && id&frame.CANERRFlag == 0 {
			f := frame.Frame{ID: id, Type: typ, Flags: e.flags, Len: uint16(n)}
			copy(f.Data[:n], e.data[:n])
			frame.ToCAN(&v.cf, &f)
			name, sigs, ok := v.dbc.AppendDecode(v.sigs[:0], &v.cf)
			v.sigs = sigs
			if ok {
				r.Msg = name
				for _, sg := range sigs {
					if math.IsNaN(sg.Value) || math.IsInf(sg.Value, 0) {
						continue
					}
					r.Sigs = append(r.Sigs, Sig{Name: sg.Name, Value: sg.Value, Unit: sg.Unit, Text: sg.Description})
				}
			}
		}
	case frame.J1939:
		r.IDNum, r.Addr = id, int(addr)
		r.ID = hexID(id, 5)
	default:
		r.IDNum = id
		r.ID = hexID(id, 3)
	}
	return r
}

// hexID formats id in upper-case hex, zero-padded to width digits.
func hexID(id uint32, width int) string {
	s := strconv.FormatUint(uint64(id), 16)
	for len(s) < width {
		s = "0" + s
	}
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
