package busmsg

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/frame"
)

func mk(t frame.Type, id uint32, flags, addr uint8, tm int64, data string) frame.Frame {
	f := frame.Frame{Type: t, ID: id, Flags: flags, Addr: addr, Time: tm}
	b, err := hex.DecodeString(data)
	if err != nil {
		panic(err)
	}
	f.Len = uint16(copy(f.Data[:], b))
	return f
}

func eth(et uint16, n int, tm int64) frame.Frame {
	f := frame.Frame{Type: frame.Ethernet, Len: uint16(n), Time: tm}
	for i := range n {
		f.Data[i] = byte(i * 7)
	}
	f.Data[12], f.Data[13] = byte(et>>8), byte(et)
	return f
}

// sample frames of every type and flag.
func sample() []frame.Frame {
	const t0 = 1733590000123456789
	return []frame.Frame{
		mk(frame.CAN, 0x123, 0, 0, t0, "A1B2C3"),
		mk(frame.CAN, frame.CANEFFFlag|0x1ABCDEF0, 0, 0, t0+1000, "0001020304050607"),
		mk(frame.CAN, frame.CANRTRFlag|0x7DF, 0, 0, t0+2000, "0000"),
		mk(frame.CAN, frame.CANERRFlag|0x004, 0, 0, t0+3000, "0000080000000000"),
		mk(frame.CAN, 0x000, 0, 0, t0-5000, ""),
		mk(frame.CANFD, 0x100, frame.CANFDBRS|frame.CANFDESI, 0, t0, strings.Repeat("5A", 64)),
		mk(frame.CANFD, frame.CANEFFFlag|0x18DAF110, frame.CANFDBRS, 0, t0, strings.Repeat("01", 12)),
		mk(frame.ISOTP, 0x7E8, 0, 0, t0, strings.Repeat("62F190", 100)),
		mk(frame.J1939, 0xFECA, 0xFF, 0x80, t0, "0102030405060708090A"),
		eth(0x0800, 60, t0+100),
	}
}

func sameFrame(a, b *frame.Frame) bool {
	return a.Type == b.Type && a.ID == b.ID && a.Flags == b.Flags && a.Addr == b.Addr && a.Len == b.Len &&
		a.Time == b.Time && bytes.Equal(a.Payload(), b.Payload())
}

func TestSubject(t *testing.T) {
	s := Subject{Prefix: "fg", Gateway: "bench1", Sep: '.'}
	want := []string{
		"fg.bench1.vcan0.can.123", "fg.bench1.vcan0.can.1ABCDEF0", "fg.bench1.vcan0.can.7DF",
		"fg.bench1.vcan0.can.20000004", "fg.bench1.vcan0.can.000", "fg.bench1.vcan0.canfd.100",
		"fg.bench1.vcan0.canfd.18DAF110", "fg.bench1.vcan0.isotp.7E8", "fg.bench1.vcan0.j1939.0FECA",
		"fg.bench1.vcan0.eth.0800",
	}
	for i, f := range sample() {
		if got := string(s.Append(nil, "vcan0", &f)); got != want[i] {
			t.Errorf("frame %d: subject %q, want %q", i, got, want[i])
		}
	}
	if got := string(s.Append(nil, "bus.a b", &sample()[0])); got != "fg.bench1.bus_a_b.can.123" {
		t.Errorf("endpoint with a dot: %q", got)
	}
	m := Subject{Prefix: "fleet/a", Gateway: "gw", Sep: '/'}
	f := sample()[0]
	if got := string(m.Append(nil, "bus", &f)); got != "fleet/a/gw/bus/can/123" {
		t.Errorf("mqtt topic %q", got)
	}
	for _, bad := range []string{"", "a.b", "a b", "*", ">", "a/b", "$SYS", "é", strings.Repeat("x", 256)} {
		if CheckToken(bad) == nil {
			t.Errorf("token %q accepted", bad)
		}
	}
	for _, good := range []string{"bench-1", "vcan0", "A_b"} {
		if err := CheckToken(good); err != nil {
			t.Errorf("token %q: %v", good, err)
		}
	}
	if CheckPrefix("a..b") == nil || CheckPrefix("fleet.eu") != nil || CheckPrefix("") != nil {
		t.Error("prefix check")
	}
}

