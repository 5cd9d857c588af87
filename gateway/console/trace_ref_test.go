package console

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/frame"
)

// changed is appendTrace decoded: the rows of the trace event it writes.
func (v *traceView) changed(now time.Time, all bool) []Row {
	b, n := v.appendTrace(nil, now, all)
	if n == 0 {
		if len(b) != 0 {
			panic("appendTrace wrote an event without rows")
		}
		return nil
	}
	var te traceEvent
	if err := json.Unmarshal(b, &te); err != nil {
		panic("appendTrace: " + err.Error() + ": " + string(b))
	}
	if len(te.Rows) != n {
		panic("appendTrace: " + strconv.Itoa(n) + " rows counted, " + strconv.Itoa(len(te.Rows)) + " written")
	}
	return te.Rows
}

// refRow is the row of e as the console formatted it before appendRow,
// through Row and encoding/json: the reference the hand-written JSON must
// decode to.
func (v *traceView) refRow(e *entry, rate float64, period float32) Row {
	src, typ, addr, id := keyParts(e.key)
	// The period is a float32: written in its shortest form (0.2, not
	// 0.20000000298023224), as the console did not before appendRow.
	p, _ := strconv.ParseFloat(strconv.FormatFloat(float64(period), 'g', -1, 32), 64)
	r := Row{Key: strconv.FormatUint(e.key, 36), EP: v.name(src), Type: typ.String(), Count: e.count,
		Rate: math.Round(rate*10) / 10, Period: p, Len: e.len, Last: e.last / 1e6, Sampled: v.tap.sampled(src)}
	n := min(e.len, len(e.data))
	if id&frame.CANRTRFlag != 0 && (typ == frame.CAN || typ == frame.CANFD) {
		r.RTR, n = true, 0
	}
	r.Data = hex.EncodeToString(e.data[:n])
	switch typ {
	case frame.CAN, frame.CANFD:
		if id&frame.CANEFFFlag != 0 {
			r.Ext, r.IDNum = true, id&frame.CANEFFMask
			r.ID = refHexID(r.IDNum, 8)
		} else {
			r.IDNum = id & frame.CANSFFMask
			r.ID = refHexID(r.IDNum, 3)
		}
		if v.dbc != nil && !r.RTR && id&frame.CANERRFlag == 0 {
			f := frame.Frame{ID: id, Type: typ, Flags: e.flags, Len: uint16(n)}
			copy(f.Data[:n], e.data[:n])
			frame.ToCAN(&v.cf, &f)
			name, sigs, ok := v.dbc.AppendDecode(nil, &v.cf)
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
		r.ID = refHexID(id, 5)
	default:
		r.IDNum = id
		r.ID = refHexID(id, 3)
	}
	return r
}

func refHexID(id uint32, width int) string {
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

// FuzzTraceRowJSON: the JSON appendRow writes for any slot (type, ID,
// flags, data, endpoint name, rate, period) is valid, decodes to the row
// encoding/json made of the same entry, and a second write of the same
// entry (from the row's cache) is the same bytes.
func FuzzTraceRowJSON(f *testing.F) {
	f.Add(uint8(frame.CAN), uint32(0x123), uint8(0), uint8(0), []byte{0xE8, 0x03, 0x50, 0x01, 0, 0, 0, 0}, "a", 12.34, float32(1.5), uint64(7))
	f.Add(uint8(frame.CAN), uint32(0x18FEF100|frame.CANEFFFlag), uint8(0), uint8(0), []byte{0, 0, 0x32, 0, 0, 0, 0, 0}, "bus \"x\"\n\x01é\xff\u2028", 0.04, float32(0), uint64(1))
	f.Add(uint8(frame.CAN), uint32(0x7FF|frame.CANRTRFlag), uint8(0), uint8(0), []byte{1, 2}, "r", 1e22, float32(1e-7), uint64(1))
	f.Add(uint8(frame.CANFD), uint32(0x123), uint8(0), uint8(frame.CANFDBRS), make([]byte, 64), "fd", 5000.0, float32(0.2), uint64(99))
	f.Add(uint8(frame.J1939), uint32(0x0FEF1), uint8(0x80), uint8(0), []byte{1}, "j", 1.0, float32(100), uint64(3))
	f.Add(uint8(frame.CAN), uint32(0x20000004|frame.CANEFFFlag), uint8(0), uint8(0), []byte{0, 4}, "err", 0.0, float32(0), uint64(0))
	db := benchDBC(f)
	f.Fuzz(func(t *testing.T, typ uint8, id uint32, addr uint8, flags uint8, data []byte, ep string, rate float64, period float32, count uint64) {
		if typ == 0 || math.IsNaN(rate) || math.IsInf(rate, 0) || math.IsNaN(float64(period)) || math.IsInf(float64(period), 0) || math.Abs(rate) > 1e300 {
			return
		}
		tap := new(Tap)
		v := &traceView{tap: tap, dbc: db, name: func(uint16) string { return ep }}
		e := entry{idx: 5, key: uint64(1)<<48 | uint64(typ)<<40 | uint64(addr)<<32 | uint64(id), count: count, len: len(data), flags: flags, last: 1_700_000_000_123_456_789}
		copy(e.data[:], data)
		b := v.appendRow(nil, &e, rate, period)
		var got Row
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("invalid JSON %q: %v", b, err)
		}
		// The reference through encoding/json, decoded the same way.
		rb, err := json.Marshal(v.refRow(&e, rate, period))
		if err != nil {
			t.Fatal(err)
		}
		var want Row
		if err := json.Unmarshal(rb, &want); err != nil {
			t.Fatal(err)
		}
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		if string(gb) != string(wb) {
			t.Fatalf("appendRow wrote %s\nwhich decodes to %s\nencoding/json: %s", b, gb, wb)
		}
		if b2 := v.appendRow(nil, &e, rate, period); string(b2) != string(b) {
			t.Fatalf("second write %s, first %s", b2, b)
		}
	})
}

// TestAppendStringMatchesEncodingJSON: appendString writes what
// encoding/json writes, HTML characters aside.
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "a", "km/h", "é ü 日本", "\"\\\n\r\t\x00\x1f\x7f", "\xff\xfe", "a\u2028b\u2029", "x\xc3"} {
		want, _ := json.Marshal(s)
		got := appendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q: invalid JSON %s", s, got)
		}
		if string(got) != string(want) {
			t.Errorf("%q: %s, encoding/json %s", s, got, want)
		}
	}
	for _, f := range []float64{0, 1, -1.5, 100, 0.1, 1e-7, 1.5e-7, 1e21, 123456789012345678, -2e-9, math.MaxFloat64} {
		want, _ := json.Marshal(f)
		if got := appendFloat(nil, f, 64); string(got) != string(want) {
			t.Errorf("%v: %s, encoding/json %s", f, got, want)
		}
	}
	for _, f := range []float32{0, 0.93, 20, 1e-7, 3.4e38} {
		want, _ := json.Marshal(f)
		if got := appendFloat(nil, float64(f), 32); string(got) != string(want) {
			t.Errorf("float32 %v: %s, encoding/json %s", f, got, want)
		}
	}
}
