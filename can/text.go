package can

import (
	"encoding"
	"fmt"
)

var (
	_ encoding.TextMarshaler   = FDFrame{}
	_ encoding.TextUnmarshaler = (*FDFrame)(nil)
	_ encoding.TextAppender    = FDFrame{}
	_ fmt.Stringer             = FDFrame{}
)

const hexUpper = "0123456789ABCDEF"

// String formats f in can-utils' compact syntax (cansend input, candump -l
// output); see AppendText.
func (f FDFrame) String() string {
	b, _ := f.AppendText(make([]byte, 0, 9+2+2*FDMaxLen+2))
	return string(b)
}

// String formats f in can-utils' compact syntax.
func (f Frame) String() string { return f.FD().String() }

// MarshalText returns f in can-utils' compact syntax (see AppendText).
func (f FDFrame) MarshalText() ([]byte, error) { return f.AppendText(nil) }

// AppendText appends f in can-utils' compact frame syntax, byte for byte
// what candump -l writes:
//
//	123#DEADBEEF         standard frame (3 hex digits)
//	12345678#00          extended frame (8 hex digits); error frames also use 8 and carry 0x20000000
//	123#R, 123#R4        remote request, with its length when not 0
//	123#1122334455667788_C   classic frame of length 8 with raw DLC 12
//	123##5DEADBEEF       CAN FD frame with flags nibble (BRS=1, ESI=2, FDF=4)
//
// The FD flags nibble includes FDF (4), as candump on Linux >= 6.0 prints
// it for every FD frame: a frame parsed from "123##1..." prints as
// "123##5...". It does not allocate when b has room.
func (f FDFrame) AppendText(b []byte) ([]byte, error) {
	id := f.CANID()
	switch {
	case f.Error:
		b = appendHex32(b, id&(ErrMask|ErrFlag), 8)
	case f.Extended:
		b = appendHex32(b, id&EFFMask, 8)
	default:
		b = appendHex32(b, id&SFFMask, 3)
	}
	b = append(b, '#')
	fd := f.IsFD()
	if !fd && f.Remote {
		b = append(b, 'R')
		if f.Len > 0 && f.Len <= MaxLen {
			b = append(b, hexUpper[f.Len])
			if f.Len == MaxLen && f.Len8DLC > MaxLen && f.Len8DLC <= MaxRawDLC {
				b = append(b, '_', hexUpper[f.Len8DLC])
			}
		}
		return b, nil
	}
	max := MaxLen
	if fd {
		max = FDMaxLen
		b = append(b, '#', hexUpper[(f.Flags|FDF)&0xF])
	}
	n := min(int(f.Len), max)
	for _, c := range f.Data[:n] {
		b = append(b, hexUpper[c>>4], hexUpper[c&0xF])
	}
	if !fd && n == MaxLen && f.Len8DLC > MaxLen && f.Len8DLC <= MaxRawDLC {
		b = append(b, '_', hexUpper[f.Len8DLC])
	}
	return b, nil
}

func appendHex32(b []byte, v uint32, digits int) []byte {
	for i := digits - 1; i >= 0; i-- {
		b = append(b, hexUpper[(v>>(4*uint(i)))&0xF])
	}
	return b
}

// UnmarshalText parses can-utils' compact syntax (see ParseFrame).
func (f *FDFrame) UnmarshalText(b []byte) error {
	g, err := parseFrame(b)
	if err != nil {
		return err
	}
	*f = g
	return nil
}

// SyntaxError is a frame text that does not follow can-utils' syntax. Pos is
// the byte offset of the problem.
type SyntaxError struct {
	Text string
	Pos  int
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("can: frame %q: at byte %d: %s (want ID#DATA, ID#R[LEN], ID##FLAGS DATA; "+
		"ID 3 or 8 hex digits, DATA hex bytes optionally '.'-separated)", e.Text, e.Pos, e.Msg)
}

