package core

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"syscall"
)

// The sockaddr codec: every family's struct sockaddr as the Linux kernel
// reads and writes it, encoded and decoded here rather than through
// golang.org/x/sys/unix, which has no SCO or QIPCRTR sockaddr, cannot
// decode ISO-TP, ALG or several Bluetooth addresses, and allocates a
// unix.Sockaddr per call. Fields the kernel keeps in host byte order use
// binary.NativeEndian; network-order fields (ports, sll_protocol,
// sin6_flowinfo) big endian; Bluetooth's __le16 fields little endian.

var (
	ne = binary.NativeEndian
	be = binary.BigEndian
	le = binary.LittleEndian
)

// SizeofSockaddrStorage is the size of struct sockaddr_storage, large
// enough for every family's address: the buffer size to pass to the
// kernel for a sockaddr of unknown family.
const SizeofSockaddrStorage = 128

// Sizes of the fixed-size kernel structures (64-bit Linux).
const (
	SizeofSockaddrInet4   = 16
	SizeofSockaddrInet6   = 28
	SizeofSockaddrUnix    = 110
	SizeofSockaddrNetlink = 12
	SizeofSockaddrCAN     = 24
	SizeofSockaddrALG     = 88
	SizeofSockaddrVM      = 16
	SizeofSockaddrLL      = 20
	SizeofSockaddrTIPC    = 16
	SizeofSockaddrQRTR    = 12
	SizeofSockaddrHCI     = 6
	SizeofSockaddrL2      = 14
	SizeofSockaddrRC      = 10
	SizeofSockaddrSCO     = 8
)

// AddrError reports an address that cannot be encoded to, or decoded from,
// a raw struct sockaddr. It unwraps to a syscall.Errno (EINVAL,
// EAFNOSUPPORT, ENAMETOOLONG, ERANGE or ENODEV), so errors.Is works against
// unix.EINVAL and friends.
type AddrError struct {
	Op     string // "marshal" or "parse"
	Family Family // the address family concerned
	Field  string // the offending field, or "" for the whole address
	Len    int    // length of the raw sockaddr (parse), or -1
	Msg    string // what is wrong
	Err    error  // underlying cause
}

func (e *AddrError) Error() string {
	s := "core: " + e.Op + " " + e.Family.String() + " sockaddr"
	if e.Len >= 0 {
		s += " (" + strconv.Itoa(e.Len) + " bytes)"
	}
	if e.Field != "" {
		s += ": field " + e.Field
	}
	return s + ": " + e.Msg
}

// Unwrap returns the underlying errno or cause.
func (e *AddrError) Unwrap() error { return e.Err }

func marshalErr(fam int, field, msg string, err error) error {
	return &AddrError{Op: "marshal", Family: Family(fam), Field: field, Len: -1, Msg: msg, Err: err}
}

func parseErr(fam int, n int, field, msg string) error {
	return &AddrError{Op: "parse", Family: Family(fam), Field: field, Len: n, Msg: msg, Err: syscall.EINVAL}
}

func shortErr(fam int, n int, what string, need int) error {
	return parseErr(fam, n, "", "too short for "+what+" (need "+strconv.Itoa(need)+" bytes)")
}

// grow extends dst by n zero bytes and returns the extended slice and the
// new n-byte tail. It allocates only when dst lacks capacity.
func grow(dst []byte, n int) ([]byte, []byte) {
	l := len(dst)
	if cap(dst)-l < n {
		nd := make([]byte, l, l+n)
		copy(nd, dst)
		dst = nd
	}
	dst = dst[:l+n]
	b := dst[l:]
	clear(b)
	return dst, b
}

// MarshalSockaddr returns the raw struct sockaddr bytes of a, exactly as the
// kernel expects them for bind(2), connect(2) or sendto(2): the length of the
// result is the addrlen to pass. a may be a value or a pointer of any of the
// package's address types. Interfaces given by name only are resolved to
// their index, which costs a system call.
func MarshalSockaddr(a Addr) ([]byte, error) {
	return AppendSockaddr(nil, a)
}

