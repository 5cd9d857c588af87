package socketcand

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// DefaultPort is socketcand's TCP port.
const DefaultPort = 29536

// MaxMessage bounds one "< ... >" message: an ISO-TP sendpdu of 4095 bytes in
// hex plus the command fits.
const MaxMessage = 8400

// Errors.
var (
	ErrTooLong = errors.New("socketcand: message exceeds 8400 bytes without '>'")
	ErrSyntax  = errors.New("socketcand: syntax error")
)

// Scanner cuts messages out of a byte stream. Bytes outside "<" ... ">" are
// ignored, as socketcand does.
type Scanner struct {
	buf []byte
	r   int
}

// Write appends received bytes.
func (s *Scanner) Write(b []byte) {
	if s.r > 0 && s.r == len(s.buf) {
		s.buf, s.r = s.buf[:0], 0
	} else if s.r > 4096 {
		n := copy(s.buf, s.buf[s.r:])
		s.buf, s.r = s.buf[:n], 0
	}
	s.buf = append(s.buf, b...)
}

// Next returns the content between the next "<" and ">" (without them), or
// ok false when more bytes are needed. The returned slice is valid until the
// next Write. ErrTooLong means the peer must be disconnected.
func (s *Scanner) Next() (msg []byte, ok bool, err error) {
	b := s.buf[s.r:]
	start := bytes.IndexByte(b, '<')
	if start < 0 {
		s.r = len(s.buf) // garbage outside messages is ignored
		return nil, false, nil
	}
	end := bytes.IndexByte(b[start:], '>')
	if end < 0 {
		// The content so far, without "<": the limit must not depend
		// on whether ">" came in the same read.
		if len(b)-start-1 > MaxMessage {
			return nil, false, ErrTooLong
		}
		s.r += start
		return nil, false, nil
	}
	msg = b[start+1 : start+end]
	s.r += start + end + 1
	if len(msg) > MaxMessage {
		return nil, false, ErrTooLong
	}
	return msg, true, nil
}

// Command is a parsed client message: its verb and arguments.
type Command struct {
	Verb string
	Args [][]byte
	argv [16][]byte
}

// Parse splits msg (the content of "< ... >") into verb and arguments.
func (c *Command) Parse(msg []byte) error {
	c.Verb = ""
	c.Args = c.argv[:0]
	i := 0
	for i < len(msg) {
		for i < len(msg) && isSpace(msg[i]) {
			i++
		}
		j := i
		for j < len(msg) && !isSpace(msg[j]) {
			j++
		}
		if j > i {
			if c.Verb == "" {
				c.Verb = verb(msg[i:j])
			} else {
				c.Args = append(c.Args, msg[i:j])
			}
		}
		i = j
	}
	if c.Verb == "" {
		return fmt.Errorf("%w: empty message", ErrSyntax)
	}
	return nil
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// verb interns the known verbs so parsing does not allocate.
func verb(b []byte) string {
	for _, v := range verbs {
		if string(b) == v {
			return v
		}
	}
	return string(b)
}

var verbs = []string{"send", "open", "rawmode", "bcmmode", "isotpmode", "controlmode", "echo", "add", "update", "delete",
	"filter", "muxfilter", "subscribe", "unsubscribe", "statistics", "isotpconf", "sendpdu", "sendrtr", "fdsend"}

// ParseID parses a socketcand CAN ID: 3 hex digits or fewer are a standard
// frame, more an extended one; bit 31 set by clients is masked off. It
// returns the Linux can_id with the EFF flag where extended.
func ParseID(b []byte) (uint32, error) {
	if len(b) == 0 || len(b) > 8 {
		return 0, fmt.Errorf("%w: can id %q", ErrSyntax, b)
	}
	v, err := strconv.ParseUint(string(b), 16, 32)
	if err != nil {
		return 0, fmt.Errorf("%w: can id %q", ErrSyntax, b)
	}
	id := uint32(v)
	if len(b) > 3 || id > 0x7FF {
		return id&0x1FFFFFFF | 0x80000000, nil
	}
	return id, nil
}

// ParseSend parses the arguments of "send ID DLC B0 B1 ...": it returns the
// can_id and writes the data into data (at least 8 bytes), returning its length.
func ParseSend(args [][]byte, data []byte) (id uint32, n int, err error) {
	if len(args) < 2 {
		return 0, 0, fmt.Errorf("%w: send needs ID and DLC", ErrSyntax)
	}
	if id, err = ParseID(args[0]); err != nil {
		return 0, 0, err
	}
	dlc, err := strconv.ParseUint(string(args[1]), 16, 8)
	if err != nil || dlc > 8 {
		return 0, 0, fmt.Errorf("%w: dlc %q (0..8)", ErrSyntax, args[1])
	}
	if len(args)-2 != int(dlc) {
		return 0, 0, fmt.Errorf("%w: dlc %d but %d data bytes", ErrSyntax, dlc, len(args)-2)
	}
	for i, a := range args[2:] {
		if len(a) == 0 || len(a) > 2 {
			return 0, 0, fmt.Errorf("%w: data byte %q", ErrSyntax, a)
		}
		v, err := strconv.ParseUint(string(a), 16, 8)
		if err != nil {
			return 0, 0, fmt.Errorf("%w: data byte %q", ErrSyntax, a)
		}
		data[i] = byte(v)
	}
	return id, int(dlc), nil
}

// ParseUint parses a decimal argument (BCM seconds, microseconds).
func ParseUint(b []byte) (uint64, error) {
	v, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: number %q", ErrSyntax, b)
	}
	return v, nil
}

