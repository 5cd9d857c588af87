package slcan

import (
	"errors"
	"fmt"

	"github.com/fieldgate/fieldgate/can"
)

// Line terminators and replies.
const (
	CR  = '\r' // ends every line; alone, it is an adapter's OK
	BEL = '\a' // an adapter's error reply
)

// MaxLine is the longest line of the protocol without its terminator: an
// extended CAN FD frame with 64 data bytes and a timestamp
// (1 + 8 + 1 + 128 + 4).
const MaxLine = 1 + 8 + 1 + 2*can.FDMaxLen + 4

// NoTimestamp is the timestamp of a frame line without one.
const NoTimestamp = -1

// MaxTimestamp is the largest timestamp an adapter sends: the millisecond
// within the minute.
const MaxTimestamp = 59999

// IsFrame reports whether c starts a frame line.
func IsFrame(c byte) bool {
	switch c {
	case 't', 'T', 'r', 'R', 'd', 'D', 'b', 'B':
		return true
	}
	return false
}

// A SyntaxError is a line that ParseFrame, ParseStatus or ParseState
// cannot decode.
type SyntaxError struct {
	Line   string // the offending line, at most MaxLine bytes
	Reason string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("slcan: %s: %q", e.Reason, e.Line) }

func syntaxErr(line []byte, reason string) error {
	if len(line) > MaxLine {
		line = line[:MaxLine]
	}
	return &SyntaxError{Line: string(line), Reason: reason}
}

const hexUpper = "0123456789ABCDEF"

// ErrNotEncodable is returned by AppendFrame for a frame the protocol has
// no line for: an error frame, or a CAN FD remote request.
var ErrNotEncodable = errors.New("slcan: frame has no SLCAN encoding")

// AppendFrame appends the line of f, terminated by '\r', to b. A CAN FD
// frame (FDF or BRS set, or more than 8 bytes) is a d/D/b/B line whose
// length is rounded up to a CAN FD length (the padding is zeros); a remote
// request's DLC is f.Len. ts, when not NoTimestamp, is appended as the
// 4-digit millisecond timestamp (taken modulo 60000).
func AppendFrame(b []byte, f *can.FDFrame, ts int) ([]byte, error) {
	if f.Error {
		return b, ErrNotEncodable
	}
	fd := f.IsFD()
	if fd && f.Remote {
		return b, ErrNotEncodable
	}
	var c byte
	switch {
	case fd && f.Flags&can.BRS != 0:
		c = 'b'
	case fd:
		c = 'd'
	case f.Remote:
		c = 'r'
	default:
		c = 't'
	}
	if f.Extended {
		c -= 'a' - 'A'
	}
	b = append(b, c)
	if f.Extended {
		b = appendHex(b, f.ID&can.EFFMask, 8)
	} else {
		b = appendHex(b, f.ID&can.SFFMask, 3)
	}
	n := int(f.Len)
	var dlc uint8
	if fd {
		n = min(n, can.FDMaxLen)
		dlc = can.LenToDLC(n)
		n = can.DLCToLen(dlc)
	} else {
		n = min(n, can.MaxLen)
		dlc = uint8(n)
	}
	b = append(b, hexUpper[dlc])
	if !f.Remote {
		for i := range n {
			v := f.Data[i]
			if i >= int(f.Len) {
				v = 0
			}
			b = append(b, hexUpper[v>>4], hexUpper[v&0xF])
		}
	}
	if ts != NoTimestamp {
		b = appendHex(b, uint32(ts%60000), 4)
	}
	return append(b, CR), nil
}

func appendHex(b []byte, v uint32, digits int) []byte {
	for i := digits - 1; i >= 0; i-- {
		b = append(b, hexUpper[(v>>(4*uint(i)))&0xF])
	}
	return b
}

// hexVal returns the value of hexadecimal digit c (either case), or -1.
func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}

// parseHex reads the hexadecimal number in s.
func parseHex(s []byte) (uint32, bool) {
	var v uint32
	for _, c := range s {
		d := hexVal(c)
		if d < 0 {
			return 0, false
		}
		v = v<<4 | uint32(d)
	}
	return v, true
}

