package core

import "strconv"

// socketNetName names a family for error messages.
func socketNetName(family int) string {
	switch family {
	case AF_UNIX:
		return "unix"
	case AF_INET:
		return "inet"
	case AF_INET6:
		return "inet6"
	case AF_NETLINK:
		return "netlink"
	case AF_PACKET:
		return "packet"
	case AF_CAN:
		return "can"
	case AF_ALG:
		return "alg"
	case AF_VSOCK:
		return "vsock"
	case AF_TIPC:
		return "tipc"
	case AF_BLUETOOTH:
		return "bluetooth"
	case AF_RDS:
		return "rds"
	case AF_QIPCRTR:
		return "qipcrtr"
	case AF_UNSPEC:
		return ""
	}
	return "af" + strconv.Itoa(family)
}