const hexUpper = "0123456789ABCDEF"

func appendID(b []byte, id uint32) []byte {
	if id&0x80000000 != 0 {
		return appendHex(b, id&0x1FFFFFFF, 8)
	}
	return appendHex(b, id&0x7FF, 3)
}

func appendHex(b []byte, v uint32, digits int) []byte {
	for i := digits - 1; i >= 0; i-- {
		b = append(b, hexUpper[(v>>(4*uint(i)))&0xF])
	}
	return b
}

// appendTime appends SEC.USEC with six microsecond digits, as socketcand's
// "%ld.%06ld" does, without allocating.
func appendTime(b []byte, sec, usec int64) []byte {
	b = strconv.AppendInt(b, sec, 10)
	b = append(b, '.')
	if usec < 0 || usec > 999999 {
		// Out of range (a caller's bug): printed as %06ld would.
		u := strconv.AppendInt(make([]byte, 0, 24), usec, 10)
		for range 6 - len(u) {
			b = append(b, '0')
		}
		return append(b, u...)
	}
	var d [6]byte
	for i := 5; i >= 0; i-- {
		d[i] = byte('0' + usec%10)
		usec /= 10
	}
	return append(b, d[:]...)
}

// RecordSize is the unit of the aligned framing (AlignRecord): python-can
// 4.1 reads the stream 1024 bytes at a time, a multiple of it.
const RecordSize = 64

// AlignRecord pads the message b[start:] in front so that it fills a
// whole number of RecordSize-byte records: a newline, then spaces, then
// the message, whose ">" is the record's last byte. Clients that look for
// the next "<" (socketcand's own parser, python-can) skip the padding, and
// a reader that reads a multiple of RecordSize bytes at a time never gets
// part of a message; python-can 4.1, which drops the byte after each read's
// last complete message, drops a padding byte. The padding is at least
// one byte.
func AlignRecord(b []byte, start int) []byte {
	n := len(b) - start
	size := (n + RecordSize) / RecordSize * RecordSize // > n: one byte of padding at least
	pad := size - n
	for range pad {
		b = append(b, ' ')
	}
	copy(b[start+pad:], b[start:start+n])
	b[start] = '\n'
	for i := start + 1; i < start+pad; i++ {
		b[i] = ' '
	}
	return b
}

// AppendRawFrame appends a raw-mode frame message "< frame ID SEC.USEC DATA >".
func AppendRawFrame(b []byte, id uint32, sec, usec int64, data []byte) []byte {
	b = append(b, "< frame "...)
	b = appendID(b, id)
	b = append(b, ' ')
	b = appendTime(b, sec, usec)
	b = append(b, ' ')
	for _, c := range data {
		b = append(b, hexUpper[c>>4], hexUpper[c&0xF])
	}
	return append(b, " >"...)
}

// AppendBCMFrame appends a BCM-mode frame "< frame ID SEC.USEC B0 B1 ... >".
func AppendBCMFrame(b []byte, id uint32, sec, usec int64, data []byte) []byte {
	b = append(b, "< frame "...)
	b = appendID(b, id)
	b = append(b, ' ')
	b = appendTime(b, sec, usec)
	for _, c := range data {
		b = append(b, ' ', hexUpper[c>>4], hexUpper[c&0xF])
	}
	return append(b, " >"...)
}

// AppendErrorFrame appends "< error ID SEC.USEC >" for a CAN error frame.
func AppendErrorFrame(b []byte, id uint32, sec, usec int64) []byte {
	b = append(b, "< error "...)
	b = appendHex(b, id&0x1FFFFFFF, 3)
	b = append(b, ' ')
	b = appendTime(b, sec, usec)
	return append(b, " >"...)
}

// AppendStat appends "< stat rbytes rpackets tbytes tpackets >".
func AppendStat(b []byte, rb, rp, tb, tp uint64) []byte {
	b = append(b, "< stat "...)
	for i, v := range []uint64{rb, rp, tb, tp} {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendUint(b, v, 10)
	}
	return append(b, " >"...)
}
