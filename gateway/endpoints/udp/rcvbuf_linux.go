//go:build linux

package udp

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// setRecvBuffer asks for an n-byte receive buffer with SO_RCVBUFFORCE,
// which goes past net.core.rmem_max and needs CAP_NET_ADMIN, else with
// SO_RCVBUF (what net.UDPConn.SetReadBuffer does), and returns what the
// kernel granted (SO_RCVBUF read back: twice n when not capped).
func setRecvBuffer(c *net.UDPConn, n int) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, fmt.Errorf("receive buffer: %w", err)
	}
	var granted int
	var serr error
	err = rc.Control(func(fd uintptr) {
		if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n) != nil {
			if e := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, n); e != nil {
				serr = fmt.Errorf("setsockopt SO_RCVBUF: %w", e)
				return
			}
		}
		granted, serr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF)
		if serr != nil {
			serr = fmt.Errorf("getsockopt SO_RCVBUF: %w", serr)
		}
	})
	if err == nil {
		err = serr
	}
	return granted, err
}
