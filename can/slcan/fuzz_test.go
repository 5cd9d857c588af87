package slcan

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/fieldgate/fieldgate/can"
)

// FuzzParseFrame: any line either fails with a SyntaxError or decodes to a
// frame that encodes back to the same line (hex case aside).
func FuzzParseFrame(f *testing.F) {
	for _, l := range lines {
		f.Add([]byte(l.line[:len(l.line)-1]))
	}
	f.Add([]byte("t1230"))
	f.Fuzz(func(t *testing.T, line []byte) {
		var fr can.FDFrame
		ts, err := ParseFrame(line, &fr)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a SyntaxError", err)
			}
			return
		}
		out, err := AppendFrame(nil, &fr, ts)
		if err != nil {
			t.Fatalf("decoded %+v does not encode: %v", fr, err)
		}
		if !bytes.EqualFold(out[:len(out)-1], line) {
			t.Fatalf("%q decodes to %+v, which encodes to %q", line, fr, out)
		}
	})
}

// FuzzReader: lines come back terminator-free and at most MaxLine long,
// and the reader ends.
func FuzzReader(f *testing.F) {
	f.Add([]byte("t1230\rz\r\a\nV1013\r"))
	f.Add(bytes.Repeat([]byte("A"), 300))
	f.Fuzz(func(t *testing.T, in []byte) {
		z := NewReader(bytes.NewReader(in))
		for range len(in) + 2 {
			l, _, err := z.Next()
			if err == io.EOF {
				return
			}
			if err != nil && !errors.Is(err, ErrLineTooLong) {
				t.Fatal(err)
			}
			if len(l) > MaxLine || bytes.ContainsAny(l, "\r\a") {
				t.Fatalf("line %q", l)
			}
		}
		t.Fatal("reader does not end")
	})
}
