package allowlist

import (
	"strings"
	"testing"
)

func parse(t *testing.T, entries ...string) *List {
	t.Helper()
	var l List
	for _, e := range entries {
		if err := l.ParseEntry(e); err != nil {
			t.Fatalf("%q: %v", e, err)
		}
	}
	return &l
}

// TestIssueFrames: the frames the security review put on a bus through
// `allow: ["7DF:7FF"]` and `["555:7FF"]` are refused; the plain data
// frame passes.
func TestIssueFrames(t *testing.T) {
	l := parse(t, "7DF:7FF")
	for _, tc := range []struct {
		id   uint32
		want bool
	}{
		{0x7DF, true},
		{0x1FFFF7DF | effFlag, false}, // extended, low bits 7DF
		{0x000027DF | effFlag, false},
		{0x7DF | rtrFlag, false}, // remote request
		{0x7DF | errFlag, false}, // error frame
		{0x0000_07DF | errFlag | effFlag, false},
		{0x1C000555 | effFlag, false},
		{0x0C0007DF, false}, // junk above the 11 bits, no EFF flag
		{0x7DE, false},
	} {
		if got := l.AdmitsCAN(tc.id); got != tc.want {
			t.Errorf("AdmitsCAN(%08X) = %v, want %v", tc.id, got, tc.want)
		}
	}
	l5 := parse(t, "555:7FF")
	for _, id := range []uint32{0x1C000555 | effFlag, 0x009C0555 | effFlag} {
		if l5.AdmitsCAN(id) {
			t.Errorf("555:7FF admits extended %08X", id)
		}
	}
}

func TestEntries(t *testing.T) {
	for _, tc := range []struct {
		entry string
		yes   []uint32
		no    []uint32
	}{
		{"7DF", []uint32{0x7DF}, []uint32{0x7DE, 0x7DF | rtrFlag, 0x7DF | effFlag}},
		{"600-6FF", []uint32{0x600, 0x680, 0x6FF}, []uint32{0x5FF, 0x700, 0x600 | effFlag}},
		{"7DF rtr", []uint32{0x7DF, 0x7DF | rtrFlag}, []uint32{0x7DF | errFlag}},
		{"18DAF110", []uint32{0x18DAF110 | effFlag}, []uint32{0x18DAF110, 0x110, 0x18DAF111 | effFlag}},
		{"000007DF", []uint32{0x7DF | effFlag}, []uint32{0x7DF}},
		{"18DA0000-18DAFFFF", []uint32{0x18DA0000 | effFlag, 0x18DAFFFF | effFlag}, []uint32{0x18DB0000 | effFlag, 0x18DA0000 | effFlag | rtrFlag}},
		{"18DAF100:1FFFFF00", []uint32{0x18DAF1AB | effFlag}, []uint32{0x18DAF2AB | effFlag}},
		{"error", []uint32{0x20000004 | errFlag}, []uint32{0x7DF}},
		{"any", []uint32{0x7DF, 0x7DF | rtrFlag, 0x1234 | effFlag | rtrFlag}, []uint32{0x7DF | errFlag}},
	} {
		l := parse(t, tc.entry)
		for _, id := range tc.yes {
			if !l.AdmitsCAN(id) {
				t.Errorf("%q refuses %08X", tc.entry, id)
			}
		}
		for _, id := range tc.no {
			if l.AdmitsCAN(id) {
				t.Errorf("%q admits %08X", tc.entry, id)
			}
		}
	}
}

func TestPGNAndEther(t *testing.T) {
	l := parse(t, "pgn EF00:3FF00", "0x88B5")
	if !l.AdmitsPGN(0xEF00) || !l.AdmitsPGN(0xEF20) || l.AdmitsPGN(0xF004) {
		t.Error("pgn EF00:3FF00")
	}
	if l.AdmitsCAN(0xEF) || l.AdmitsISOTP(0xEF00) {
		t.Error("a pgn entry admits CAN IDs")
	}
	if !l.AdmitsEtherType(0x88B5) || l.AdmitsEtherType(0x0800) {
		t.Error("ethertypes")
	}
	iso := parse(t, "7E0", "18DA10F1")
	if !iso.AdmitsISOTP(0x7E0) || !iso.AdmitsISOTP(0x18DA10F1|effFlag) || iso.AdmitsISOTP(0x18DA10F1) || iso.AdmitsISOTP(0x7E1) {
		t.Error("isotp ids")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ entry, want string }{
		{"7DF:1FFFFFFF", "bits outside the 11-bit ID"},
		{"2FFFF7DF", "above 1FFFFFFF"},
		{"27DF", "has 4 digits"},
		{"800", "above 7FF"},
		{"0x7DF", ""}, // an ethertype ≥ 0x600, refused by config on CAN routes
		{"0x0100", "invalid ethertype"},
		{"6FF-600", "ends before it starts"},
		{"600-18DA0000", "mixes"},
		{"0x600:7FF", "invalid ethertype"},
		{"600:0x7FF", "invalid mask"},
		{"pgn EF00 rtr", "no remote requests"},
		{"7DF R", "invalid allow entry"},
		{"zz", "invalid ID"},
	} {
		var l List
		err := l.ParseEntry(tc.entry)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.entry, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.entry, err, tc.want)
		}
	}
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		entries []string
		want    string
	}{
		{[]string{"600-6FF", "7DF"}, "11-bit data frames 0x600–0x6FF, 0x7DF; 29-bit: none; remote: none; error: none"},
		{[]string{"600:700"}, "11-bit data frames 0x600–0x6FF; 29-bit: none; remote: none; error: none"},
		{[]string{"7DF:7FF", "18DA0000-18DAFFFF", "7E0 rtr", "error"}, "11-bit data frames 0x7DF, 0x7E0; 29-bit: 0x18DA0000–0x18DAFFFF; remote: 0x7E0; error: all"},
		{[]string{"101:505"}, "11-bit data frames IDs matching 0x101 under mask 0x505 (128 IDs); 29-bit: none; remote: none; error: none"},
		{[]string{"any"}, "any: every 11- and 29-bit data frame and remote request, PDU and Ethernet frame; error: none"},
	} {
		if got := parse(t, tc.entries...).Describe(); got != tc.want {
			t.Errorf("%v:\n got %s\nwant %s", tc.entries, got, tc.want)
		}
	}
}

