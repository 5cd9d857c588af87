package core

import (
	"net"
	"strconv"
	"syscall"
)

// PacketAddr is an AF_PACKET (link layer) socket address: Python's
// (ifname, proto[, pkttype[, hatype[, addr]]]) tuple. Protocol is the
// EtherType in host byte order (ETH_P_ALL, ETH_P_IP ...; written in network
// order), PktType one of PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST,
// PACKET_OTHERHOST, PACKET_OUTGOING, HAType the ARPHRD_* hardware type and
// HWAddr the hardware address (at most 8 bytes in the struct; longer ones,
// such as InfiniBand's 20, extend it as the kernel allows). Interfaces by
// name are resolved to an index. struct sockaddr_ll: 20 bytes.
type PacketAddr struct {
	Interface string
	Index     int
	Protocol  uint16
	PktType   uint8
	HAType    uint16
	HWAddr    net.HardwareAddr
}

var (
	_ Addr = PacketAddr{}
	_ Addr = (*PacketAddr)(nil)
)

// maxHWAddr is MAX_ADDR_LEN (linux/netdevice.h).
const maxHWAddr = 32

// Family returns AF_PACKET.
func (PacketAddr) Family() int { return AF_PACKET }

// String returns "iface proto=0x0800 [pkttype=N hatype=N hw]" with the
// optional parts present only when set.
func (a PacketAddr) String() string {
	s := ifaceString(a.Interface, a.Index) + " proto=0x" + strconv.FormatUint(uint64(a.Protocol), 16)
	if a.PktType != 0 {
		s += " pkttype=" + strconv.Itoa(int(a.PktType))
	}
	if a.HAType != 0 {
		s += " hatype=" + strconv.Itoa(int(a.HAType))
	}
	if len(a.HWAddr) > 0 {
		s += " " + a.HWAddr.String()
	}
	return s
}

func (a *PacketAddr) appendTo(dst []byte) ([]byte, error) {
	if len(a.HWAddr) > maxHWAddr {
		return dst, marshalErr(AF_PACKET, "HWAddr", strconv.Itoa(len(a.HWAddr))+" bytes, at most 32 (MAX_ADDR_LEN)", syscall.EINVAL)
	}
	idx, err := resolveIndex(AF_PACKET, a.Interface, a.Index)
	if err != nil {
		return dst, err
	}
	size := max(SizeofSockaddrLL, 12+len(a.HWAddr))
	dst, b := grow(dst, size)
	putFamily(b, AF_PACKET)
	be.PutUint16(b[2:], a.Protocol)
	ne.PutUint32(b[4:], uint32(int32(idx)))
	ne.PutUint16(b[8:], a.HAType)
	b[10] = a.PktType
	b[11] = byte(len(a.HWAddr))
	copy(b[12:], a.HWAddr)
	return dst, nil
}

func (a *PacketAddr) decode(raw []byte) error {
	if err := checkFamily(raw, AF_PACKET, "sockaddr_ll", 12); err != nil {
		return err
	}
	if len(raw) > SizeofSockaddrStorage {
		return parseErr(AF_PACKET, len(raw), "", "longer than sockaddr_storage")
	}
	halen := int(raw[11])
	if halen > maxHWAddr {
		return parseErr(AF_PACKET, len(raw), "HWAddr", "sll_halen "+strconv.Itoa(halen)+" exceeds MAX_ADDR_LEN (32)")
	}
	if 12+halen > len(raw) {
		return parseErr(AF_PACKET, len(raw), "HWAddr", "sll_halen "+strconv.Itoa(halen)+" runs past the end")
	}
	idx := int(int32(ne.Uint32(raw[4:])))
	if idx < 0 {
		return parseErr(AF_PACKET, len(raw), "Index", "negative interface index "+strconv.Itoa(idx))
	}
	a.Interface = indexName(idx, a.Interface, a.Index)
	a.Index = idx
	a.Protocol = be.Uint16(raw[2:])
	a.HAType = ne.Uint16(raw[8:])
	a.PktType = raw[10]
	if halen == 0 {
		a.HWAddr = a.HWAddr[:0]
		if a.HWAddr != nil && cap(a.HWAddr) == 0 {
			a.HWAddr = nil
		}
	} else {
		a.HWAddr = append(a.HWAddr[:0], raw[12:12+halen]...)
	}
	return nil
}
