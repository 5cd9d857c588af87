package socketcand

import (
	"strings"
	"testing"
)

// TestAlignRecord checks the aligned framing's exact bytes: a newline and
// spaces in front, the message's ">" the last byte of a 64-byte record, a
// message of 64 bytes or more taking two records.
func TestAlignRecord(t *testing.T) {
	prefix := []byte("xyz")
	for _, msg := range []string{
		"< frame 123 1700000000.123456 ABCD >",
		"< frame 1FFFFFFF 1700000000.123456 0011223344556677 >",
		strings.Repeat("a", 63),
		strings.Repeat("b", 64),
		"< fdframe 18DAF110 01 1700000002.000000 " + strings.Repeat("00", 64) + " >",
	} {
		b := AlignRecord(append(append([]byte(nil), prefix...), msg...), len(prefix))
		rec := string(b[len(prefix):])
		if len(rec)%RecordSize != 0 || !strings.HasSuffix(rec, msg) {
			t.Errorf("%q: record %q (%d bytes)", msg, rec, len(rec))
			continue
		}
		pad := rec[:len(rec)-len(msg)]
		if pad == "" || pad[0] != '\n' || strings.Trim(pad[1:], " ") != "" || len(pad) > RecordSize {
			t.Errorf("%q: padding %q", msg, pad)
		}
		if string(b[:len(prefix)]) != "xyz" {
			t.Errorf("prefix changed: %q", b[:len(prefix)])
		}
	}
}

// TestAppendNoAlloc: formatting a frame message into a buffer with room
// allocates nothing (the timestamp included).
func TestAppendNoAlloc(t *testing.T) {
	b := make([]byte, 0, 4096)
	data := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	if n := testing.AllocsPerRun(100, func() {
		b = AppendRawFrame(b[:0], 0x80000123, 1700000000, 42, data)
		b = AlignRecord(b, 0)
		b = AppendBCMFrame(b, 0x123, 1700000000, 999999, data)
		b = AppendRTRFrame(b, 0x123, 1700000000, 0, 8)
		b = AppendFDFrame(b, 0x123, 1, 1700000000, 1, data)
		b = AppendErrorFrame(b, 0x20000004, 1, 2)
		b = AppendStat(b, 1, 2, 3, 4)
	}); n != 0 {
		t.Errorf("%v allocations per run", n)
	}
	if got := string(AppendRawFrame(nil, 0x123, 5, 7, nil)); got != "< frame 123 5.000007  >" {
		t.Errorf("empty frame: %q (socketcand: two spaces)", got)
	}
}
