//go:build linux

package udp

import (
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// enableRecvErr asks the kernel to queue ICMP errors for datagrams this
// socket sent (IP_RECVERR, IPV6_RECVERR): each queued error quotes the start
// of the refused datagram, which names the frames it carried.
func enableRecvErr(c *net.UDPConn) {
	rc, err := c.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_RECVERR, 1)
		unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_RECVERR, 1)
	})
}

// drainErrQueue reads every queued ICMP error without blocking and passes
// the quoted datagram start and the error to fn. It uses Control, not Read:
// the error queue is separate from the data queue, and a receiver blocked in
// a read holds the descriptor's read lock.
func drainErrQueue(c *net.UDPConn, buf, oob []byte, fn func(quoted []byte, errno syscall.Errno)) {
	rc, err := c.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		for {
			n, oobn, _, _, err := unix.Recvmsg(int(fd), buf, oob, unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
			if err != nil {
				return // EAGAIN: queue empty
			}
			fn(buf[:n], extendedErrno(oob[:oobn]))
		}
	})
}

// extendedErrno returns ee_errno from an IP_RECVERR/IPV6_RECVERR control
// message, or 0.
func extendedErrno(b []byte) unix.Errno {
	for len(b) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
		l := int(h.Len)
		if l < unix.SizeofCmsghdr || l > len(b) {
			return 0
		}
		if (h.Level == unix.IPPROTO_IP && h.Type == unix.IP_RECVERR || h.Level == unix.IPPROTO_IPV6 && h.Type == unix.IPV6_RECVERR) &&
			l >= unix.SizeofCmsghdr+int(unsafe.Sizeof(unix.SockExtendedErr{})) {
			ee := (*unix.SockExtendedErr)(unsafe.Pointer(&b[unix.SizeofCmsghdr]))
			return unix.Errno(ee.Errno)
		}
		al := unix.CmsgSpace(l - unix.SizeofCmsghdr)
		if al > len(b) {
			return 0
		}
		b = b[al:]
	}
	return 0
}
