package canlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/can"
)

// t0 is the first sample's time: whole microseconds, so that every
// format's resolution but TRC 1.1's holds it exactly.
var t0 = time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC)

func fr(id uint32, ext bool, data ...byte) can.FDFrame {
	f := can.FDFrame{ID: id, Extended: ext, Len: uint8(len(data))}
	copy(f.Data[:], data)
	return f
}

// samples are the frames every format is tested with: standard,
// extended, empty, remote, FD with and without BRS/ESI, an error frame,
// two channels and both directions.
func samples() []can.LogEntry {
	fd := func(f can.FDFrame, fl can.FDFlags) can.FDFrame { f.Flags = fl | can.FDF; return f }
	rtr := func(f can.FDFrame, n uint8) can.FDFrame { f.Remote, f.Len = true, n; return f }
	errf := can.FDFrame{ID: 0x004 | 0x080, Error: true, Len: 8}
	errf.Data[1], errf.Data[3] = 0x04, 0x08
	data64 := make([]byte, 64)
	for i := range data64 {
		data64[i] = byte(i * 3)
	}
	fs := []struct {
		f     can.FDFrame
		iface string
		dir   byte
	}{
		{fr(0x123, false, 0xDE, 0xAD, 0xBE, 0xEF), "can0", 0},
		{fr(0x1ABCDEF0, true, 1, 2, 3, 4, 5, 6, 7, 8), "can0", 0},
		{fr(0x7FF, false), "can1", 'T'},
		{rtr(fr(0x321, false), 4), "can0", 0},
		{rtr(fr(0x12345, true), 0), "can1", 0},
		{fd(fr(0x456, false, data64[:12]...), 0), "can0", 0},
		{fd(fr(0x1FFFFFFF, true, data64...), can.BRS), "can1", 'T'},
		{fd(fr(0x001, false, data64[:16]...), can.ESI), "can0", 0},
		{fd(fr(0x002, false, data64[:8]...), can.BRS|can.ESI), "can0", 0},
		{errf, "can0", 0},
		{fr(0x000, false, 0xFF), "can0", 0},
	}
	es := make([]can.LogEntry, len(fs))
	for i, f := range fs {
		es[i] = can.LogEntry{Time: t0.Add(time.Duration(i*1234567) * time.Microsecond / 1000).Truncate(time.Microsecond), Iface: f.iface, Frame: f.f, Dir: f.dir}
	}
	return es
}

// kept returns what format f keeps of e (its resolution), and whether f
// holds e at all.
func kept(f Format, e can.LogEntry) (can.LogEntry, bool) {
	fr := &e.Frame
	switch f {
	case Candump:
		e.Time = e.Time.Truncate(time.Microsecond)
		if fr.IsFD() {
			fr.Flags |= can.FDF
		}
		return e, true
	case ASC:
		e.Time = e.Time.Truncate(time.Microsecond)
		if fr.Error {
			*fr = can.FDFrame{Error: true}
		}
	case BLF:
	case TRC, TRC11:
		if fr.Error || (f == TRC11 && fr.IsFD()) {
			return e, false
		}
		res := time.Microsecond
		if f == TRC11 {
			// Offsets of 100 µs from a start in µs: same() allows
			// for the offset's truncation.
			e.Iface = "can0"
		}
		e.Time = e.Time.Truncate(res)
	case CSV:
		if fr.IsFD() {
			return e, false
		}
		e.Time = e.Time.Truncate(time.Microsecond)
		e.Iface, e.Dir = "", 0
	}
	if fr.Remote {
		clear(fr.Data[:])
	}
	if fr.IsFD() {
		fr.Flags |= can.FDF
	}
	return e, true
}

