//go:build !linux

package udp

import "net"

func enableRxqOvfl(c *net.UDPConn) {}

func rxqOvfl(oob []byte) (uint32, bool) { return 0, false }
