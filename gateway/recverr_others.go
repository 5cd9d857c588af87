//go:build !linux

package gateway

import (
	"net"
	"syscall"
)

func enableRecvErr(c *net.UDPConn) {}

func drainErrQueue(c *net.UDPConn, buf, oob []byte, fn func(quoted []byte, errno syscall.Errno)) {}
