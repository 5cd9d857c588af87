package busmsg

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fieldgate/fieldgate/gateway/frame"
)

// Kind tokens: the <kind> of a subject and the "kind" of a JSON object.
const (
	KindCAN      = "can"
	KindCANFD    = "canfd"
	KindISOTP    = "isotp"
	KindJ1939    = "j1939"
	KindEthernet = "eth"
)

var kindTokens = [...]string{frame.CAN: KindCAN, frame.CANFD: KindCANFD, frame.ISOTP: KindISOTP, frame.J1939: KindJ1939, frame.Ethernet: KindEthernet}

// KindToken returns the token of frame type t ("" for an unknown type).
func KindToken(t frame.Type) string {
	if int(t) < len(kindTokens) {
		return kindTokens[t]
	}
	return ""
}

// ParseKind returns the frame type of a kind token.
func ParseKind(s string) (frame.Type, bool) {
	for t, k := range kindTokens {
		if k != "" && k == s {
			return frame.Type(t), true
		}
	}
	return 0, false
}

// BatchToken is the last subject token of a binary message whose frames
// have several IDs: <prefix>.<gateway>.<endpoint>.<kind>.batch.
const BatchToken = "batch"

const hexUpper = "0123456789ABCDEF"

// AppendID appends the <ID hex> token of f, uppercase, as candump writes
// it: a CAN, CAN FD or ISO-TP identifier with 3 digits (11-bit) or 8
// digits (29-bit, and error frames with their class bits), without the
// RTR flag; a J1939 PGN with 5 digits; an Ethernet frame's EtherType
// (bytes 12–13) with 4 digits (0000 for a frame shorter than 14 bytes).
func AppendID(b []byte, f *frame.Frame) []byte {
	switch f.Type {
	case frame.J1939:
		return appendHex(b, f.ID&0x3FFFF, 5)
	case frame.Ethernet:
		var et uint32
		if f.Len >= 14 {
			et = uint32(f.Data[12])<<8 | uint32(f.Data[13])
		}
		return appendHex(b, et, 4)
	}
	switch {
	case f.ID&frame.CANERRFlag != 0:
		return appendHex(b, f.ID&(frame.CANEFFMask|frame.CANERRFlag), 8)
	case f.ID&frame.CANEFFFlag != 0:
		return appendHex(b, f.ID&frame.CANEFFMask, 8)
	}
	return appendHex(b, f.ID&frame.CANSFFMask, 3)
}

func appendHex(b []byte, v uint32, digits int) []byte {
	for i := digits - 1; i >= 0; i-- {
		b = append(b, hexUpper[(v>>(4*uint(i)))&0xF])
	}
	return b
}

// Subject builds subjects <prefix>.<gateway>.<endpoint>.<kind>.<ID hex>.
// Sep is the token separator: '.' for NATS, '/' for MQTT.
type Subject struct {
	Prefix, Gateway string
	Sep             byte
}

// AppendBase appends <prefix>.<gateway>.<endpoint>.<kind>. (with the
// trailing separator) for frames of type t from endpoint ep.
func (s *Subject) AppendBase(b []byte, ep string, t frame.Type) []byte {
	if s.Prefix != "" {
		b = append(b, s.Prefix...)
		b = append(b, s.Sep)
	}
	b = append(b, s.Gateway...)
	b = append(b, s.Sep)
	b = AppendToken(b, ep)
	b = append(b, s.Sep)
	b = append(b, KindToken(t)...)
	return append(b, s.Sep)
}

// Append appends the subject of frame f from endpoint ep.
func (s *Subject) Append(b []byte, ep string, f *frame.Frame) []byte {
	return AppendID(s.AppendBase(b, ep, f.Type), f)
}

// AppendToken appends name as one subject token: '_' replaces each byte
// CheckToken would refuse (an endpoint named "bus.a" is token "bus_a").
func AppendToken(b []byte, name string) []byte {
	if name == "" {
		return append(b, '_')
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7F || strings.IndexByte(".*>/+#", c) >= 0 || i == 0 && c == '$' {
			c = '_'
		}
		b = append(b, c)
	}
	return b
}

// ErrToken is returned by CheckToken for a name that cannot be one subject
// token.
var ErrToken = errors.New("not a subject token")

// CheckToken reports whether s can be one token of a NATS subject and an
// MQTT topic level: not empty, at most 255 bytes, printable ASCII without
// '.', '*', '>', '/', '+', '#', '$' first, or spaces.
func CheckToken(s string) error {
	if s == "" {
		return fmt.Errorf("%w: empty", ErrToken)
	}
	if len(s) > 255 {
		return fmt.Errorf("%w: longer than 255 bytes", ErrToken)
	}
	if s[0] == '$' {
		return fmt.Errorf("%w: starts with '$' (reserved by brokers)", ErrToken)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7F || strings.IndexByte(".*>/+#", c) >= 0 {
			return fmt.Errorf("%w: %q is not allowed (letters, digits, '-', '_' and the like; no '.', '*', '>', '/', '+', '#', spaces)", ErrToken, c)
		}
	}
	return nil
}

// CheckPrefix reports whether s is a subject prefix: one or more tokens
// separated by '.', or empty.
func CheckPrefix(s string) error {
	if s == "" {
		return nil
	}
	for _, t := range strings.Split(s, ".") {
		if err := CheckToken(t); err != nil {
			return err
		}
	}
	return nil
}