// ParseFrame parses a frame in cansend's syntax, which is also the frame
// field of candump -l logs:
//
//	<can_id>#{data}             classic frame, data 0..8 hex bytes
//	<can_id>#{data}_{dlc}       classic frame of 8 bytes with raw DLC 9..F
//	<can_id>#R{len}{_dlc}       remote request, len 0..8
//	<can_id>##<flags>{data}     CAN FD frame, flags one hex nibble, data 0..64 bytes
//
// <can_id> is 3 hex digits (standard) or 8 (extended; with bit 29 set an
// error frame). Data bytes may be separated by '.'. Unlike cansend, ParseFrame
// rejects trailing garbage and too many bytes instead of ignoring them.
func ParseFrame(s string) (FDFrame, error) { return parseFrame([]byte(s)) }

func nibble(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func parseFrame(s []byte) (FDFrame, error) {
	var f FDFrame
	fail := func(pos int, format string, args ...any) (FDFrame, error) {
		return FDFrame{}, &SyntaxError{Text: string(s), Pos: pos, Msg: fmt.Sprintf(format, args...)}
	}
	var digits int
	switch {
	case len(s) >= 4 && s[3] == '#':
		digits = 3
	case len(s) >= 9 && s[8] == '#':
		digits = 8
	default:
		return fail(0, "identifier must be 3 or 8 hex digits followed by '#'")
	}
	var id uint32
	for i := range digits {
		n, ok := nibble(s[i])
		if !ok {
			return fail(i, "%q is not a hex digit", s[i])
		}
		id = id<<4 | uint32(n)
	}
	if digits == 8 {
		if id&(EFFFlag|RTRFlag) != 0 {
			return fail(0, "identifier %08X sets flag bits 31/30; write the 29-bit identifier", id)
		}
		if id&ErrFlag == 0 {
			id |= EFFFlag
		}
	}
	f.SetCANID(id)
	i := digits + 1
	// Remote request.
	if i < len(s) && (s[i] == 'R' || s[i] == 'r') {
		f.Remote = true
		i++
		if i < len(s) {
			n, ok := nibble(s[i])
			if !ok || n > MaxLen {
				return fail(i, "remote request length must be one digit 0..8")
			}
			f.Len = n
			i++
		}
		if i < len(s) && s[i] == '_' {
			if f.Len != MaxLen {
				return fail(i, "raw DLC '_' needs length 8")
			}
			if i+1 >= len(s) {
				return fail(i+1, "raw DLC '_' needs one hex digit 9..F")
			}
			n, ok := nibble(s[i+1])
			if !ok || n <= MaxLen {
				return fail(i+1, "raw DLC must be one hex digit 9..F")
			}
			f.Len8DLC = n
			i += 2
		}
		if i != len(s) {
			return fail(i, "unexpected %q after remote request", s[i:])
		}
		return f, nil
	}
	max := MaxLen
	if i < len(s) && s[i] == '#' {
		if i+1 >= len(s) {
			return fail(i+1, "CAN FD frame needs a flags nibble after '##'")
		}
		n, ok := nibble(s[i+1])
		if !ok {
			return fail(i+1, "CAN FD flags must be one hex digit (BRS=1, ESI=2)")
		}
		f.Flags = FDFlags(n) | FDF
		max = FDMaxLen
		i += 2
	}
	for i < len(s) {
		c := s[i]
		if c == '.' {
			i++
			continue
		}
		if c == '_' {
			break
		}
		hi, ok := nibble(c)
		if !ok {
			return fail(i, "%q is not a hex digit", c)
		}
		if i+1 >= len(s) {
			return fail(i+1, "odd number of hex digits in data")
		}
		lo, ok := nibble(s[i+1])
		if !ok {
			return fail(i+1, "%q is not a hex digit", s[i+1])
		}
		if int(f.Len) >= max {
			return fail(i, "more than %d data bytes", max)
		}
		f.Data[f.Len] = hi<<4 | lo
		f.Len++
		i += 2
	}
	if i < len(s) && s[i] == '_' {
		if max != MaxLen || f.Len != MaxLen {
			return fail(i, "raw DLC '_' needs a classic frame with 8 data bytes")
		}
		if i+2 != len(s) {
			return fail(i+1, "raw DLC '_' needs exactly one hex digit 9..F")
		}
		n, ok := nibble(s[i+1])
		if !ok || n <= MaxLen {
			return fail(i+1, "raw DLC must be one hex digit 9..F")
		}
		f.Len8DLC = n
	}
	return f, nil
}
