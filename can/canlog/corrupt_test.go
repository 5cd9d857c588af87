package canlog

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/can"
)

// TestCorruptLine: a text log with a bad record returns every record
// before it, then an *Error naming the file and line.
func TestCorruptLine(t *testing.T) {
	for _, c := range []struct {
		f    Format
		from string // replaced in the 4th record line
		to   string
		msg  string
	}{
		{Candump, "#DEADBEEF", "#DEADBEEFX", "test:"},
		{ASC, "DE AD BE EF", "DE AD BE", "data bytes"},
		{TRC, "DE AD BE EF", "DE AD ZZ EF", "data byte"},
		{TRC11, "DE AD BE EF", "DE AD BE", "data bytes"},
		{CSV, "0x123,", "0xZZ,", "arbitration_id"},
	} {
		es := samples()
		// The frame to corrupt goes 4th; three good ones before it.
		es = append(append(append([]can.LogEntry{}, es[1], es[2], es[10]), es[0]), es[1:3]...)
		b, _ := roundTrip(t, c.f, es)
		s := string(b)
		i := strings.LastIndex(s, c.from)
		if i < 0 {
			t.Fatalf("%v: %q not in\n%s", c.f, c.from, s)
		}
		line := strings.Count(s[:i], "\n") + 1
		s = s[:i] + c.to + s[i+len(c.from):]
		got, err := readAll(t, c.f, []byte(s))
		var le *Error
		if !errors.As(err, &le) || le.Line != line || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v: error %v, want an *Error at line %d mentioning %q", c.f, err, line, c.msg)
			continue
		}
		if len(got) != 3 || got[0].Frame.ID != es[0].Frame.ID || got[2].Frame.ID != es[2].Frame.ID {
			t.Errorf("%v: %d records before the bad one, want 3: %v", c.f, len(got), got)
		}
		if want := "test:" + strconv.Itoa(line) + ":"; !strings.Contains(err.Error(), want) {
			t.Errorf("%v: %q does not name %s", c.f, err, want)
		}
	}
}

// manyEntries returns n classic frames 1 ms apart, with distinct data.
func manyEntries(n int) []can.LogEntry {
	es := make([]can.LogEntry, n)
	for i := range es {
		es[i] = can.LogEntry{Time: t0.Add(time.Duration(i) * time.Millisecond), Iface: "can0",
			Frame: fr(uint32(i&0x7FF), false, byte(i), byte(i>>8), byte(i>>16), 0x55, 0xAA, byte(i*7), 1, 2)}
	}
	return es
}

// TestBLFTruncated: a BLF file cut inside a compressed container returns
// every record of the containers before it and those of the cut
// container that decompress, in order, then an *Error with the offset.
func TestBLFTruncated(t *testing.T) {
	es := manyEntries(12000) // 48 bytes each: 5 containers of 128 KiB
	b, _ := roundTrip(t, BLF, es)
	for _, cut := range []int{len(b) * 7 / 10, len(b) - 3, 150, 170} {
		got, err := readAll(t, BLF, b[:cut])
		var le *Error
		if !errors.As(err, &le) || le.Offset <= 0 {
			t.Fatalf("cut at %d: %v, want an *Error with an offset", cut, err)
		}
		for i := range got {
			if !same(got[i], es[i]) {
				t.Fatalf("cut at %d: record %d is %v, want %v", cut, i, got[i].Frame, es[i].Frame)
			}
		}
		// Records of the cut container that decompressed are not lost.
		if cut == len(b)*7/10 && len(got) < len(es)*6/10 {
			t.Errorf("cut at %d of %d: %d records, want most of the %d before the cut", cut, len(b), len(got), len(es)*7/10)
		}
		t.Logf("cut at %d of %d bytes: %d records, then %v", cut, len(b), len(got), err)
	}
}

// TestBLFCorruptObject: a bad object inside a container stops the
// reader there with the container's offset and the byte in its data.
func TestBLFCorruptObject(t *testing.T) {
	es := manyEntries(10)
	var buf bytes.Buffer
	w, _ := NewWriter(BLF, &buf, WriterOptions{Level: -1}) // uncompressed: the object is patched in place
	for i := range es {
		w.Write(&es[i])
	}
	w.Close()
	b := buf.Bytes()
	// Object 4 starts at header + container header + 4 objects of 48.
	at := blfFileHeaderSize + blfObjBase + blfContainerHead + 4*48
	if string(b[at:at+4]) != "LOBJ" {
		t.Fatalf("no object at %d: %q", at, b[at:at+4])
	}
	b[at] = 'X'
	got, err := readAll(t, BLF, b)
	var le *Error
	if !errors.As(err, &le) || le.Offset != blfFileHeaderSize || le.In != 4*48 {
		t.Fatalf("%v, want an *Error at container offset %d, byte %d", err, blfFileHeaderSize, 4*48)
	}
	if len(got) != 4 {
		t.Fatalf("%d records before the bad object, want 4", len(got))
	}
}

// TestBLFNotBLF: a file that is not BLF is an error at offset 0.
func TestBLFNotBLF(t *testing.T) {
	_, err := readAll(t, BLF, []byte("(1.000000) can0 123#00\n"))
	var le *Error
	if !errors.As(err, &le) || le.Offset != 0 || !strings.Contains(err.Error(), "LOGG") {
		t.Fatalf("%v", err)
	}
}
