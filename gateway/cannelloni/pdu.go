package cannelloni

import (
	"encoding/binary"
	"errors"
)

// OpPDU is a fieldgate extension: a datagram carrying one PDU that does not
// fit a CAN frame (an ISO-TP PDU, a J1939 message, an Ethernet frame: kind
// is the gateway's frame kind, 3, 4 or 5). Cannelloni peers reject
// the opcode, as they must; fieldgate peers decode it. Layout after the
// 5-byte header (count = 1):
//
//	kind u8 | flags u8 | addr u8 | id u32 BE | len u16 BE | data
const OpPDU = 0x10

// PDUHeaderLen is the size of a PDU's fixed part.
const PDUHeaderLen = 9

// ErrPDU reports a malformed PDU datagram.
var ErrPDU = errors.New("cannelloni: malformed PDU datagram")

// PDU is one PDU of an OpPDU datagram. Data aliases the datagram.
type PDU struct {
	Kind, Flags, Addr uint8
	ID                uint32
	Data              []byte
}

// AppendPDU appends a whole OpPDU datagram carrying p.
func AppendPDU(b []byte, seq uint8, p *PDU) []byte {
	b = append(b, Version, OpPDU, seq, 0, 1, p.Kind, p.Flags, p.Addr)
	b = binary.BigEndian.AppendUint32(b, p.ID)
	b = binary.BigEndian.AppendUint16(b, uint16(len(p.Data)))
	return append(b, p.Data...)
}

// IsPDU reports whether datagram b is an OpPDU datagram.
func IsPDU(b []byte) bool { return len(b) >= 2 && b[0] == Version && b[1] == OpPDU }

// DecodePDU decodes an OpPDU datagram; maxLen bounds the data length.
func DecodePDU(b []byte, maxLen int) (seq uint8, p PDU, err error) {
	if len(b) < HeaderLen+PDUHeaderLen || !IsPDU(b) || binary.BigEndian.Uint16(b[3:5]) != 1 {
		return 0, p, ErrPDU
	}
	seq = b[2]
	q := b[HeaderLen:]
	p.Kind, p.Flags, p.Addr = q[0], q[1], q[2]
	p.ID = binary.BigEndian.Uint32(q[3:7])
	n := int(binary.BigEndian.Uint16(q[7:9]))
	if n > maxLen || len(q) != PDUHeaderLen+n {
		return 0, p, ErrPDU
	}
	p.Data = q[PDUHeaderLen:]
	return seq, p, nil
}

// Stream PDU records are the fieldgate extension of the TCP stream variant
// (tcp, unix and vsock links with pdus enabled at both ends): one PDU
// inline between CAN frames, marked by a length byte no CAN frame has.
// Cannelloni peers reject the record as an invalid frame length. Layout:
//
//	id u32 BE | 0x7F | kind u8 | flags u8 | addr u8 | len u16 BE | data
const (
	StreamPDUMarker    = 0x7F
	StreamPDUHeaderLen = 10
)

// AppendStreamPDU appends the stream record of p.
func AppendStreamPDU(b []byte, p *PDU) []byte {
	b = binary.BigEndian.AppendUint32(b, p.ID)
	b = append(b, StreamPDUMarker, p.Kind, p.Flags, p.Addr)
	b = binary.BigEndian.AppendUint16(b, uint16(len(p.Data)))
	return append(b, p.Data...)
}

// DecodeStreamPDU decodes the stream PDU record at the start of b and
// returns its length; p.Data aliases b. It returns ErrShort when b holds
// only part of the record and ErrPDU when the record is not a PDU record or
// its data is longer than maxLen.
func DecodeStreamPDU(b []byte, p *PDU, maxLen int) (int, error) {
	if len(b) < 5 {
		return 0, ErrShort
	}
	if b[4] != StreamPDUMarker {
		return 0, ErrPDU
	}
	if len(b) < StreamPDUHeaderLen {
		return 0, ErrShort
	}
	n := int(binary.BigEndian.Uint16(b[8:10]))
	if n > maxLen {
		return 0, ErrPDU
	}
	if len(b) < StreamPDUHeaderLen+n {
		return 0, ErrShort
	}
	p.ID = binary.BigEndian.Uint32(b)
	p.Kind, p.Flags, p.Addr = b[5], b[6], b[7]
	p.Data = b[StreamPDUHeaderLen : StreamPDUHeaderLen+n]
	return StreamPDUHeaderLen + n, nil
}
