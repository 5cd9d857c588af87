package slcan

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/fieldgate/fieldgate/can"
)

func fr(id uint32, ext, rtr bool, flags can.FDFlags, data ...byte) can.FDFrame {
	f := can.FDFrame{ID: id, Extended: ext, Remote: rtr, Flags: flags, Len: uint8(len(data))}
	copy(f.Data[:], data)
	return f
}

// lines are frames and their exact SLCAN lines, as the Lawicel manual, the
// Linux slcan driver and python-can write them.
var lines = []struct {
	f    can.FDFrame
	ts   int
	line string
}{
	{fr(0x123, false, false, 0, 0x11, 0x22, 0x33), NoTimestamp, "t1233112233\r"},
	{fr(0x7FF, false, false, 0), NoTimestamp, "t7FF0\r"},
	{fr(0x1ABCDEF0, true, false, 0, 1, 2, 3, 4, 5, 6, 7, 8), NoTimestamp, "T1ABCDEF080102030405060708\r"},
	{can.FDFrame{ID: 0x100, Remote: true, Len: 4}, NoTimestamp, "r1004\r"},
	{can.FDFrame{ID: 0x12345, Extended: true, Remote: true, Len: 0}, NoTimestamp, "R000123450\r"},
	{fr(0x001, false, false, 0, 0xAB), 0xEA5F, "t0011ABEA5F\r"},
	{fr(0x42, false, false, can.FDF, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), NoTimestamp, "d0429" + "0102030405060708090A0B0C" + "\r"},
	{fr(0x42, true, false, can.FDF|can.BRS, 0xFF), 1, "B000000421FF0001\r"},
	{fr(0x42, false, false, can.FDF|can.BRS), NoTimestamp, "b0420\r"},
}

func TestAppendFrame(t *testing.T) {
	for _, tc := range lines {
		got, err := AppendFrame(nil, &tc.f, tc.ts)
		if err != nil || string(got) != tc.line {
			t.Errorf("AppendFrame(%v) = %q, %v; want %q", tc.f.ID, got, err, tc.line)
		}
		var back can.FDFrame
		ts, err := ParseFrame([]byte(strings.TrimSuffix(tc.line, "\r")), &back)
		if err != nil || ts != tc.ts {
			t.Fatalf("ParseFrame(%q) = %d, %v", tc.line, ts, err)
		}
		want := tc.f
		if want.IsFD() {
			want.Flags |= can.FDF
		}
		if back.ID != want.ID || back.Extended != want.Extended || back.Remote != want.Remote || back.Flags != want.Flags || back.Len != want.Len || !bytes.Equal(back.Payload(), want.Payload()) && !want.Remote {
			t.Errorf("ParseFrame(%q) = %+v, want %+v", tc.line, back, want)
		}
	}
}

func TestAppendFramePadsFD(t *testing.T) {
	f := fr(0x10, false, false, can.FDF, 1, 2, 3, 4, 5, 6, 7, 8, 9) // 9 bytes: DLC 9 = 12 bytes
	got, err := AppendFrame(nil, &f, NoTimestamp)
	if err != nil || string(got) != "d0109010203040506070809000000\r" {
		t.Errorf("got %q, %v", got, err)
	}
	for _, f := range []can.FDFrame{{Error: true}, {Remote: true, Flags: can.FDF}} {
		if _, err := AppendFrame(nil, &f, NoTimestamp); !errors.Is(err, ErrNotEncodable) {
			t.Errorf("%+v: %v", f, err)
		}
	}
}

func TestParseFrameLowercaseHex(t *testing.T) {
	var f can.FDFrame
	if _, err := ParseFrame([]byte("T1abcdef02beef"), &f); err != nil || f.ID != 0x1ABCDEF0 || f.Len != 2 || f.Data[0] != 0xBE || f.Data[1] != 0xEF {
		t.Errorf("%+v %v", f, err)
	}
}

func TestParseFrameMalformed(t *testing.T) {
	for _, l := range []string{
		"", "x123", "t12", "t1234", "t12311", "t1231111", "t80000", "T200000000", "t12390000000000000000",
		"t123G", "t12X0", "t1231GG", "t1231110000000", "t123111ZZZZ", "r1231AA", "d123G", "T1234567", "b1230000",
	} {
		var f can.FDFrame
		_, err := ParseFrame([]byte(l), &f)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("ParseFrame(%q) = %v, want a SyntaxError", l, err)
		}
	}
}

