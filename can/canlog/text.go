package canlog

import (
	"bufio"
	"io"
	"strconv"
	"time"
)

const (
	hexDigits = "0123456789ABCDEF"
	hexLower  = "0123456789abcdef"
)

// lineReader reads lines (without "\r\n") and counts them.
type lineReader struct {
	s    *bufio.Scanner
	line int
}

func newLineReader(r io.Reader) lineReader {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 4096), 64*1024)
	return lineReader{s: s}
}

// next returns the next line, or nil and the scanner's error (nil at
// the end).
func (l *lineReader) next() ([]byte, error) {
	if !l.s.Scan() {
		return nil, l.s.Err()
	}
	l.line++
	b := l.s.Bytes()
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return b, nil
}

// fields splits b at spaces and tabs into dst (reused), without allocating
// when dst has room.
func fields(dst [][]byte, b []byte) [][]byte {
	dst = dst[:0]
	i := 0
	for i < len(b) {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
			i++
		}
		j := i
		for j < len(b) && b[j] != ' ' && b[j] != '\t' {
			j++
		}
		if j > i {
			dst = append(dst, b[i:j])
		}
		i = j
	}
	return dst
}

// parseDecimal parses "S[.F]" (no sign) into nanoseconds times 10^-scale
// units: scale 0 reads seconds, scale 3 milliseconds. Digits past
// nanoseconds are truncated.
func parseDecimal(b []byte, scale int) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var whole int64
	i := 0
	for ; i < len(b) && b[i] != '.'; i++ {
		c := b[i]
		if c < '0' || c > '9' || whole > 1<<40 {
			return 0, false
		}
		whole = whole*10 + int64(c-'0')
	}
	if i == 0 {
		return 0, false
	}
	// Nanoseconds per unit: 1e9 for seconds, 1e6 for milliseconds.
	unit := int64(1e9)
	for range scale {
		unit /= 10
	}
	ns := whole * unit
	if i < len(b) {
		i++ // '.'
		if i == len(b) {
			return 0, false
		}
		for d := unit / 10; i < len(b); i++ {
			c := b[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			ns += int64(c-'0') * d
			d /= 10
		}
	}
	return ns, true
}

// parseHex parses hex digits (an optional 0x prefix) into a uint32.
func parseHex(b []byte) (uint32, bool) {
	if len(b) > 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X') {
		b = b[2:]
	}
	if len(b) == 0 || len(b) > 8 {
		return 0, false
	}
	var v uint32
	for _, c := range b {
		n, ok := nib(c)
		if !ok {
			return 0, false
		}
		v = v<<4 | uint32(n)
	}
	return v, true
}

func parseUint(b []byte, base int, max uint64) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		n, ok := nib(c)
		if !ok || int(n) >= base {
			return 0, false
		}
		v = v*uint64(base) + uint64(n)
		if v > max {
			return 0, false
		}
	}
	return v, true
}

func nib(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// appendFixed appends ns as seconds (or ms with scale 3) with decimals
// digits, truncated.
func appendFixed(b []byte, ns int64, scale, decimals int) []byte {
	unit := int64(1e9)
	for range scale {
		unit /= 10
	}
	whole, frac := ns/unit, ns%unit
	b = strconv.AppendInt(b, whole, 10)
	if decimals == 0 {
		return b
	}
	b = append(b, '.')
	d := unit / 10
	for range decimals {
		b = append(b, byte('0'+frac/d%10))
		if d > 1 {
			d /= 10
		} else {
			frac = 0
		}
	}
	return b
}

func padLeft(b []byte, width, n int) []byte {
	for i := n; i < width; i++ {
		b = append(b, ' ')
	}
	return b
}

// appendRight appends s right-aligned in width.
func appendRight(b []byte, s []byte, width int) []byte {
	return append(padLeft(b, width, len(s)), s...)
}

// appendLeft appends s left-aligned in width.
func appendLeft(b []byte, s []byte, width int) []byte {
	b = append(b, s...)
	return padLeft(b, width, len(s))
}

func appendHexByte(b []byte, c byte) []byte { return append(b, hexDigits[c>>4], hexDigits[c&0xF]) }

// appendHexID appends v in upper-case hex with at least digits digits.
func appendHexID(b []byte, v uint32, digits int) []byte {
	var tmp [8]byte
	n := 0
	for v != 0 || n < digits {
		tmp[7-n] = hexDigits[v&0xF]
		v >>= 4
		n++
		if n == 8 {
			break
		}
	}
	return append(b, tmp[8-n:]...)
}

// unixNano converts t, clamping times before 1970 to 0.
func unixNano(t time.Time) int64 {
	ns := t.UnixNano()
	if ns < 0 || t.Unix() < 0 {
		return 0
	}
	return ns
}
