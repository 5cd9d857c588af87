package can

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	einride "go.einride.tech/can"
)

func le32(v uint32) []byte { b := make([]byte, 4); binary.NativeEndian.PutUint32(b, v); return b }

func TestFrameMarshalExactBytes(t *testing.T) {
	tests := []struct {
		name string
		f    FDFrame
		want []byte
	}{
		{"sff", FDFrame{ID: 0x123, Len: 3, Data: [64]byte{0xc0, 0xff, 0xee}},
			append(le32(0x123), 3, 0, 0, 0, 0xc0, 0xff, 0xee, 0, 0, 0, 0, 0)},
		{"eff rtr", FDFrame{ID: 0x1234567, Extended: true, Remote: true, Len: 4},
			append(le32(0xC1234567), 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)},
		{"len8dlc", FDFrame{ID: 0x7ff, Len: 8, Len8DLC: 0xC, Data: [64]byte{1, 2, 3, 4, 5, 6, 7, 8}},
			append(le32(0x7ff), 8, 0, 0, 0xC, 1, 2, 3, 4, 5, 6, 7, 8)},
		{"err", FDFrame{ID: 0x40, Error: true, Len: 8},
			append(le32(0x20000040), 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)},
	}
	for _, tt := range tests {
		got, err := tt.f.MarshalBinary()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !bytes.Equal(got, tt.want) {
			t.Errorf("%s: got % x want % x", tt.name, got, tt.want)
		}
		var back FDFrame
		if err := back.UnmarshalBinary(got); err != nil {
			t.Fatal(err)
		}
		if back != tt.f {
			t.Errorf("%s: round trip %+v != %+v", tt.name, back, tt.f)
		}
	}
}

func TestFDFrameMarshal(t *testing.T) {
	f := FDFrame{ID: 0x1ABCDEF0 & EFFMask, Extended: true, Len: 12, Flags: BRS}
	for i := range 12 {
		f.Data[i] = byte(i + 1)
	}
	b, err := f.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != FDMTU {
		t.Fatalf("len %d", len(b))
	}
	want := append(le32(0x80000000|0x1ABCDEF0), 12, byte(BRS|FDF), 0, 0)
	want = append(want, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
	want = append(want, make([]byte, 52)...)
	if !bytes.Equal(b, want) {
		t.Fatalf("got % x\nwant % x", b, want)
	}
	var back FDFrame
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	f.Flags |= FDF
	if back != f {
		t.Fatalf("round trip %+v", back)
	}
	// FD frame with <= 8 bytes is still FD because of FDF.
	small := FDFrame{ID: 1, Len: 2, Flags: FDF}
	if small.Size() != FDMTU {
		t.Fatalf("small FD size %d", small.Size())
	}
}

func TestFrameUnmarshalErrors(t *testing.T) {
	var f FDFrame
	if err := f.UnmarshalBinary(make([]byte, 15)); !errors.Is(err, ErrFrameSize) {
		t.Fatalf("15 bytes: %v", err)
	}
	b := make([]byte, MTU)
	b[4] = 9
	if err := f.UnmarshalBinary(b); !errors.Is(err, ErrFrameLen) {
		t.Fatalf("len 9 classic: %v", err)
	}
	b = make([]byte, FDMTU)
	b[4] = 65
	if err := f.UnmarshalBinary(b); !errors.Is(err, ErrFrameLen) {
		t.Fatalf("len 65 fd: %v", err)
	}
	bad := []FDFrame{
		{ID: 0x800},
		{ID: 0x20000000, Extended: true},
		{ID: 1, Len: 65, Flags: FDF},
		{ID: 1, Len: 8, Flags: FDF, Remote: true},
		{ID: 1, Len: 7, Len8DLC: 9},
		{ID: 1, Len: 8, Len8DLC: 8},
	}
	for _, f := range bad {
		if _, err := f.MarshalBinary(); err == nil {
			t.Errorf("%+v: marshal succeeded", f)
		}
	}
}

func TestDLC(t *testing.T) {
	lens := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64}
	for dlc, n := range lens {
		if got := DLCToLen(uint8(dlc)); got != n {
			t.Errorf("DLCToLen(%d)=%d want %d", dlc, got, n)
		}
		if got := LenToDLC(n); got != uint8(dlc) {
			t.Errorf("LenToDLC(%d)=%d want %d", n, got, dlc)
		}
		if !ValidFDLen(n) {
			t.Errorf("ValidFDLen(%d) false", n)
		}
	}
	for n, want := range map[int]uint8{9: 9, 13: 10, 17: 11, 21: 12, 25: 13, 33: 14, 49: 15, 100: 15, -1: 0} {
		if got := LenToDLC(n); got != want {
			t.Errorf("LenToDLC(%d)=%d want %d", n, got, want)
		}
	}
	if ValidFDLen(9) || ValidFDLen(65) {
		t.Error("ValidFDLen accepts 9 or 65")
	}
	f := FDFrame{Len: 8, Len8DLC: 0xF}
	if f.DLC() != 0xF {
		t.Errorf("classic raw DLC %d", f.DLC())
	}
	f = FDFrame{Len: 20, Flags: FDF}
	if f.DLC() != 11 {
		t.Errorf("fd DLC %d", f.DLC())
	}
}