// AppendSockaddr appends the raw struct sockaddr bytes of a to dst and
// returns the extended slice. It does not allocate when dst has capacity
// for the address (SizeofSockaddrStorage always suffices for fixed-size
// families), a is a pointer, and interfaces are given by index.
func AppendSockaddr(dst []byte, a Addr) ([]byte, error) {
	switch v := a.(type) {
	case *InetAddr:
		return v.appendTo(dst)
	case InetAddr:
		return v.appendTo(dst)
	case *Inet6Addr:
		return v.appendTo(dst)
	case Inet6Addr:
		return v.appendTo(dst)
	case *UnixAddr:
		return v.appendTo(dst)
	case UnixAddr:
		return v.appendTo(dst)
	case *NetlinkAddr:
		return v.appendTo(dst)
	case NetlinkAddr:
		return v.appendTo(dst)
	case *CANAddr:
		return v.appendTo(dst)
	case CANAddr:
		return v.appendTo(dst)
	case *ISOTPAddr:
		return v.appendTo(dst)
	case ISOTPAddr:
		return v.appendTo(dst)
	case *J1939Addr:
		return v.appendTo(dst)
	case J1939Addr:
		return v.appendTo(dst)
	case *TIPCAddr:
		return v.appendTo(dst)
	case TIPCAddr:
		return v.appendTo(dst)
	case *ALGAddr:
		return v.appendTo(dst)
	case ALGAddr:
		return v.appendTo(dst)
	case *VSockAddr:
		return v.appendTo(dst)
	case VSockAddr:
		return v.appendTo(dst)
	case *PacketAddr:
		return v.appendTo(dst)
	case PacketAddr:
		return v.appendTo(dst)
	case *QIPCRTRAddr:
		return v.appendTo(dst)
	case QIPCRTRAddr:
		return v.appendTo(dst)
	case *HCIAddr:
		return v.appendTo(dst)
	case HCIAddr:
		return v.appendTo(dst)
	case *L2CAPAddr:
		return v.appendTo(dst)
	case L2CAPAddr:
		return v.appendTo(dst)
	case *RFCOMMAddr:
		return v.appendTo(dst)
	case RFCOMMAddr:
		return v.appendTo(dst)
	case *SCOAddr:
		return v.appendTo(dst)
	case SCOAddr:
		return v.appendTo(dst)
	case *RawAddr:
		return v.appendTo(dst)
	case RawAddr:
		return v.appendTo(dst)
	case nil:
		return dst, marshalErr(0, "", "nil address", syscall.EINVAL)
	}
	return dst, marshalErr(a.Family(), "", "unsupported address type "+typeName(a), syscall.EAFNOSUPPORT)
}

func typeName(a Addr) string { return fmt.Sprintf("%T", a) }

// ParseSockaddr decodes raw struct sockaddr bytes as the kernel returned
// them (from getsockname, getpeername, recvfrom, accept or recvmsg) into a
// pointer to the family's address type: *InetAddr, *Inet6Addr, *UnixAddr,
// *NetlinkAddr, *CANAddr, *ISOTPAddr, *J1939Addr, *TIPCAddr, *ALGAddr,
// *VSockAddr, *PacketAddr, *QIPCRTRAddr, *HCIAddr, *L2CAPAddr, *RFCOMMAddr
// or *SCOAddr; families the package does not know decode to *RawAddr, as
// Python returns (family, bytes).
//
// typ and proto are the socket's type and protocol: one sockaddr_can serves
// CAN_RAW and CAN_BCM (*CANAddr), CAN_ISOTP (*ISOTPAddr) and CAN_J1939
// (*J1939Addr), and the Bluetooth protocols are told apart by proto
// (BTPROTO_L2CAP, BTPROTO_HCI, BTPROTO_SCO, BTPROTO_RFCOMM). An empty raw
// (the kernel returned addrlen 0, as for an unconnected peer) gives a nil
// Addr and no error, where Python gives None. Malformed input gives an
// *AddrError naming the family and length; ParseSockaddr never panics.
// Interface indexes are resolved to names, which costs a system call.
func ParseSockaddr(raw []byte, typ, proto int) (Addr, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	if len(raw) < 2 {
		return nil, parseErr(0, len(raw), "", "too short for sa_family")
	}
	var a interface {
		Addr
		decode(raw []byte) error
	}
	switch fam := int(ne.Uint16(raw)); fam {
	case AF_INET:
		a = new(InetAddr)
	case AF_INET6:
		a = new(Inet6Addr)
	case AF_UNIX:
		a = new(UnixAddr)
	case AF_NETLINK:
		a = new(NetlinkAddr)
	case AF_CAN:
		switch proto {
		case CAN_ISOTP:
			a = new(ISOTPAddr)
		case CAN_J1939:
			a = new(J1939Addr)
		default:
			a = new(CANAddr)
		}
	case AF_TIPC:
		a = new(TIPCAddr)
	case AF_ALG:
		a = new(ALGAddr)
	case AF_VSOCK:
		a = new(VSockAddr)
	case AF_PACKET:
		a = new(PacketAddr)
	case AF_QIPCRTR:
		a = new(QIPCRTRAddr)
	case AF_BLUETOOTH:
		switch proto {
		case BTPROTO_HCI:
			a = new(HCIAddr)
		case BTPROTO_SCO:
			a = new(SCOAddr)
		case BTPROTO_RFCOMM:
			a = new(RFCOMMAddr)
		case BTPROTO_L2CAP:
			a = new(L2CAPAddr)
		default:
			return nil, parseErr(fam, len(raw), "", "unknown Bluetooth protocol "+strconv.Itoa(proto))
		}
	default:
		a = new(RawAddr)
	}
	if err := a.decode(raw); err != nil {
		return nil, err
	}
	return a, nil
}