func TestStatusAndState(t *testing.T) {
	if v, err := ParseStatus([]byte("FA4")); err != nil || v != 0xA4 {
		t.Errorf("ParseStatus: %x %v", v, err)
	}
	if string(AppendStatus(nil, 0x80)) != "F80\r" {
		t.Error("AppendStatus")
	}
	for _, l := range []string{"F", "F1", "FGG", "F123", "V1013"} {
		if _, err := ParseStatus([]byte(l)); err == nil {
			t.Errorf("ParseStatus(%q) succeeded", l)
		}
	}
	st, rx, tx, err := ParseState([]byte("sb012255"))
	if err != nil || st != StateBusOff || rx != 12 || tx != 255 {
		t.Errorf("ParseState: %v %d %d %v", st, rx, tx, err)
	}
	if got := string(AppendState(nil, StatePassive, 128, 1000)); got != "sp128999\r" {
		t.Errorf("AppendState %q", got)
	}
	for _, l := range []string{"sx000000", "sb00000", "sb0000000", "sa00a000", "S6"} {
		if _, _, _, err := ParseState([]byte(l)); err == nil {
			t.Errorf("ParseState(%q) succeeded", l)
		}
	}
	if c, ok := BitrateCode(500000); !ok || c != '6' {
		t.Error("BitrateCode(500000)")
	}
	if _, ok := BitrateCode(33333); ok {
		t.Error("BitrateCode(33333)")
	}
}

func readAll(t *testing.T, r io.Reader) []string {
	t.Helper()
	z := NewReader(r)
	var out []string
	for {
		l, term, err := z.Next()
		if errors.Is(err, ErrLineTooLong) {
			out = append(out, "TOOLONG")
			continue
		}
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(l)+map[byte]string{CR: "|", BEL: "!"}[term])
	}
}

func TestReader(t *testing.T) {
	long := strings.Repeat("A", MaxLine+1)
	in := "\r\a\nt1230\r\n\nz\rV1013\r" + long + "\rT0000000000\r" + long + long + "tail\r\rpartial"
	want := []string{"|", "!", "t1230|", "z|", "V1013|", "TOOLONG", "T0000000000|", "TOOLONG", "|"}
	for name, r := range map[string]io.Reader{
		"whole":    strings.NewReader(in),
		"one-byte": iotest.OneByteReader(strings.NewReader(in)),
		"half":     iotest.HalfReader(strings.NewReader(in)),
	} {
		got := readAll(t, r)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: %q\nwant %q", name, got, want)
		}
	}
	// A line of exactly MaxLine bytes is not too long.
	z := NewReader(strings.NewReader(long[:MaxLine] + "\r"))
	if l, _, err := z.Next(); err != nil || len(l) != MaxLine {
		t.Errorf("MaxLine line: %d %v", len(l), err)
	}
	z = NewReader(strings.NewReader("t1230\rt12"))
	z.Next()
	if z.Buffered() {
		t.Error("Buffered with a partial line")
	}
}

func TestNoAllocs(t *testing.T) {
	f := lines[7].f
	buf := make([]byte, 0, 256)
	var back can.FDFrame
	in := strings.NewReader("")
	z := NewReader(in)
	allocs := testing.AllocsPerRun(100, func() {
		b, _ := AppendFrame(buf[:0], &f, 5)
		in.Reset(string(b)) // the string conversion is the test's own
		l, _, _ := z.Next()
		ParseFrame(l, &back)
	})
	if allocs > 1 {
		t.Errorf("%v allocations per frame, want only the test's string conversion", allocs)
	}
}

func BenchmarkRoundTrip(b *testing.B) {
	f := fr(0x123, false, false, 0, 1, 2, 3, 4, 5, 6, 7, 8)
	buf := make([]byte, 0, 64)
	var back can.FDFrame
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendFrame(buf[:0], &f, NoTimestamp)
		ParseFrame(buf[:len(buf)-1], &back)
	}
}

// BenchmarkAppendFrame and BenchmarkParseFrame: one 8-byte 11-bit frame.
func BenchmarkAppendFrame(b *testing.B) {
	f := fr(0x123, false, false, 0, 1, 2, 3, 4, 5, 6, 7, 8)
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendFrame(buf[:0], &f, NoTimestamp)
	}
}

func BenchmarkParseFrame(b *testing.B) {
	line := []byte("t12380102030405060708")
	var f can.FDFrame
	b.ReportAllocs()
	for b.Loop() {
		ParseFrame(line, &f)
	}
}
