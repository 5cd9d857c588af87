package cli

import (
	"strconv"
	"time"
)

// A timestampFormat prints can-utils' "(…) " timestamps: mode 'a' the
// absolute time (seconds.microseconds), 'A' the absolute time with the
// date, 'd' the delta to the previous printed frame and 'z' the time since
// the first. candump pads the seconds (%010ld for a, %03ld for d and z);
// the isotp tools do not (%ld): secWidth and deltaWidth say which (0 for no
// padding).
type timestampFormat struct {
	mode                 byte
	secWidth, deltaWidth int
	lastSec, lastUsec    int64
}

// appendTime appends t's timestamp; the zero time prints as 0.
func (s *timestampFormat) appendTime(b []byte, t time.Time) []byte {
	var sec, usec int64
	if !t.IsZero() {
		sec, usec = t.Unix(), int64(t.Nanosecond()/1000)
	}
	return s.append(b, sec, usec)
}

// append appends the timestamp of sec.usec; a mode other than a, A, d and z
// appends nothing.
func (s *timestampFormat) append(b []byte, sec, usec int64) []byte {
	switch s.mode {
	case 'a':
		b = append(b, '(')
		b = appendZeroPad(b, sec, s.secWidth)
	case 'A':
		b = append(b, '(')
		b = time.Unix(sec, 0).AppendFormat(b, "2006-01-02 15:04:05")
	case 'd', 'z':
		if s.lastSec == 0 {
			s.lastSec, s.lastUsec = sec, usec
		}
		ds, du := sec-s.lastSec, usec-s.lastUsec
		if du < 0 {
			ds, du = ds-1, du+1000000
		}
		if ds < 0 {
			ds, du = 0, 0
		}
		if s.mode == 'd' {
			s.lastSec, s.lastUsec = sec, usec
		}
		b = append(b, '(')
		b = appendZeroPad(b, ds, s.deltaWidth)
		usec = du
	default:
		return b
	}
	b = append(b, '.')
	b = appendZeroPad(b, usec, 6)
	return append(b, ") "...)
}

// appendZeroPad appends v in decimal, padded with zeros to width digits.
func appendZeroPad(b []byte, v int64, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}