// UnmarshalSockaddr decodes raw struct sockaddr bytes into a, which must be
// a non-nil pointer to one of the package's address types whose family
// matches raw's. It is ParseSockaddr for hot paths: it does not allocate
// for fixed-size families, and it resolves an interface index to a name
// only when the index differs from the one already in a, so a reused
// *CANAddr or *PacketAddr costs no system call per datagram. An empty raw
// (no address) resets a to its zero value, which for *UnixAddr is the
// unnamed address.
func UnmarshalSockaddr(raw []byte, a Addr) error {
	d, ok := a.(interface{ decode(raw []byte) error })
	if !ok || a == nil {
		fam := 0
		if a != nil {
			fam = a.Family()
		}
		return &AddrError{Op: "parse", Family: Family(fam), Len: len(raw),
			Msg: "UnmarshalSockaddr needs a non-nil pointer to an address type", Err: syscall.EINVAL}
	}
	if len(raw) == 0 {
		return resetAddr(a)
	}
	return d.decode(raw)
}

// resetAddr sets the address a points to to its zero value: what
// UnmarshalSockaddr does when the kernel reported no address (addrlen 0, as
// recvfrom does on a connected stream or for an unnamed AF_UNIX sender,
// where Python returns None and ParseSockaddr nil). For UnixAddr the zero
// value is exactly the unnamed address.
func resetAddr(a Addr) error {
	switch v := a.(type) {
	case *InetAddr:
		*v = InetAddr{}
	case *Inet6Addr:
		*v = Inet6Addr{}
	case *UnixAddr:
		*v = UnixAddr{}
	case *NetlinkAddr:
		*v = NetlinkAddr{}
	case *CANAddr:
		*v = CANAddr{}
	case *ISOTPAddr:
		*v = ISOTPAddr{}
	case *J1939Addr:
		*v = J1939Addr{}
	case *TIPCAddr:
		*v = TIPCAddr{}
	case *ALGAddr:
		*v = ALGAddr{}
	case *VSockAddr:
		*v = VSockAddr{}
	case *PacketAddr:
		*v = PacketAddr{HWAddr: v.HWAddr[:0]}
	case *QIPCRTRAddr:
		*v = QIPCRTRAddr{}
	case *HCIAddr:
		*v = HCIAddr{}
	case *L2CAPAddr:
		*v = L2CAPAddr{}
	case *RFCOMMAddr:
		*v = RFCOMMAddr{}
	case *SCOAddr:
		*v = SCOAddr{}
	case *RawAddr:
		*v = RawAddr{Data: v.Data[:0]}
	}
	return nil
}

// checkFamily verifies raw's sa_family against want.
func checkFamily(raw []byte, want int, what string, min int) error {
	if len(raw) < 2 {
		return shortErr(want, len(raw), what, min)
	}
	if got := int(ne.Uint16(raw)); got != want {
		return parseErr(want, len(raw), "sa_family", "is "+Family(got).String()+", want "+Family(want).String())
	}
	if len(raw) < min {
		return shortErr(want, len(raw), what, min)
	}
	return nil
}

// putFamily writes sa_family.
func putFamily(b []byte, fam int) { ne.PutUint16(b, uint16(fam)) }

// cString returns b up to its first NUL and whether a NUL was found.
func cString(b []byte) (string, bool) {
	for i, c := range b {
		if c == 0 {
			return string(b[:i]), true
		}
	}
	return string(b), false
}

// resolveIndex returns the interface index to put on the wire for an
// address naming an interface by name and/or index.
func resolveIndex(fam int, iface string, index int) (int, error) {
	if index < 0 || index > 1<<31-1 {
		return 0, marshalErr(fam, "Index", strconv.Itoa(index)+" is out of range for a C int", syscall.ERANGE)
	}
	if index != 0 || iface == "" {
		return index, nil
	}
	if len(iface) >= ifNameSize {
		return 0, marshalErr(fam, "Interface", "name "+strconv.Quote(truncate(iface))+" is "+strconv.Itoa(len(iface))+" bytes, longer than IFNAMSIZ-1 (15)", syscall.ENAMETOOLONG)
	}
	i, err := IfNameToIndex(iface)
	if err != nil {
		var e syscall.Errno
		if !errors.As(err, &e) {
			e = syscall.ENODEV
		}
		return 0, marshalErr(fam, "Interface", "no interface named "+strconv.Quote(iface), e)
	}
	return i, nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// ifNameSize is IFNAMSIZ: interface names are at most 15 bytes.
const ifNameSize = 16

// indexName returns the interface name for a decoded index, reusing prev
// when the index did not change (so hot paths make no system call). An
// index that no longer names an interface gives "".
func indexName(idx int, prevName string, prevIdx int) string {
	if idx == 0 {
		return ""
	}
	if idx == prevIdx && prevName != "" {
		return prevName
	}
	name, err := IfIndexToName(idx)
	if err != nil {
		return ""
	}
	return name
}
