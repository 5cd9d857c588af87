//go:build !linux

package udp

import (
	"net"
	"syscall"
)

func enableRecvErr(c *net.UDPConn) {}

func drainErrQueue(c *net.UDPConn, buf, oob []byte, fn func(quoted []byte, errno syscall.Errno)) {}
