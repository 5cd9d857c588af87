package core

import "strconv"

// Family is a socket address family (AF_*) as a type, for logs and
// diagnostics: Family(AF_CAN).String() == "AF_CAN". Functions that take a
// family accept a plain int, so the AF_* constants work directly.
type Family int

// Kind is a socket type (SOCK_*) as a type, Python's socket.SocketKind:
// Kind(SOCK_SEQPACKET).String() == "SOCK_SEQPACKET". The SOCK_NONBLOCK and
// SOCK_CLOEXEC flags are printed as "|SOCK_NONBLOCK" and "|SOCK_CLOEXEC".
type Kind int

// familyNames holds the canonical Linux name of each family number
// (include/linux/socket.h). Aliases (AF_LOCAL = AF_UNIX, AF_ROUTE =
// AF_NETLINK, PF_*) print as the canonical name, as Python does.
var familyNames = [...]string{
	0: "AF_UNSPEC", 1: "AF_UNIX", 2: "AF_INET", 3: "AF_AX25", 4: "AF_IPX",
	5: "AF_APPLETALK", 6: "AF_NETROM", 7: "AF_BRIDGE", 8: "AF_ATMPVC",
	9: "AF_X25", 10: "AF_INET6", 11: "AF_ROSE", 12: "AF_DECnet",
	13: "AF_NETBEUI", 14: "AF_SECURITY", 15: "AF_KEY", 16: "AF_NETLINK",
	17: "AF_PACKET", 18: "AF_ASH", 19: "AF_ECONET", 20: "AF_ATMSVC",
	21: "AF_RDS", 22: "AF_SNA", 23: "AF_IRDA", 24: "AF_PPPOX",
	25: "AF_WANPIPE", 26: "AF_LLC", 27: "AF_IB", 28: "AF_MPLS", 29: "AF_CAN",
	30: "AF_TIPC", 31: "AF_BLUETOOTH", 32: "AF_IUCV", 33: "AF_RXRPC",
	34: "AF_ISDN", 35: "AF_PHONET", 36: "AF_IEEE802154", 37: "AF_CAIF",
	38: "AF_ALG", 39: "AF_NFC", 40: "AF_VSOCK", 41: "AF_KCM", 42: "AF_QIPCRTR",
	43: "AF_SMC", 44: "AF_XDP", 45: "AF_MCTP",
}

// String returns the AF_* name of f, or "Family(N)" for a number Linux
// does not define.
func (f Family) String() string {
	if f >= 0 && int(f) < len(familyNames) {
		return familyNames[f]
	}
	return "Family(" + strconv.Itoa(int(f)) + ")"
}

// Linux socket type flags; the same values as SOCK_NONBLOCK and SOCK_CLOEXEC
// on x86, arm and most other architectures (linux/net.h).
const (
	kindNonblock = 0o4000
	kindCloexec  = 0o2000000
	kindMask     = 0xf
)

var kindNames = [...]string{
	1: "SOCK_STREAM", 2: "SOCK_DGRAM", 3: "SOCK_RAW", 4: "SOCK_RDM",
	5: "SOCK_SEQPACKET", 6: "SOCK_DCCP", 10: "SOCK_PACKET",
}

// String returns the SOCK_* name of k, followed by "|SOCK_NONBLOCK" and
// "|SOCK_CLOEXEC" when those flags are set; unknown types print as
// "Kind(N)".
func (k Kind) String() string {
	base := int(k) & kindMask
	var s string
	if int(k)&^(kindMask|kindNonblock|kindCloexec) == 0 && base < len(kindNames) && kindNames[base] != "" {
		s = kindNames[base]
	} else {
		return "Kind(" + strconv.Itoa(int(k)) + ")"
	}
	if int(k)&kindNonblock != 0 {
		s += "|SOCK_NONBLOCK"
	}
	if int(k)&kindCloexec != 0 {
		s += "|SOCK_CLOEXEC"
	}
	return s
}
