package canlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/fieldgate/fieldgate/can"
)

// fuzzRead reads b in format f to the end: it must not panic, every
// error but the end must be an *Error, and every entry must be a frame
// the can package can hold.
func fuzzRead(t *testing.T, f Format, b []byte) {
	r, err := NewReader(f, bytes.NewReader(b), "fuzz")
	if err != nil {
		t.Fatal(err)
	}
	for range 100000 {
		e, err := r.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			var le *Error
			if !errors.As(err, &le) {
				t.Fatalf("%T %v is not an *Error", err, err)
			}
			return
		}
		fr := &e.Frame
		if fr.Len > can.FDMaxLen || (!fr.IsFD() && fr.Len > can.MaxLen) {
			t.Fatalf("entry with length %d (FD %v)", fr.Len, fr.IsFD())
		}
		if !fr.Error && ((fr.Extended && fr.ID > can.EFFMask) || (!fr.Extended && fr.ID > can.SFFMask)) {
			t.Fatalf("identifier %#x (extended %v)", fr.ID, fr.Extended)
		}
		// What was read can be written again in the same format or
		// refused as unsupported.
		w, _ := NewWriter(f, io.Discard, WriterOptions{})
		if err := w.Write(&e); err != nil && !errors.Is(err, ErrUnsupported) {
			t.Fatalf("writing a read entry: %v", err)
		}
	}
}

// The seeds are in testdata/fuzz/FuzzRead*: files fieldgate and
// python-can wrote (regenerate with FIELDGATE_FUZZ_SEEDS=1 go test -run
// TestFuzzSeeds).

func FuzzReadASC(f *testing.F)     { f.Fuzz(func(t *testing.T, b []byte) { fuzzRead(t, ASC, b) }) }
func FuzzReadBLF(f *testing.F)     { f.Fuzz(func(t *testing.T, b []byte) { fuzzRead(t, BLF, b) }) }
func FuzzReadTRC(f *testing.F)     { f.Fuzz(func(t *testing.T, b []byte) { fuzzRead(t, TRC, b) }) }
func FuzzReadCSV(f *testing.F)     { f.Fuzz(func(t *testing.T, b []byte) { fuzzRead(t, CSV, b) }) }
func FuzzReadCandump(f *testing.F) { f.Fuzz(func(t *testing.T, b []byte) { fuzzRead(t, Candump, b) }) }

// TestFuzzSeeds writes the seed corpus when FIELDGATE_FUZZ_SEEDS is set.
func TestFuzzSeeds(t *testing.T) {
	if os.Getenv("FIELDGATE_FUZZ_SEEDS") == "" {
		return
	}
	write := func(target, name string, b []byte) {
		dir := filepath.Join("testdata/fuzz", target)
		os.MkdirAll(dir, 0o755)
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, fm := range allFormats {
		target := map[Format]string{Candump: "FuzzReadCandump", ASC: "FuzzReadASC", BLF: "FuzzReadBLF", TRC: "FuzzReadTRC", TRC11: "FuzzReadTRC", CSV: "FuzzReadCSV"}[fm]
		b, _ := roundTrip(t, fm, samples())
		write(target, "fieldgate-"+fm.String(), b)
		if fm == TRC11 {
			continue
		}
		var in bytes.Buffer
		for _, e := range samples() {
			if fm == CSV && e.Frame.IsFD() {
				continue
			}
			fmt.Fprintf(&in, `{"t": "%d.%06d", "id": %d, "ext": %v, "rtr": %v, "err": %v, "fd": %v, "brs": %v, "esi": %v, "dlc": %d, "data": "%x", "ch": 0, "rx": true}`+"\n",
				e.Time.Unix(), e.Time.Nanosecond()/1000, e.Frame.ID, e.Frame.Extended, e.Frame.Remote, e.Frame.Error, e.Frame.IsFD(),
				e.Frame.Flags&can.BRS != 0, e.Frame.Flags&can.ESI != 0, e.Frame.Len, e.Frame.Payload())
		}
		path := filepath.Join(t.TempDir(), "py"+extOf[fm])
		pycan(t, in.Bytes(), "write", path)
		pb, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		write(target, "python-can-"+fm.String(), pb)
	}
}