func TestEinrideConversion(t *testing.T) {
	e := einride.Frame{ID: 0x1FFFFFFF, IsExtended: true, Length: 8, Data: einride.Data{1, 2, 3, 4, 5, 6, 7, 8}}
	f := FromEinride(e)
	if f.ID != e.ID || !f.Extended || f.Len != 8 || f.Data != [8]byte{1, 2, 3, 4, 5, 6, 7, 8} {
		t.Fatalf("FromEinride %+v", f)
	}
	if got := f.Einride(); got != e {
		t.Fatalf("Einride %+v", got)
	}
	// And the string forms agree with einride's candump-compatible String.
	if f.String() != e.String() {
		t.Fatalf("String %q vs einride %q", f.String(), e.String())
	}
	fd := f.FD()
	c, ok := fd.Classic()
	if !ok || c != f {
		t.Fatalf("Classic round trip %+v %v", c, ok)
	}
	fd.Flags = BRS
	if _, ok := fd.Classic(); ok {
		t.Fatal("BRS frame converted to classic")
	}
}

func TestFrameZeroAllocPut(t *testing.T) {
	f := FDFrame{ID: 0x123, Len: 64, Flags: FDF}
	buf := make([]byte, FDMTU)
	var g FDFrame
	n := testing.AllocsPerRun(100, func() {
		f.Put(buf)
		g.decode(buf)
	})
	if n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func FuzzFrameDecode(f *testing.F) {
	f.Add(append(le32(0x123), 3, 0, 0, 0, 0xc0, 0xff, 0xee, 0, 0, 0, 0, 0))
	f.Add(append(le32(0x7ff), 8, 0, 0, 0xC, 1, 2, 3, 4, 5, 6, 7, 8))
	f.Add(append(append(le32(0x80000001), 12, 5, 0, 0), make([]byte, 64)...))
	f.Add(append(le32(0x200000FF), 8, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8))
	f.Fuzz(func(t *testing.T, b []byte) {
		var fr FDFrame
		if err := fr.UnmarshalBinary(b); err != nil {
			return
		}
		if err := fr.Validate(); err != nil {
			// Decoded frames from valid sizes are always valid except
			// for bit patterns the kernel itself would reject.
			return
		}
		out, err := fr.MarshalBinary()
		if err != nil {
			t.Fatalf("remarshal: %v", err)
		}
		if len(out) != len(b) {
			t.Fatalf("size %d -> %d", len(b), len(out))
		}
		var back FDFrame
		if err := back.UnmarshalBinary(out); err != nil || back != fr {
			t.Fatalf("second round trip: %v %+v %+v", err, back, fr)
		}
		// The text form parses back to the same frame (minus the
		// bits the text form cannot carry).
		txt := fr.String()
		p, err := ParseFrame(txt)
		if err != nil {
			t.Fatalf("ParseFrame(%q): %v", txt, err)
		}
		if p.String() != txt {
			t.Fatalf("text round trip %q -> %q", txt, p.String())
		}
		if fr.Error {
			_, _ = ParseError(&fr)
		}
	})
}
