//go:build !linux

package udp

import (
	"net"
	"net/netip"
)

// directIO is the link's socket I/O; off Linux, net.UDPConn's.
type directIO struct{ c *net.UDPConn }

func newDirectIO(c *net.UDPConn) (*directIO, error) { return &directIO{c: c}, nil }

// send writes datagram b to to.
func (d *directIO) send(b []byte, to netip.AddrPort) error {
	_, err := d.c.WriteToUDPAddrPort(b, to)
	return err
}

// recv reads one datagram into buf and its control messages into oob.
func (d *directIO) recv(buf, oob []byte) (n, oobn int, from netip.AddrPort, err error) {
	n, oobn, _, from, err = d.c.ReadMsgUDPAddrPort(buf, oob)
	return n, oobn, from, err
}
