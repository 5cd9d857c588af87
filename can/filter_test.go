package can

import (
	"bytes"
	"testing"
)

func TestFilterBytes(t *testing.T) {
	fs := []Filter{{ID: 0x200, Mask: 0x700}, {ID: 0x123, Mask: 0x7ff, Inverted: true}}
	b := MarshalFilters(fs)
	want := append(append(append(le32(0x200), le32(0x700)...), le32(0x20000123)...), le32(0x7ff)...)
	if !bytes.Equal(b, want) {
		t.Fatalf("got % x want % x", b, want)
	}
	back, err := UnmarshalFilters(b)
	if err != nil || len(back) != 2 || back[0] != fs[0] || back[1] != fs[1] {
		t.Fatalf("%v %+v", err, back)
	}
	if _, err := UnmarshalFilters(b[:7]); err == nil {
		t.Fatal("7 bytes accepted")
	}
}

func TestFilterMatch(t *testing.T) {
	f := Filter{ID: 0x200, Mask: 0x700}
	for id, want := range map[uint32]bool{0x200: true, 0x2ff: true, 0x300: false, 0x200 | EFFFlag: true} {
		if f.Match(id) != want {
			t.Errorf("%#x: %v", id, !want)
		}
	}
	f.Mask |= EFFFlag
	if f.Match(0x200 | EFFFlag) {
		t.Error("EFF matched SFF-only filter")
	}
	f.Inverted = true
	if f.Match(0x200) || !f.Match(0x300) {
		t.Error("inverted")
	}
}

func TestParseFilter(t *testing.T) {
	good := map[string]Filter{
		"123:7FF":           {ID: 0x123, Mask: 0x7ff},
		"123~7FF":           {ID: 0x123, Mask: 0x7ff, Inverted: true},
		"12345678:DFFFFFFF": {ID: 0x12345678 | EFFFlag, Mask: 0xDFFFFFFF &^ ErrFlag},
		"0:0":               {},
	}
	for in, want := range good {
		got, err := ParseFilter(in)
		if err != nil || got != want {
			t.Errorf("ParseFilter(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "123", "xyz:7ff", "123:", ":7ff", "123:7fg", "20000000:0", "123456789:0"} {
		if _, err := ParseFilter(in); err == nil {
			t.Errorf("ParseFilter(%q) accepted", in)
		}
	}
	if m, err := ParseErrorMask("#FFFFFFFF"); err != nil || m != ErrMask {
		t.Errorf("error mask %x %v", m, err)
	}
	if _, err := ParseErrorMask("FF"); err == nil {
		t.Error("error mask without #")
	}
}

// tstFilterCases are linux-can can-tests' tst-filter cases: 18 filters,
// each applied to the 4 frames SFF/EFF x data/RTR with identifier 0x123,
// with the expected receive counts.
func tstFilterCases() (filters []Filter, want []int, frames []uint32) {
	const id = 0x123
	for tc := range 18 {
		f := Filter{ID: id, Mask: SFFMask}
		if tc&1 != 0 {
			f.ID |= EFFFlag
		}
		if tc&2 != 0 {
			f.ID |= RTRFlag
		}
		switch {
		case tc > 15:
			f.Mask = EFFMask | EFFFlag | RTRFlag
		default:
			if tc&4 != 0 {
				f.Mask |= EFFFlag
			}
			if tc&8 != 0 {
				f.Mask |= RTRFlag
			}
		}
		filters = append(filters, f)
	}
	want = []int{4, 4, 4, 4, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1}
	frames = []uint32{id, id | RTRFlag, id | EFFFlag, id | EFFFlag | RTRFlag}
	return filters, want, frames
}

// TestFilterTable checks Match against tst-filter's expected counts.
func TestFilterTable(t *testing.T) {
	filters, want, frames := tstFilterCases()
	for i, f := range filters {
		n := 0
		for _, fr := range frames {
			if f.Match(fr) {
				n++
			}
		}
		if n != want[i] {
			t.Errorf("filter %d %+v: %d frames, want %d", i, f, n, want[i])
		}
	}
}