// TestBinaryBytes pins the encoding byte by byte, as configs/README.md
// documents it.
func TestBinaryBytes(t *testing.T) {
	f1 := mk(frame.CAN, 0x123, 0, 0, 0x0102030405060708, "A1B2C3")
	f2 := mk(frame.J1939, 0xFECA, 0xFF, 0x80, 0x0102030405060708-16, "01")
	b := BeginBinary(nil, 42, f1.Time)
	b, _ = AppendBinary(b, &f1)
	b, _ = AppendBinary(b, &f2)
	want := "01" + "02" + "000000000000002A" + "0102030405060708" +
		"01" + "00" + "00" + "00000123" + "00000000" + "0003" + "A1B2C3" +
		"04" + "FF" + "80" + "0000FECA" + "FFFFFFF0" + "0001" + "01"
	if got := strings.ToUpper(hex.EncodeToString(b)); got != want {
		t.Fatalf("binary\n got %s\nwant %s", got, want)
	}
}

func TestBinaryRoundTrip(t *testing.T) {
	fs := sample()
	b := BeginBinary(nil, 7, fs[0].Time)
	for i := range fs {
		var ok bool
		if b, ok = AppendBinary(b, &fs[i]); !ok {
			t.Fatalf("frame %d not appended", i)
		}
	}
	m, err := ParseBinary(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.N != len(fs) || m.Seq != 7 || m.Time != fs[0].Time {
		t.Fatalf("header %+v", m)
	}
	var f frame.Frame
	for i := range fs {
		if !m.Next(&f) || !sameFrame(&f, &fs[i]) {
			t.Fatalf("frame %d: got %+v", i, f.String())
		}
	}
	if m.Next(&f) {
		t.Fatal("extra frame")
	}
	// A frame more than 2.1 s from the message's time starts a new message.
	far := fs[0]
	far.Time += 3e9
	if _, ok := AppendBinary(b, &far); ok {
		t.Fatal("frame 3 s later appended")
	}
	full := BeginBinary(nil, 1, 0)
	z := mk(frame.CAN, 1, 0, 0, 0, "")
	for range MaxBatch {
		full, _ = AppendBinary(full, &z)
	}
	if _, ok := AppendBinary(full, &z); ok {
		t.Fatal("256th frame appended")
	}
	if m, err := ParseBinary(full); err != nil || m.N != MaxBatch {
		t.Fatalf("full message: %v %d", err, m.N)
	}
}

func TestBinaryRefused(t *testing.T) {
	good := mk(frame.CAN, 0x123, 0, 0, 0, "A1B2C3")
	msg := func(edit func(b []byte) []byte) []byte {
		b := BeginBinary(nil, 1, 0)
		b, _ = AppendBinary(b, &good)
		return edit(b)
	}
	rec := BinaryHeaderLen
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "truncated header"},
		{"version", msg(func(b []byte) []byte { b[0] = 2; return b }), "unknown version 2"},
		{"no frames", msg(func(b []byte) []byte { b[1] = 0; return b[:BinaryHeaderLen] }), "no frames"},
		{"count too high", msg(func(b []byte) []byte { b[1] = 2; return b }), "frame 2 of 2: truncated record header"},
		{"trailing", msg(func(b []byte) []byte { return append(b, 0) }), "1 bytes after frame 1"},
		{"short data", msg(func(b []byte) []byte { return b[:len(b)-1] }), "truncated data (2 of 3 bytes)"},
		{"type", msg(func(b []byte) []byte { b[rec] = 9; return b }), "unknown frame type 9"},
		{"can flags", msg(func(b []byte) []byte { b[rec+1] = 1; return b }), "CAN frame with flags"},
		{"can addr", msg(func(b []byte) []byte { b[rec+2] = 1; return b }), "address byte"},
		{"sff id", msg(func(b []byte) []byte { b[rec+5] = 0x08; return b }), "11-bit ID 0x823 above 0x7FF"},
		{"can len", msg(func(b []byte) []byte {
			b[rec+12] = 9
			return append(b, make([]byte, 6)...)
		}), "CAN frame of 9 bytes"},
		{"fd len", msg(func(b []byte) []byte {
			b[rec], b[rec+12] = byte(frame.CANFD), 9
			return append(b, make([]byte, 6)...)
		}), "CAN FD frame of 9 bytes"},
		{"fd rtr", msg(func(b []byte) []byte { b[rec] = byte(frame.CANFD); b[rec+3] = 0x40; b[rec+12] = 0; return b[:len(b)-3] }), "RTR or ERR"},
		{"eth short", msg(func(b []byte) []byte { b[rec] = byte(frame.Ethernet); clear(b[rec+3 : rec+7]); return b }), "Ethernet frame of 3 bytes"},
		{"j1939 pgn", msg(func(b []byte) []byte { b[rec] = byte(frame.J1939); b[rec+3] = 1; return b }), "PGN 0x1000123 above"},
	} {
		_, err := ParseBinary(tc.b)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	want := []string{
		`{"time":1733590000123456789,"seq":1,"kind":"can","id":"123","len":3,"data":"A1B2C3"}`,
		`{"time":1733590000123457789,"seq":2,"kind":"can","id":"1ABCDEF0","ext":true,"len":8,"data":"0001020304050607"}`,
		`{"time":1733590000123458789,"seq":3,"kind":"can","id":"7DF","rtr":true,"len":2,"data":"0000"}`,
		`{"time":1733590000123459789,"seq":4,"kind":"can","id":"20000004","err":true,"len":8,"data":"0000080000000000"}`,
		`{"time":1733590000123451789,"seq":5,"kind":"can","id":"000","len":0,"data":""}`,
	}
	for i, f := range sample() {
		b := AppendJSON(nil, &f, uint64(i+1))
		if i < len(want) && string(b) != want[i] {
			t.Errorf("frame %d:\n got %s\nwant %s", i, b, want[i])
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("frame %d: not JSON: %v: %s", i, err, b)
		}
		var g frame.Frame
		info, err := ParseJSON(b, &g)
		if err != nil {
			t.Fatalf("frame %d: %v: %s", i, err, b)
		}
		if !sameFrame(&g, &f) || info.Seq != uint64(i+1) || !info.HasSeq || !info.HasTime {
			t.Fatalf("frame %d: round trip %s → %s %+v", i, b, AppendJSON(nil, &g, info.Seq), info)
		}
	}
	// Written by hand: spaces, lower-case hex, no len, no time, RTR without data.
	var g frame.Frame
	for in, out := range map[string]string{
		` { "kind" : "can", "id":"7df" , "data":"0201aa" } `:            `{"time":0,"seq":0,"kind":"can","id":"7DF","len":3,"data":"0201AA"}`,
		`{"kind":"can","id":"123","rtr":true,"len":8}`:                  `{"time":0,"seq":0,"kind":"can","id":"123","rtr":true,"len":8,"data":"0000000000000000"}`,
		`{"kind":"canfd","id":"1","ext":true,"brs":true,"data":"00"}`:   `{"time":0,"seq":0,"kind":"canfd","id":"00000001","ext":true,"brs":true,"len":1,"data":"00"}`,
		`{"kind":"j1939","id":"feca","src":1,"dst":255,"data":"11"}`:    `{"time":0,"seq":0,"kind":"j1939","id":"0FECA","src":1,"dst":255,"len":1,"data":"11"}`,
		`{"kind":"isotp","id":"7e8","data":"0102","ext":false,"seq":9}`: `{"time":0,"seq":0,"kind":"isotp","id":"7E8","len":2,"data":"0102"}`,
	} {
		if _, err := ParseJSON([]byte(in), &g); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got := string(AppendJSON(nil, &g, 0)); got != out {
			t.Errorf("%s:\n got %s\nwant %s", in, got, out)
		}
	}
}