// ParseFrame decodes the frame line (without its terminator) into f and
// returns its timestamp, or NoTimestamp. Hex digits may be of either case.
// A line that is not exactly a frame (wrong command, identifier out of
// range, DLC digit out of range, odd or missing data digits, trailing
// bytes other than a timestamp) is a *SyntaxError.
func ParseFrame(line []byte, f *can.FDFrame) (int, error) {
	if len(line) == 0 {
		return NoTimestamp, syntaxErr(line, "empty line")
	}
	c := line[0]
	ext := c >= 'A' && c <= 'Z'
	idLen := 3
	if ext {
		idLen = 8
	}
	var fd, brs, remote bool
	switch c {
	case 't', 'T':
	case 'r', 'R':
		remote = true
	case 'd', 'D':
		fd = true
	case 'b', 'B':
		fd, brs = true, true
	default:
		return NoTimestamp, syntaxErr(line, "not a frame command")
	}
	if len(line) < 1+idLen+1 {
		return NoTimestamp, syntaxErr(line, "line too short")
	}
	id, ok := parseHex(line[1 : 1+idLen])
	if !ok {
		return NoTimestamp, syntaxErr(line, "identifier is not hexadecimal")
	}
	if (ext && id > can.EFFMask) || (!ext && id > can.SFFMask) {
		return NoTimestamp, syntaxErr(line, "identifier out of range")
	}
	dlc := hexVal(line[1+idLen])
	n := dlc
	switch {
	case dlc < 0:
		return NoTimestamp, syntaxErr(line, "DLC is not a digit")
	case fd:
		n = can.DLCToLen(uint8(dlc))
	case dlc > can.MaxLen:
		return NoTimestamp, syntaxErr(line, "DLC above 8")
	}
	rest := line[2+idLen:]
	data := 2 * n
	if remote {
		data = 0
	}
	ts := NoTimestamp
	switch len(rest) {
	case data:
	case data + 4:
		v, ok := parseHex(rest[data:])
		if !ok {
			return NoTimestamp, syntaxErr(line, "timestamp is not hexadecimal")
		}
		if v > MaxTimestamp {
			return NoTimestamp, syntaxErr(line, "timestamp above 59999 ms")
		}
		ts = int(v)
	default:
		return NoTimestamp, syntaxErr(line, "data length does not match the DLC")
	}
	for i := 0; i < data; i += 2 {
		hi, lo := hexVal(rest[i]), hexVal(rest[i+1])
		if hi < 0 || lo < 0 {
			return NoTimestamp, syntaxErr(line, "data is not hexadecimal")
		}
		f.Data[i/2] = byte(hi<<4 | lo)
	}
	f.ID, f.Extended, f.Remote, f.Error = id, ext, remote, false
	f.Len = uint8(n)
	f.Len8DLC = 0
	f.Flags = 0
	if fd {
		f.Flags = can.FDF
		if brs {
			f.Flags |= can.BRS
		}
	}
	return ts, nil
}

// Status flags of the F reply (Lawicel CANUSB, bit by bit).
const (
	StatusRxFIFOFull  = 0x01 // receive FIFO full
	StatusTxFIFOFull  = 0x02 // transmit FIFO full
	StatusErrWarning  = 0x04 // error warning (EI)
	StatusDataOverrun = 0x08 // data overrun (DOI)
	StatusErrPassive  = 0x20 // error passive (EPI)
	StatusArbLost     = 0x40 // arbitration lost (ALI)
	StatusBusError    = 0x80 // bus error (BEI)
)

// ParseStatus decodes an F reply ("Fxx", without its terminator).
func ParseStatus(line []byte) (uint8, error) {
	if len(line) != 3 || line[0] != 'F' {
		return 0, syntaxErr(line, "not a status reply")
	}
	v, ok := parseHex(line[1:])
	if !ok {
		return 0, syntaxErr(line, "status is not hexadecimal")
	}
	return uint8(v), nil
}

// AppendStatus appends the F reply for flags, terminated by '\r'.
func AppendStatus(b []byte, flags uint8) []byte {
	return append(b, 'F', hexUpper[flags>>4], hexUpper[flags&0xF], CR)
}

// A State is a controller state of a state report.
type State uint8

// Controller states, by the letter a state report gives them.
const (
	StateActive  State = 'a' // error active
	StateWarning State = 'w' // error warning
	StatePassive State = 'p' // error passive
	StateBusOff  State = 'b' // bus off
)

func (s State) String() string {
	switch s {
	case StateActive:
		return "error-active"
	case StateWarning:
		return "error-warning"
	case StatePassive:
		return "error-passive"
	case StateBusOff:
		return "bus-off"
	}
	return "unknown"
}

// ParseState decodes a state report "sSRRRTTT" (without its terminator):
// S is the state letter, RRR and TTT the receive and transmit error
// counters in decimal, as Linux's slcan driver reads them.
func ParseState(line []byte) (st State, rx, tx int, err error) {
	if len(line) != 8 || line[0] != 's' {
		return 0, 0, 0, syntaxErr(line, "not a state report")
	}
	switch s := State(line[1]); s {
	case StateActive, StateWarning, StatePassive, StateBusOff:
		st = s
	default:
		return 0, 0, 0, syntaxErr(line, "unknown state letter")
	}
	for i, c := range line[2:] {
		if c < '0' || c > '9' {
			return 0, 0, 0, syntaxErr(line, "error counter is not decimal")
		}
		if i < 3 {
			rx = rx*10 + int(c-'0')
		} else {
			tx = tx*10 + int(c-'0')
		}
	}
	return st, rx, tx, nil
}

// AppendState appends the state report for st and the error counters
// (each capped at 999), terminated by '\r'.
func AppendState(b []byte, st State, rx, tx int) []byte {
	b = append(b, 's', byte(st))
	for _, v := range [2]int{rx, tx} {
		v = max(0, min(v, 999))
		b = append(b, byte('0'+v/100), byte('0'+v/10%10), byte('0'+v%10))
	}
	return append(b, CR)
}

// Bitrates are the CAN bit rates of the S0..S8 commands, by digit.
var Bitrates = [9]int{10000, 20000, 50000, 100000, 125000, 250000, 500000, 800000, 1000000}

// BitrateCode returns the digit of the S command for bitrate, and false
// when no S command sets it.
func BitrateCode(bitrate int) (byte, bool) {
	for i, r := range Bitrates {
		if r == bitrate {
			return byte('0' + i), true
		}
	}
	return 0, false
}
