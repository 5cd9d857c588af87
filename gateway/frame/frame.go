// Package frame defines the one value that travels through the gateway: a
// fixed-size Frame that carries a classic CAN frame, a CAN FD frame, an
// ISO-TP PDU, a J1939 message or an Ethernet frame, with its receive time,
// source endpoint and route. Endpoint kinds and the engine share it; it
// imports no endpoint kind.
package frame

import (
	"fmt"
	"time"
)

// A Type says what a Frame carries. Frame types are not endpoint kinds: a
// udp endpoint carries frames of every type.
type Type uint8

// Frame types.
const (
	CAN      Type = iota + 1 // classic CAN 2.0 frame, up to 8 data bytes
	CANFD                    // CAN FD frame, up to 64 data bytes
	ISOTP                    // ISO-TP PDU, up to 4095 bytes
	J1939                    // J1939 message, up to MaxData bytes
	Ethernet                 // Ethernet frame, up to MaxData bytes
)

func (t Type) String() string {
	switch t {
	case CAN:
		return "can"
	case CANFD:
		return "canfd"
	case ISOTP:
		return "isotp"
	case J1939:
		return "j1939"
	case Ethernet:
		return "ethernet"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// IsPDU reports whether t travels between gateways as a fieldgate PDU
// (OpPDU datagrams, stream PDU records) rather than a cannelloni CAN frame.
func (t Type) IsPDU() bool { return t == ISOTP || t == J1939 || t == Ethernet }

// CAN identifier flag bits, as in the Linux struct can_frame.
const (
	CANEFFFlag = 0x80000000 // extended frame format (29-bit ID)
	CANRTRFlag = 0x40000000 // remote transmission request
	CANERRFlag = 0x20000000 // error frame
	CANSFFMask = 0x000007FF
	CANEFFMask = 0x1FFFFFFF
)

// CAN FD flags, as in the Linux struct canfd_frame.
const (
	CANFDBRS = 0x01 // bit rate switch
	CANFDESI = 0x02 // error state indicator
)

// MaxData is the largest payload a Frame carries: an ISO-TP PDU of 4095
// bytes, an Ethernet frame or a J1939 message up to this size.
const MaxData = 4096

// A Frame is the one value that travels through the gateway. It has a fixed
// size so that endpoints and queues reuse preallocated slots: the hot path
// never allocates per frame.
type Frame struct {
	// Time is when the frame was received, in nanoseconds since the Unix epoch.
	Time int64
	// ID is the CAN identifier with the EFF/RTR/ERR flag bits (CAN, CAN FD),
	// the receive ID (ISO-TP), or the PGN (J1939).
	ID uint32
	// Type says what the frame carries.
	Type Type
	// Flags holds the CAN FD flags (BRS, ESI).
	Flags uint8
	// Addr is the J1939 source address.
	Addr uint8
	// Len is the number of valid bytes in Data.
	Len uint16
	// Source is the index of the endpoint the frame came from.
	Source uint16
	// Route is the index of the route that queued the frame (set by the queue).
	Route uint16
	// Data holds the payload; only Data[:Len] is valid.
	Data [MaxData]byte
}

// Payload returns the valid bytes of f.
func (f *Frame) Payload() []byte { return f.Data[:f.Len] }

// SetTime sets the receive time.
func (f *Frame) SetTime(t time.Time) { f.Time = t.UnixNano() }

// CopyFrom copies src into f, touching only the valid payload bytes.
func (f *Frame) CopyFrom(src *Frame) {
	f.Time, f.ID, f.Type, f.Flags, f.Addr, f.Len = src.Time, src.ID, src.Type, src.Flags, src.Addr, src.Len
	f.Source, f.Route = src.Source, src.Route
	copy(f.Data[:src.Len], src.Data[:src.Len])
}

// IsCAN reports whether f is a classic or FD CAN frame.
func (f *Frame) IsCAN() bool { return f.Type == CAN || f.Type == CANFD }

// String formats f like a candump line body: ID#DATA, ID##F DATA or ID#R.
func (f *Frame) String() string {
	return string(AppendCandump(nil, f))
}

const hexDigits = "0123456789ABCDEF"

// AppendCandump appends the candump representation of a CAN frame to b.
func AppendCandump(b []byte, f *Frame) []byte {
	id := f.ID
	switch {
	case id&CANERRFlag != 0:
		b = appendHex(b, id&(CANEFFMask|CANERRFlag), 8)
	case id&CANEFFFlag != 0:
		b = appendHex(b, id&CANEFFMask, 8)
	default:
		b = appendHex(b, id&CANSFFMask, 3)
	}
	b = append(b, '#')
	if f.Type == CANFD {
		b = append(b, '#', hexDigits[f.Flags&0xF])
	} else if id&CANRTRFlag != 0 {
		b = append(b, 'R')
		if f.Len > 0 {
			b = append(b, hexDigits[f.Len&0xF])
		}
		return b
	}
	for _, c := range f.Data[:f.Len] {
		b = append(b, hexDigits[c>>4], hexDigits[c&0xF])
	}
	return b
}

func appendHex(b []byte, v uint32, digits int) []byte {
	for i := digits - 1; i >= 0; i-- {
		b = append(b, hexDigits[(v>>(4*uint(i)))&0xF])
	}
	return b
}

// canFDLens maps a CAN FD DLC to its length.
var canFDLens = [16]uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64}

// ValidCANFDLen reports whether n is a length a CAN FD frame can have.
func ValidCANFDLen(n int) bool {
	for _, l := range canFDLens {
		if int(l) == n {
			return true
		}
	}
	return false
}