func TestJSONRefused(t *testing.T) {
	for in, want := range map[string]string{
		``:                                "expected '{'",
		`[]`:                              "expected '{'",
		`{}`:                              "no kind",
		`{"kind":"can","id":"123"`:        "expected ',' or '}'",
		`{"kind":"can","id":"123"} x`:     "bytes after the object",
		`{"kind":"can","id":"123","x":1}`: `unknown key "x"`,
		`{"kind":"can","kind":"can"}`:     `key "kind" twice`,
		`{"kind":"bus","id":"1"}`:         `unknown kind "bus"`,
		`{"kind":"can"}`:                  "no id",
		`{"kind":"can","id":"800"}`:       "11-bit id 0x800 above 0x7FF",
		`{"kind":"can","id":"20000000","ext":true}`:                        "29-bit id 0x20000000 above",
		`{"kind":"can","id":"123456789"}`:                                  "1 to 8 hex digits",
		`{"kind":"can","id":"12g"}`:                                        "not hex",
		`{"kind":"can","id":"1","data":"123"}`:                             "an even number",
		`{"kind":"can","id":"1","data":"zz"}`:                              "not hex",
		`{"kind":"can","id":"1","len":2,"data":"00"}`:                      "len 2 but data has 1 bytes",
		`{"kind":"can","id":"1","len":2}`:                                  "len 2 without data",
		`{"kind":"can","id":"1","data":"000000000000000000"}`:              "CAN frame of 9 bytes",
		`{"kind":"canfd","id":"1","data":"000000000000000000"}`:            "CAN FD frame of 9 bytes",
		`{"kind":"can","id":"1","brs":true}`:                               "brs and esi apply to canfd",
		`{"kind":"j1939","id":"1","rtr":true}`:                             "ext, rtr and err apply to",
		`{"kind":"can","id":"1","src":1}`:                                  "src and dst apply to j1939",
		`{"kind":"j1939","id":"40000"}`:                                    "PGN 0x40000 above",
		`{"kind":"eth","id":"0800","data":"00"}`:                           "Ethernet frame of 1 bytes",
		`{"kind":"eth","id":"86DD","data":"0000000000000000000000000800"}`: "not the frame's EtherType 0800",
		`{"kind":"can","id":"1","time":-1}`:                                "time: expected",
		`{"kind":"can","id":"1","time":1.5}`:                               "time: expected",
		`{"kind":"can","id":"1","seq":01}`:                                 "seq: expected",
		`{"kind":"can","id":"1","seq":18446744073709551616}`:               "seq: expected",
		`{"kind":"can","id":"1","len":4097}`:                               "len: expected",
		`{"kind":"c\u0061n","id":"1"}`:                                     "kind: expected a string",
		`{"kind":"can","id":"1","ext":1}`:                                  "expected true or false",
		"{\"kind\":\"can\",\"id\":\"1\x00\"}":                              "id: expected",
	} {
		var f frame.Frame
		_, err := ParseJSON([]byte(in), &f)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want %q", in, err, want)
		}
	}
}

