//go:build linux

package core

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Conn returns a net.Conn reading and writing the socket (Python's
// makefile, the Go way), for connected stream sockets (and connected
// datagram or seqpacket sockets, one message per Read/Write). It shares the
// socket: closing either closes both. Its operations wait in non-blocking
// mode too, and honour the socket's timeout and deadlines.
func (s *Socket) Conn() net.Conn { return &socketConn{s: s} }

// PacketConn returns a net.PacketConn for a datagram socket. Addresses are
// converted to *net.UDPAddr, *net.UnixAddr or NetAddr (other families);
// WriteTo also takes any of them or a NetAddr wrapping a core Addr.
func (s *Socket) PacketConn() net.PacketConn { return &socketPacketConn{s: s} }

type socketConn struct{ s *Socket }

var (
	_ net.Conn     = (*socketConn)(nil)
	_ syscall.Conn = (*socketConn)(nil)
)

func (c *socketConn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, _, err := c.s.recvfromMode(nil, b, 0, false, nil, "read", true)
	if n == 0 && err == nil && c.s.typ == unix.SOCK_SEQPACKET {
		// The peer closed (a zero-length record is indistinguishable);
		// io.Reader users would otherwise spin on (0, nil).
		return 0, io.EOF
	}
	return n, err
}

func (c *socketConn) Write(b []byte) (int, error) {
	dl, nb := c.s.opDeadlineMode(true, true)
	written := 0
	for {
		n, err := c.s.sendto(nil, b[written:], 0, nil, "write", dl, nb)
		written += n
		if err != nil || written == len(b) {
			return written, err
		}
	}
}

func (c *socketConn) Close() error                       { return c.s.Close() }
func (c *socketConn) CloseRead() error                   { return c.s.Shutdown(unix.SHUT_RD) }
func (c *socketConn) CloseWrite() error                  { return c.s.Shutdown(unix.SHUT_WR) }
func (c *socketConn) LocalAddr() net.Addr                { return c.s.netAddr(c.s.SockName()) }
func (c *socketConn) RemoteAddr() net.Addr               { return c.s.netAddr(c.s.PeerName()) }
func (c *socketConn) SetDeadline(t time.Time) error      { return c.s.SetDeadline(t) }
func (c *socketConn) SetReadDeadline(t time.Time) error  { return c.s.SetReadDeadline(t) }
func (c *socketConn) SetWriteDeadline(t time.Time) error { return c.s.SetWriteDeadline(t) }
func (c *socketConn) SyscallConn() (syscall.RawConn, error) {
	return c.s.SyscallConn()
}

type socketPacketConn struct{ s *Socket }

var (
	_ net.PacketConn = (*socketPacketConn)(nil)
	_ syscall.Conn   = (*socketPacketConn)(nil)
)

func (c *socketPacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, a, err := c.s.recvfromMode(nil, b, 0, true, nil, "read", true)
	if err != nil {
		return n, nil, err
	}
	return n, toNetAddr(a, c.s.typ), nil
}

func (c *socketPacketConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	a, err := c.s.fromNetAddr(addr)
	if err != nil {
		return 0, opError("write", socketNetName(c.s.family), err)
	}
	if auditing() {
		audit("socket.sendto", c.s, a)
	}
	dl, nb := c.s.opDeadlineMode(true, true)
	return c.s.sendto(nil, b, 0, a, "write", dl, nb)
}

func (c *socketPacketConn) Close() error                       { return c.s.Close() }
func (c *socketPacketConn) LocalAddr() net.Addr                { return c.s.netAddr(c.s.SockName()) }
func (c *socketPacketConn) SetDeadline(t time.Time) error      { return c.s.SetDeadline(t) }
func (c *socketPacketConn) SetReadDeadline(t time.Time) error  { return c.s.SetReadDeadline(t) }
func (c *socketPacketConn) SetWriteDeadline(t time.Time) error { return c.s.SetWriteDeadline(t) }
func (c *socketPacketConn) SyscallConn() (syscall.RawConn, error) {
	return c.s.SyscallConn()
}

func (s *Socket) netAddr(a Addr, err error) net.Addr {
	if err != nil || a == nil {
		return nil
	}
	return toNetAddr(a, s.typ)
}

// toNetAddr converts a core address to the matching net package address.
func toNetAddr(a Addr, typ int) net.Addr {
	switch v := a.(type) {
	case InetAddr:
		return inetNetAddr(netip.AddrPortFrom(v.IP, uint16(v.Port)), typ)
	case *InetAddr:
		return inetNetAddr(netip.AddrPortFrom(v.IP, uint16(v.Port)), typ)
	case Inet6Addr:
		return inet6NetAddr(v, typ)
	case *Inet6Addr:
		return inet6NetAddr(*v, typ)
	case UnixAddr:
		return &net.UnixAddr{Name: v.Name, Net: unixNet(typ)}
	case *UnixAddr:
		return &net.UnixAddr{Name: v.Name, Net: unixNet(typ)}
	case nil:
		return nil
	}
	return NetAddr{Addr: a}
}

func inet6NetAddr(v Inet6Addr, typ int) net.Addr {
	ip := v.IP
	if v.ScopeID != 0 {
		zone := strconv.Itoa(int(v.ScopeID))
		if ifi, err := net.InterfaceByIndex(int(v.ScopeID)); err == nil {
			zone = ifi.Name
		}
		ip = ip.WithZone(zone)
	}
	return inetNetAddr(netip.AddrPortFrom(ip, uint16(v.Port)), typ)
}

func inetNetAddr(ap netip.AddrPort, typ int) net.Addr {
	if typ == unix.SOCK_STREAM {
		return net.TCPAddrFromAddrPort(ap)
	}
	return net.UDPAddrFromAddrPort(ap)
}

func unixNet(typ int) string {
	switch typ {
	case unix.SOCK_DGRAM:
		return "unixgram"
	case unix.SOCK_SEQPACKET:
		return "unixpacket"
	}
	return "unix"
}

// fromNetAddr converts a net.Addr for this socket's family.
func (s *Socket) fromNetAddr(na net.Addr) (Addr, error) {
	var ap netip.AddrPort
	switch v := na.(type) {
	case NetAddr:
		return v.Addr, nil
	case *NetAddr:
		return v.Addr, nil
	case *net.UnixAddr:
		return UnixAddr{Name: v.Name}, nil
	case *net.UDPAddr:
		ap = v.AddrPort()
	case *net.TCPAddr:
		ap = v.AddrPort()
	case Addr:
		return v, nil
	default:
		return nil, fmt.Errorf("unsupported address %T (%v): %w", na, na, unix.EAFNOSUPPORT)
	}
	ip := ap.Addr()
	if s.family == unix.AF_INET {
		ip = ip.Unmap()
		if !ip.Is4() {
			return nil, fmt.Errorf("address %v is not IPv4: %w", na, unix.EAFNOSUPPORT)
		}
		return InetAddr{IP: ip, Port: int(ap.Port())}, nil
	}
	a := Inet6Addr{Port: int(ap.Port())}
	if z := ip.Zone(); z != "" {
		if n, err := strconv.Atoi(z); err == nil {
			a.ScopeID = uint32(n)
		} else if ifi, err := net.InterfaceByName(z); err == nil {
			a.ScopeID = uint32(ifi.Index)
		} else {
			return nil, fmt.Errorf("address %v: unknown zone %q: %w", na, z, unix.ENODEV)
		}
		ip = ip.WithZone("")
	}
	if ip.Is4() {
		ip = netip.AddrFrom16(ip.As16())
	}
	a.IP = ip
	return a, nil
}