func roundTrip(t *testing.T, f Format, es []can.LogEntry) ([]byte, []can.LogEntry) {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(f, &buf, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var want []can.LogEntry
	for i := range es {
		k, ok := kept(f, es[i])
		err := w.Write(&es[i])
		if ok != (err == nil) {
			t.Fatalf("%v: Write(%v): %v, want held=%v", f, es[i], err, ok)
		}
		if err != nil && !errors.Is(err, ErrUnsupported) {
			t.Fatalf("%v: Write: %v is not ErrUnsupported", f, err)
		}
		if ok {
			want = append(want, k)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), want
}

func readAll(t *testing.T, f Format, b []byte) ([]can.LogEntry, error) {
	t.Helper()
	r, err := NewReader(f, bytes.NewReader(b), "test")
	if err != nil {
		t.Fatal(err)
	}
	var got []can.LogEntry
	for {
		e, err := r.Next()
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return got, err
		}
		got = append(got, e)
	}
}

func same(a, b can.LogEntry) bool {
	return a.Time.Equal(b.Time) && a.Iface == b.Iface && a.Dir == b.Dir && a.Frame == b.Frame
}

var allFormats = []Format{Candump, ASC, BLF, TRC, TRC11, CSV}

// TestRoundTrip: every format reads back what it wrote, to its
// resolution.
func TestRoundTrip(t *testing.T) {
	for _, loc := range []string{"UTC", "Europe/Berlin", "America/New_York"} {
		setLocal(t, loc)
		for _, f := range allFormats {
			b, want := roundTrip(t, f, samples())
			got, err := readAll(t, f, b)
			if err != nil {
				t.Fatalf("%s %v: %v\n%s", loc, f, err, b)
			}
			if len(got) != len(want) {
				t.Fatalf("%s %v: read %d entries, want %d\n%s", loc, f, len(got), len(want), b)
			}
			for i := range got {
				if f == TRC11 && got[i].Time.After(want[i].Time.Add(-100*time.Microsecond)) && !got[i].Time.After(want[i].Time) {
					got[i].Time = want[i].Time
				}
				if !same(got[i], want[i]) {
					t.Errorf("%s %v: entry %d:\n got %v %s %q %+v\nwant %v %s %q %+v", loc, f, i, got[i].Time, got[i].Iface, got[i].Dir, got[i].Frame, want[i].Time, want[i].Iface, want[i].Dir, want[i].Frame)
				}
			}
		}
	}
}

func setLocal(t *testing.T, name string) {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Local
	time.Local = loc
	t.Cleanup(func() { time.Local = old })
}

// TestWriteAllocs: writing a record allocates nothing in any format.
func TestWriteAllocs(t *testing.T) {
	es := samples()
	for _, f := range allFormats {
		w, _ := NewWriter(f, io.Discard, WriterOptions{})
		for i := range es {
			w.Write(&es[i])
		}
		w.Flush()
		if a := testing.AllocsPerRun(50, func() {
			for i := range es {
				w.Write(&es[i])
			}
		}); a != 0 {
			t.Errorf("%v: %.1f allocations per %d records", f, a, len(es))
		}
	}
}

func ExampleNewReader() {
	log := "date Wed May 01 12:00:00.123 PM 2024\nbase hex  timestamps absolute\nBegin Triggerblock Wed May 01 12:00:00.123 PM 2024\n 0.000456 1  123             Rx   d 2 DE AD\nEnd TriggerBlock\n"
	time.Local = time.UTC
	r, _ := NewReader(ASC, bytes.NewReader([]byte(log)), "x.asc")
	e, _ := r.Next()
	fmt.Println(e.String())
	// Output: (1714564800.123456) can0 123#DEAD
}

// TestTRCPadsWithZeros: an FD frame whose length is not a DLC length is
// written padded with zeros, whatever Data holds past Len.
func TestTRCPadsWithZeros(t *testing.T) {
	e := can.LogEntry{Time: t0, Iface: "can0", Frame: fr(0x10, false, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)}
	e.Frame.Flags = can.FDF
	e.Frame.Data[10], e.Frame.Data[11] = 0xEE, 0xEE
	b, _ := roundTrip(t, TRC, []can.LogEntry{e})
	got, err := readAll(t, TRC, b)
	if err != nil || len(got) != 1 || got[0].Frame.Len != 12 || got[0].Frame.Data[10] != 0 || got[0].Frame.Data[11] != 0 {
		t.Fatalf("%v %v\n%s", got, err, b)
	}
}