func TestNoAllocations(t *testing.T) {
	fs := sample()
	buf := make([]byte, 0, 64<<10)
	s := Subject{Prefix: "fg", Gateway: "g", Sep: '.'}
	var g frame.Frame
	for name, fn := range map[string]func(){
		"binary": func() {
			b := BeginBinary(buf[:0], 1, fs[0].Time)
			for i := range fs {
				b, _ = AppendBinary(b, &fs[i])
			}
			m, err := ParseBinary(b)
			if err != nil {
				panic(err)
			}
			for m.Next(&g) {
			}
		},
		"subject": func() {
			for i := range fs {
				s.Append(buf[:0], "vcan0", &fs[i])
			}
		},
		"json": func() {
			for i := range fs {
				b := AppendJSON(buf[:0], &fs[i], 1)
				if _, err := ParseJSON(b, &g); err != nil {
					panic(err)
				}
			}
		},
	} {
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Errorf("%s: %v allocations per run", name, n)
		}
	}
}

// TestSameID: SameID agrees with comparing AppendID's tokens.
func TestSameID(t *testing.T) {
	fs := sample()
	extra := []frame.Frame{
		mk(frame.CAN, 0x123|frame.CANRTRFlag, 0, 0, 0, ""), mk(frame.CAN, 0x123|frame.CANEFFFlag, 0, 0, 0, ""),
		mk(frame.J1939, 0x1FECA, 0, 0, 0, ""), eth(0x86DD, 60, 0), eth(0x0800, 20, 0),
		{Type: frame.Ethernet, Len: 10}, {Type: frame.Ethernet, Len: 5},
	}
	fs = append(fs, extra...)
	for i := range fs {
		for j := range fs {
			if fs[i].Type != fs[j].Type {
				continue
			}
			want := string(AppendID(nil, &fs[i])) == string(AppendID(nil, &fs[j]))
			if got := SameID(&fs[i], &fs[j]); got != want {
				t.Errorf("%d %d: SameID %v, tokens %s %s", i, j, got, AppendID(nil, &fs[i]), AppendID(nil, &fs[j]))
			}
		}
	}
}

