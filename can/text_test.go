package can

import (
	"errors"
	"testing"
)

func TestParseFrameKnown(t *testing.T) {
	tests := []struct {
		in, out string
		want    FDFrame
	}{
		{"123#DEADBEEF", "123#DEADBEEF", FDFrame{ID: 0x123, Len: 4, Data: [64]byte{0xde, 0xad, 0xbe, 0xef}}},
		{"5A1#11.2233.44556677.88", "5A1#1122334455667788", FDFrame{ID: 0x5a1, Len: 8, Data: [64]byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}}},
		{"123#", "123#", FDFrame{ID: 0x123}},
		{"00000123#", "00000123#", FDFrame{ID: 0x123, Extended: true}},
		{"1F334455#1122334455667788_B", "1F334455#1122334455667788_B", FDFrame{ID: 0x1F334455, Extended: true, Len: 8, Len8DLC: 0xB, Data: [64]byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}}},
		{"123#R", "123#R", FDFrame{ID: 0x123, Remote: true}},
		{"123#r3", "123#R3", FDFrame{ID: 0x123, Remote: true, Len: 3}},
		{"123#R8_E", "123#R8_E", FDFrame{ID: 0x123, Remote: true, Len: 8, Len8DLC: 0xE}},
		{"00000123#R", "00000123#R", FDFrame{ID: 0x123, Extended: true, Remote: true}},
		{"213##311223344", "213##711223344", FDFrame{ID: 0x213, Len: 4, Flags: BRS | ESI | FDF, Data: [64]byte{0x11, 0x22, 0x33, 0x44}}},
		{"213##0", "213##4", FDFrame{ID: 0x213, Flags: FDF}},
		{"213##1.11.22", "213##51122", FDFrame{ID: 0x213, Len: 2, Flags: BRS | FDF, Data: [64]byte{0x11, 0x22}}},
		{"20000004#0004000000000000", "20000004#0004000000000000", FDFrame{ID: 4, Error: true, Len: 8, Data: [64]byte{0, 4}}},
	}
	for _, tt := range tests {
		got, err := ParseFrame(tt.in)
		if err != nil {
			t.Errorf("ParseFrame(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseFrame(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if s := got.String(); s != tt.out {
			t.Errorf("String(%q) = %q, want %q", tt.in, s, tt.out)
		}
	}
	// 64-byte FD frame.
	long := "123##5" + repeat("AB", 64)
	f, err := ParseFrame(long)
	if err != nil || f.Len != 64 || f.String() != long {
		t.Fatalf("64-byte FD: %v %d %q", err, f.Len, f.String())
	}
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

func TestParseFrameErrors(t *testing.T) {
	bad := map[string]int{
		"":                          0,
		"12#00":                     0,
		"1234#00":                   0,
		"12G#00":                    2,
		"123#0":                     5,
		"123#0G":                    5,
		"123#112233445566778899":    20,
		"123#R9":                    5,
		"123#R4_9":                  6,
		"123#R8_7":                  7,
		"123#R1x":                   6,
		"123##":                     5,
		"123##X":                    5,
		"123#11_9":                  6,
		"123#1122334455667788_":     21,
		"123#1122334455667788_5":    21,
		"123##11122_9":              10,
		"80000123#00":               0,
		"123##1" + repeat("00", 65): 134,
	}
	for in, pos := range bad {
		_, err := ParseFrame(in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("ParseFrame(%q): err %v, want *SyntaxError", in, err)
			continue
		}
		if se.Pos != pos {
			t.Errorf("ParseFrame(%q): pos %d want %d (%v)", in, se.Pos, pos, err)
		}
	}
}

func TestAppendTextNoAlloc(t *testing.T) {
	f := FDFrame{ID: 0x123, Len: 64, Flags: FDF | BRS}
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { buf, _ = f.AppendText(buf[:0]) }); n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func FuzzParseFrame(f *testing.F) {
	for _, s := range []string{"123#DEADBEEF", "1F334455#1122334455667788_B", "123#R8_E", "213##311223344",
		"5A1#11.2233.44556677.88", "20000004#0004000000000000", "123##1", "00000123#R"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fr, err := ParseFrame(s)
		if err != nil {
			return
		}
		if err := fr.Validate(); err != nil {
			t.Fatalf("ParseFrame(%q) gave invalid frame %+v: %v", s, fr, err)
		}
		txt := fr.String()
		back, err := ParseFrame(txt)
		if err != nil {
			t.Fatalf("reparse %q (from %q): %v", txt, s, err)
		}
		if back != fr {
			t.Fatalf("%q -> %q: %+v != %+v", s, txt, back, fr)
		}
		b, err := fr.MarshalBinary()
		if err != nil {
			t.Fatalf("marshal %+v: %v", fr, err)
		}
		var dec FDFrame
		if err := dec.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if fr.IsFD() {
			fr.Flags |= FDF
		}
		if dec != fr {
			t.Fatalf("binary round trip %+v != %+v", dec, fr)
		}
	})
}
