package core

import "strconv"

// NetlinkAddr is an AF_NETLINK socket address: Python's (pid, groups)
// tuple. PID 0 addresses the kernel (or asks it to assign a port id on
// bind); Groups is the multicast group bit mask. struct sockaddr_nl: 12
// bytes.
type NetlinkAddr struct {
	PID    uint32
	Groups uint32
}

var (
	_ Addr = NetlinkAddr{}
	_ Addr = (*NetlinkAddr)(nil)
)

// Family returns AF_NETLINK.
func (NetlinkAddr) Family() int { return AF_NETLINK }

// String returns "pid=N groups=0xM".
func (a NetlinkAddr) String() string {
	return "pid=" + strconv.FormatUint(uint64(a.PID), 10) + " groups=0x" + strconv.FormatUint(uint64(a.Groups), 16)
}

func (a *NetlinkAddr) appendTo(dst []byte) ([]byte, error) {
	dst, b := grow(dst, SizeofSockaddrNetlink)
	putFamily(b, AF_NETLINK)
	ne.PutUint32(b[4:], a.PID)
	ne.PutUint32(b[8:], a.Groups)
	return dst, nil
}

func (a *NetlinkAddr) decode(raw []byte) error {
	if err := checkFamily(raw, AF_NETLINK, "sockaddr_nl", SizeofSockaddrNetlink); err != nil {
		return err
	}
	a.PID = ne.Uint32(raw[4:])
	a.Groups = ne.Uint32(raw[8:])
	return nil
}