// TestAppendBinaryBatch: the batch encoder writes what AppendBinary
// writes frame by frame, and stops where a message must end.
func TestAppendBinaryBatch(t *testing.T) {
	fs := sample()[:4] // CAN frames of one source
	want := BeginBinary(nil, 1, fs[0].Time)
	for i := range fs {
		want, _ = AppendBinary(want, &fs[i])
	}
	got, n, one := AppendBinaryBatch(BeginBinary(nil, 1, fs[0].Time), fs, 1<<20)
	if !bytes.Equal(got, want) || n != 4 || one {
		t.Fatalf("n %d one %v\n got %x\nwant %x", n, one, got, want)
	}
	same := []frame.Frame{fs[0], fs[0], fs[0]}
	same[1].ID |= frame.CANRTRFlag
	if _, n, one := AppendBinaryBatch(BeginBinary(nil, 1, same[0].Time), same, 1<<20); n != 3 || !one {
		t.Fatalf("one ID: n %d one %v", n, one)
	}
	mixed := []frame.Frame{fs[0], sample()[5], fs[1]}
	if _, n, _ := AppendBinaryBatch(BeginBinary(nil, 1, fs[0].Time), mixed, 1<<20); n != 1 {
		t.Fatalf("type change: n %d", n)
	}
	src := []frame.Frame{fs[0], fs[1]}
	src[1].Source = 3
	if _, n, _ := AppendBinaryBatch(BeginBinary(nil, 1, fs[0].Time), src, 1<<20); n != 1 {
		t.Fatalf("source change: n %d", n)
	}
	lim := BinaryHeaderLen + RecordLen(&fs[0]) + RecordLen(&fs[1])
	if _, n, _ := AppendBinaryBatch(BeginBinary(nil, 1, fs[0].Time), fs, lim); n != 2 {
		t.Fatalf("limit: n %d", n)
	}
	late := []frame.Frame{fs[0], fs[1]}
	late[1].Time += 3e9
	if _, n, _ := AppendBinaryBatch(BeginBinary(nil, 1, fs[0].Time), late, 1<<20); n != 1 {
		t.Fatalf("time: n %d", n)
	}
	many := make([]frame.Frame, 300)
	if m, n, _ := AppendBinaryBatch(BeginBinary(nil, 1, 0), many, 1<<20); n != MaxBatch || m[1] != MaxBatch {
		t.Fatalf("count: n %d", n)
	}
}

// BenchmarkAppendBinaryBatch: encoding a 64-frame batch of 8-byte CAN
// frames (ns/op is per batch).
func BenchmarkAppendBinaryBatch(b *testing.B) {
	fs := make([]frame.Frame, 64)
	for i := range fs {
		fs[i] = mk(frame.CAN, uint32(0x100+i), 0, 0, int64(1000+i), "0102030405060708")
	}
	buf := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	for range b.N {
		m := BeginBinary(buf[:0], 1, fs[0].Time)
		buf, _, _ = AppendBinaryBatch(m, fs, 1<<20) // the buffer is kept, as a publisher keeps it
	}
}
