//go:build !linux

package udp

import "net"

// setRecvBuffer asks for an n-byte receive buffer; what the system granted
// is not known here (0).
func setRecvBuffer(c *net.UDPConn, n int) (int, error) { return 0, c.SetReadBuffer(n) }
