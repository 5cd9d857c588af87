package core

import (
	"strconv"
)

// struct sockaddr_can (linux/can.h), 24 bytes on every Linux ABI:
//
//	0  sa_family_t can_family
//	4  int         can_ifindex
//	8  union can_addr {
//	     struct { canid_t rx_id, tx_id; } tp;                 // ISO-TP: 8, 12
//	     struct { __u64 name; __u32 pgn; __u8 addr; } j1939;  // J1939: 8, 16, 20
//	   }
//
// The kernel accepts 8 bytes for CAN_RAW/CAN_BCM, 16 for CAN_ISOTP and 24
// for CAN_J1939 (CAN_REQUIRED_SIZE); this package always writes all 24, as
// CPython does.

// CANAddr is an AF_CAN address for CAN_RAW and CAN_BCM sockets: Python's
// (interface,) tuple. Interface "" with Index 0 means all CAN interfaces
// (raw bind only). When Index is 0 and Interface is set, the name is
// resolved to an index when the address is encoded; decoded addresses carry
// both.
type CANAddr struct {
	Interface string
	Index     int
}

// ISOTPAddr is an AF_CAN address for CAN_ISOTP sockets: Python's
// (interface, rx_addr, tx_addr) tuple. RxID and TxID are CAN identifiers;
// extended (29-bit) ones carry CAN_EFF_FLAG.
type ISOTPAddr struct {
	Interface string
	Index     int
	RxID      uint32
	TxID      uint32
}

// J1939Addr is an AF_CAN address for CAN_J1939 sockets: Python's
// (interface, name, pgn, addr) tuple. Name is the 64-bit J1939 NAME
// (J1939_NO_NAME = 0 for none), PGN the parameter group number
// (J1939_NO_PGN = 0x40000 for none), Addr the 8-bit address
// (J1939_NO_ADDR = 0xFF for none).
type J1939Addr struct {
	Interface string
	Index     int
	Name      uint64
	PGN       uint32
	Addr      uint8
}

var (
	_ Addr = CANAddr{}
	_ Addr = (*CANAddr)(nil)
	_ Addr = ISOTPAddr{}
	_ Addr = (*ISOTPAddr)(nil)
	_ Addr = J1939Addr{}
	_ Addr = (*J1939Addr)(nil)
)

// Family returns AF_CAN.
func (CANAddr) Family() int { return AF_CAN }

// Family returns AF_CAN.
func (ISOTPAddr) Family() int { return AF_CAN }

// Family returns AF_CAN.
func (J1939Addr) Family() int { return AF_CAN }

func ifaceString(name string, index int) string {
	switch {
	case name != "":
		return name
	case index != 0:
		return "if" + strconv.Itoa(index)
	}
	return "any"
}

// String returns the interface name, "ifN" for an index without a name,
// or "any".
func (a CANAddr) String() string { return ifaceString(a.Interface, a.Index) }

// String returns "iface rx=0x123 tx=0x456".
func (a ISOTPAddr) String() string {
	return ifaceString(a.Interface, a.Index) + " rx=0x" + strconv.FormatUint(uint64(a.RxID), 16) +
		" tx=0x" + strconv.FormatUint(uint64(a.TxID), 16)
}

// String returns "iface name=0x... pgn=0x... addr=0x..".
func (a J1939Addr) String() string {
	return ifaceString(a.Interface, a.Index) + " name=0x" + strconv.FormatUint(a.Name, 16) +
		" pgn=0x" + strconv.FormatUint(uint64(a.PGN), 16) + " addr=0x" + strconv.FormatUint(uint64(a.Addr), 16)
}

// appendCAN writes a sockaddr_can header with the resolved interface
// index and returns the 24-byte tail for the union to be filled in.
func appendCAN(dst []byte, iface string, index int) ([]byte, []byte, error) {
	idx, err := resolveIndex(AF_CAN, iface, index)
	if err != nil {
		return dst, nil, err
	}
	dst, b := grow(dst, SizeofSockaddrCAN)
	putFamily(b, AF_CAN)
	ne.PutUint32(b[4:], uint32(int32(idx)))
	return dst, b, nil
}

// decodeCAN checks a sockaddr_can and returns its interface index.
func decodeCAN(raw []byte, min int, what string) (int, error) {
	if err := checkFamily(raw, AF_CAN, what, min); err != nil {
		return 0, err
	}
	if len(raw) > SizeofSockaddrStorage {
		return 0, parseErr(AF_CAN, len(raw), "", "longer than sockaddr_storage")
	}
	idx := int(int32(ne.Uint32(raw[4:])))
	if idx < 0 {
		return 0, parseErr(AF_CAN, len(raw), "Index", "negative interface index "+strconv.Itoa(idx))
	}
	return idx, nil
}

func (a *CANAddr) appendTo(dst []byte) ([]byte, error) {
	dst, _, err := appendCAN(dst, a.Interface, a.Index)
	return dst, err
}

func (a *CANAddr) decode(raw []byte) error {
	idx, err := decodeCAN(raw, 8, "sockaddr_can")
	if err != nil {
		return err
	}
	a.Interface = indexName(idx, a.Interface, a.Index)
	a.Index = idx
	return nil
}

func (a *ISOTPAddr) appendTo(dst []byte) ([]byte, error) {
	dst, b, err := appendCAN(dst, a.Interface, a.Index)
	if err != nil {
		return dst, err
	}
	ne.PutUint32(b[8:], a.RxID)
	ne.PutUint32(b[12:], a.TxID)
	return dst, nil
}

func (a *ISOTPAddr) decode(raw []byte) error {
	idx, err := decodeCAN(raw, 16, "sockaddr_can (ISO-TP)")
	if err != nil {
		return err
	}
	a.Interface = indexName(idx, a.Interface, a.Index)
	a.Index = idx
	a.RxID = ne.Uint32(raw[8:])
	a.TxID = ne.Uint32(raw[12:])
	return nil
}

func (a *J1939Addr) appendTo(dst []byte) ([]byte, error) {
	dst, b, err := appendCAN(dst, a.Interface, a.Index)
	if err != nil {
		return dst, err
	}
	ne.PutUint64(b[8:], a.Name)
	ne.PutUint32(b[16:], a.PGN)
	b[20] = a.Addr
	return dst, nil
}

func (a *J1939Addr) decode(raw []byte) error {
	idx, err := decodeCAN(raw, SizeofSockaddrCAN, "sockaddr_can (J1939)")
	if err != nil {
		return err
	}
	a.Interface = indexName(idx, a.Interface, a.Index)
	a.Index = idx
	a.Name = ne.Uint64(raw[8:])
	a.PGN = ne.Uint32(raw[16:])
	a.Addr = raw[20]
	return nil
}