// reference is the rule as configs/README.md states it, written from the
// prose rather than from the code: enumerate what each entry names.
func reference(entries []string, canID uint32) bool {
	if canID&errFlag != 0 {
		for _, e := range entries {
			if e == "error" {
				return true
			}
		}
		return false
	}
	ext := canID&effFlag != 0
	rtr := canID&rtrFlag != 0
	id := canID & effMask
	if !ext && canID&0x1FFFF800 != 0 {
		return false
	}
	for _, e := range entries {
		if e == "any" {
			return true
		}
		remote := strings.HasSuffix(e, " rtr")
		e = strings.TrimSuffix(e, " rtr")
		if rtr && !remote {
			continue
		}
		digits := func(s string) int { return len(s) }
		var lo, hi, mask, val uint64
		var w int
		switch {
		case strings.Contains(e, "-"):
			a, b, _ := strings.Cut(e, "-")
			lo, _ = parseHex(a)
			hi, _ = parseHex(b)
			w = digits(a)
			if (w == 8) != ext {
				continue
			}
			if uint64(id) >= lo && uint64(id) <= hi {
				return true
			}
		case strings.Contains(e, ":"):
			a, b, _ := strings.Cut(e, ":")
			val, _ = parseHex(a)
			mask, _ = parseHex(b)
			w = digits(a)
			if (w == 8) != ext {
				continue
			}
			if uint64(id)&mask == val&mask {
				return true
			}
		default:
			val, _ = parseHex(e)
			if (len(e) == 8) != ext {
				continue
			}
			if uint64(id) == val {
				return true
			}
		}
	}
	return false
}

func parseHex(s string) (uint64, bool) {
	var v uint64
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			v = v*16 + uint64(c-'0')
		case c >= 'A' && c <= 'F':
			v = v*16 + uint64(c-'A'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// FuzzAdmitsCAN: for random lists and random CAN IDs with every flag
// combination, the list admits a frame exactly when the prose rule does.
func FuzzAdmitsCAN(f *testing.F) {
	f.Add(uint32(0x7DF), uint32(0x7FF), uint32(0x1FFFF7DF), uint8(0), uint32(0x7DF))
	f.Add(uint32(0x600), uint32(0x6FF), uint32(0x18DA0000), uint8(5), uint32(0x80000600))
	f.Add(uint32(0x555), uint32(0x7FF), uint32(0x1C000555), uint8(2), uint32(0xDC000555))
	f.Add(uint32(0x7DF), uint32(0x7FF), uint32(0x7DF), uint8(7), uint32(0x600007DF))
	f.Fuzz(func(t *testing.T, a, b, c uint32, shape uint8, canID uint32) {
		std := func(v uint32) string { return hex(v&sffMask, 3) }
		ext := func(v uint32) string { return hex(v&effMask, 8) }
		var entries []string
		lo, hi := a&sffMask, b&sffMask
		if hi < lo {
			lo, hi = hi, lo
		}
		switch shape % 4 {
		case 0:
			entries = append(entries, std(a)+":"+hex(b&sffMask, 3))
		case 1:
			entries = append(entries, std(lo)+"-"+std(hi))
		case 2:
			entries = append(entries, std(a))
		case 3:
			entries = append(entries, ext(c)+":"+hex(b&effMask, 8))
		}
		elo, ehi := a&effMask, c&effMask
		if ehi < elo {
			elo, ehi = ehi, elo
		}
		entries = append(entries, ext(elo)+"-"+ext(ehi))
		if shape&4 != 0 {
			entries[0] += " rtr"
		}
		if shape&8 != 0 {
			entries = append(entries, "error")
		}
		if shape&16 != 0 {
			entries = append(entries, "any")
		}
		l := parse(t, entries...)
		if got, want := l.AdmitsCAN(canID), reference(entries, canID); got != want {
			t.Fatalf("%v: AdmitsCAN(%08X) = %v, rule says %v", entries, canID, got, want)
		}
	})
}

func hex(v uint32, w int) string {
	const digits = "0123456789ABCDEF"
	b := make([]byte, w)
	for i := w - 1; i >= 0; i-- {
		b[i] = digits[v&0xF]
		v >>= 4
	}
	return string(b)
}
