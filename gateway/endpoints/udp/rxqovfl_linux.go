//go:build linux

package udp

import (
	"encoding/binary"
	"net"
	"unsafe"

	"golang.org/x/sys/unix"
)

// enableRxqOvfl asks the kernel to report its drop counter with each
// datagram (SO_RXQ_OVFL).
func enableRxqOvfl(c *net.UDPConn) {
	rc, err := c.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 1)
	})
}

// rxqOvfl extracts the SO_RXQ_OVFL counter from control messages without
// allocating.
func rxqOvfl(b []byte) (uint32, bool) {
	for len(b) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
		l := int(h.Len)
		if l < unix.SizeofCmsghdr || l > len(b) {
			return 0, false
		}
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SO_RXQ_OVFL && l >= unix.SizeofCmsghdr+4 {
			return binary.NativeEndian.Uint32(b[unix.SizeofCmsghdr:]), true
		}
		al := unix.CmsgSpace(l - unix.SizeofCmsghdr)
		if al > len(b) {
			return 0, false
		}
		b = b[al:]
	}
	return 0, false
}
