package packet

import (
	"encoding/binary"
	"fmt"
)

// SocketCAN frame layout (linux/can.h).
const (
	canFrameLen   = 16 // struct can_frame
	canFDFrameLen = 72 // struct canfd_frame
	canFDFlagFDF  = 0x04
)

// LinkTypeFor returns the pcap link type for packets of a socket of type
// typ on an interface of ARPHRD type hatype, as libpcap chooses it:
// Ethernet (and the loopback, which carries Ethernet headers) as
// LinkTypeEthernet, SocketCAN as LinkTypeCANSocketCAN, anything else — and
// every Datagram socket — as LinkTypeLinuxSLL2 with the cooked header built
// by AppendRecord.
func LinkTypeFor(hatype uint16, typ Type) LinkType {
	if typ == Datagram {
		return LinkTypeLinuxSLL2
	}
	switch hatype {
	case arphrdEther, arphrdLoop:
		return LinkTypeEthernet
	case arphrdCAN:
		return LinkTypeCANSocketCAN
	case arphrdNone, arphrdRawIP:
		return LinkTypeRaw
	}
	return LinkTypeLinuxSLL2
}

// AppendRecord appends p's bytes as a pcap record of link type lt to dst:
// unchanged for Ethernet and raw IP; for SocketCAN the can_id converted
// from host to network byte order (the kernel hands it out in host order,
// LINKTYPE_CAN_SOCKETCAN stores it big-endian) and CANFD_FDF set on
// 72-byte CAN FD frames; for LinuxSLL2 a 20-byte cooked header in front.
func AppendRecord(dst []byte, p *Packet, lt LinkType) ([]byte, error) {
	switch lt {
	case LinkTypeEthernet, LinkTypeRaw:
		return append(dst, p.Data...), nil
	case LinkTypeCANSocketCAN:
		return AppendSocketCAN(dst, p.Data)
	case LinkTypeLinuxSLL2:
		var h [20]byte
		binary.BigEndian.PutUint16(h[0:], p.Protocol)
		binary.BigEndian.PutUint32(h[4:], uint32(p.Interface))
		binary.BigEndian.PutUint16(h[8:], p.HardwareType)
		h[10] = byte(p.Type)
		h[11] = byte(min(len(p.Addr), 8))
		copy(h[12:], p.Addr)
		return append(append(dst, h[:]...), p.Data...), nil
	}
	return dst, fmt.Errorf("packet: no record encoding for link type %d", lt)
}

// AppendSocketCAN appends a SocketCAN frame as read from a CAN socket or a
// packet socket on a CAN interface (can_id in host byte order) in
// LINKTYPE_CAN_SOCKETCAN form (can_id big-endian, CANFD_FDF set on CAN FD
// frames). A frame that is neither 16 nor 72 bytes is an error.
func AppendSocketCAN(dst, frame []byte) ([]byte, error) {
	if len(frame) != canFrameLen && len(frame) != canFDFrameLen {
		return dst, fmt.Errorf("packet: SocketCAN frame of %d bytes, want %d (CAN) or %d (CAN FD)", len(frame), canFrameLen, canFDFrameLen)
	}
	n := len(dst)
	dst = append(dst, frame...)
	id := binary.NativeEndian.Uint32(frame)
	binary.BigEndian.PutUint32(dst[n:], id)
	if len(frame) == canFDFrameLen {
		dst[n+5] |= canFDFlagFDF
	}
	return dst, nil
}

// AppendCANRecord appends a LINKTYPE_CAN_SOCKETCAN record built from a
// frame's fields: id is the Linux can_id with its flag bits (EFF
// 0x80000000, RTR 0x40000000, ERR 0x20000000); fd selects a 72-byte CAN FD
// record (flags carries BRS 0x01 and ESI 0x02; CANFD_FDF is set) and
// otherwise a 16-byte classic record. data is at most 8 bytes (classic) or
// 64 (FD).
func AppendCANRecord(dst []byte, id uint32, fd bool, flags uint8, data []byte) ([]byte, error) {
	size, max := canFrameLen, 8
	if fd {
		size, max = canFDFrameLen, 64
	}
	if len(data) > max {
		return dst, fmt.Errorf("packet: CAN record: %d data bytes, at most %d", len(data), max)
	}
	n := len(dst)
	dst = append(dst, make([]byte, size)...)
	binary.BigEndian.PutUint32(dst[n:], id)
	dst[n+4] = byte(len(data))
	if fd {
		dst[n+5] = flags | canFDFlagFDF
	}
	copy(dst[n+8:], data)
	return dst, nil
}
