package slcan

import (
	"errors"
	"io"
)

// ErrLineTooLong is returned by Reader.Next when MaxLine bytes arrive
// without a terminator. The reader discards the rest of that line.
var ErrLineTooLong = errors.New("slcan: line longer than the longest SLCAN line")

// A Reader splits a byte stream into SLCAN lines. Its buffer is fixed: it
// does not allocate after NewReader.
type Reader struct {
	r          io.Reader
	buf        [4096]byte
	start, end int
	skip       bool // discarding the rest of an oversize line
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader) *Reader { return &Reader{r: r} }

// Reset makes z read from r with an empty buffer.
func (z *Reader) Reset(r io.Reader) {
	z.r, z.start, z.end, z.skip = r, 0, 0, false
}

// Skip makes the reader discard bytes up to and including the next
// terminator: the rest of a line that was cut short.
func (z *Reader) Skip() { z.skip = true }

// Next returns the next line without its terminator, and the terminator:
// CR, or BEL (an adapter's error reply; the line is then usually empty).
// Line feeds before a line are skipped. The line is valid until the next
// call. Errors are the underlying reader's (io.EOF at the end) or
// ErrLineTooLong.
func (z *Reader) Next() (line []byte, term byte, err error) {
scan:
	for {
		for i := z.start; i < z.end; i++ {
			c := z.buf[i]
			if c == '\n' && i == z.start && !z.skip {
				z.start++
				continue
			}
			if c != CR && c != BEL {
				continue
			}
			line = z.buf[z.start:i]
			z.start = i + 1
			if z.skip {
				z.skip = false
				continue scan // look for the next line
			}
			if len(line) > MaxLine {
				return nil, 0, ErrLineTooLong
			}
			return line, c, nil
		}
		if z.start < z.end && z.skip {
			// Nothing but the rest of an oversize line: drop it.
			z.start = z.end
		}
		if z.end-z.start > MaxLine {
			z.start, z.end, z.skip = 0, 0, true
			return nil, 0, ErrLineTooLong
		}
		if z.start == z.end {
			z.start, z.end = 0, 0
		} else if z.start > 0 && z.end == len(z.buf) {
			z.end = copy(z.buf[:], z.buf[z.start:z.end])
			z.start = 0
		}
		n, err := z.r.Read(z.buf[z.end:])
		z.end += n
		if n == 0 && err != nil {
			return nil, 0, err
		}
	}
}

// Buffered reports whether a whole line is buffered, so that Next
// returns without reading.
func (z *Reader) Buffered() bool {
	for _, c := range z.buf[z.start:z.end] {
		if c == CR || c == BEL {
			return true
		}
	}
	return false
}
