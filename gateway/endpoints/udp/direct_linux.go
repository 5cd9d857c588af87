//go:build linux

package udp

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// directIO makes the link's sendto and recvmsg directly on the socket's
// non-blocking descriptor (unix.RawSyscall6), and waits on the runtime
// poller only when the socket has nothing to read or no room, as the can
// package does for recvmmsg/sendmmsg. Through net.UDPConn every call goes
// through the runtime's system call bookkeeping, and a Go program on one
// CPU hands its only P to another thread whenever a call outlasts a sysmon
// tick (20 µs), which on an emulated or loaded machine is most calls: a
// futex wake-up and two thread switches per datagram. Nothing is
// allocated per call.
type directIO struct {
	rc     syscall.RawConn
	family uint16 // AF_INET or AF_INET6: the socket's

	// send: under udpConn.mu.
	sb     []byte
	sa     unix.RawSockaddrInet6 // or a RawSockaddrInet4 in its first bytes
	salen  uintptr
	serr   unix.Errno
	sendFn func(fd uintptr) bool

	// recv: Receive's goroutine only.
	msg    unix.Msghdr
	iov    unix.Iovec
	from   unix.RawSockaddrInet6
	rn     int
	ooblen int
	rerr   unix.Errno
	recvFn func(fd uintptr) bool
	zoneID uint32 // the last IPv6 scope id seen, and its name
	zone   string
}

func newDirectIO(c *net.UDPConn) (*directIO, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	d := &directIO{rc: rc}
	var domain int
	var derr error
	if err := rc.Control(func(fd uintptr) { domain, derr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN) }); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, fmt.Errorf("getsockopt SO_DOMAIN: %w", derr)
	}
	d.family = uint16(domain)
	d.sendFn = func(fd uintptr) bool {
		for {
			_, _, e := unix.RawSyscall6(unix.SYS_SENDTO, fd, uintptr(unsafe.Pointer(&d.sb[0])), uintptr(len(d.sb)),
				0, uintptr(unsafe.Pointer(&d.sa)), d.salen)
			if e == unix.EINTR {
				continue
			}
			if e == unix.EAGAIN {
				return false
			}
			d.serr = e
			return true
		}
	}
	d.msg.Name = (*byte)(unsafe.Pointer(&d.from))
	d.msg.Iov = &d.iov
	d.msg.Iovlen = 1
	d.recvFn = func(fd uintptr) bool {
		for {
			d.msg.Namelen = unix.SizeofSockaddrInet6
			d.msg.SetControllen(d.ooblen)
			r, _, e := unix.RawSyscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&d.msg)), unix.MSG_CMSG_CLOEXEC)
			if e == unix.EINTR {
				continue
			}
			if e == unix.EAGAIN {
				return false
			}
			d.rn, d.rerr = int(r), e
			return true
		}
	}
	return d, nil
}

// send writes datagram b to to.
func (d *directIO) send(b []byte, to netip.AddrPort) error {
	if err := d.setAddr(to); err != nil {
		return err
	}
	d.sb, d.serr = b, 0
	err := d.rc.Write(d.sendFn)
	d.sb = nil
	if err != nil {
		return err
	}
	if d.serr != 0 {
		return os.NewSyscallError("sendto", d.serr)
	}
	return nil
}

// setAddr puts to into d.sa in the socket's family: an IPv4 address goes
// to an AF_INET6 socket as v4-mapped, as net.UDPConn sends it.
func (d *directIO) setAddr(to netip.AddrPort) error {
	a := to.Addr()
	port := to.Port()
	if d.family == unix.AF_INET {
		if !a.Is4() && !a.Is4In6() {
			return &net.AddrError{Err: "non-IPv4 address", Addr: a.String()}
		}
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&d.sa))
		*sa = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: a.Unmap().As4()}
		p := (*[2]byte)(unsafe.Pointer(&sa.Port))
		p[0], p[1] = byte(port>>8), byte(port)
		d.salen = unix.SizeofSockaddrInet4
		return nil
	}
	d.sa = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: a.As16()}
	p := (*[2]byte)(unsafe.Pointer(&d.sa.Port))
	p[0], p[1] = byte(port>>8), byte(port)
	if z := a.Zone(); z != "" {
		id, err := zoneIndex(z)
		if err != nil {
			return err
		}
		d.sa.Scope_id = id
	}
	d.salen = unix.SizeofSockaddrInet6
	return nil
}

// zoneIndex returns the interface index an IPv6 zone names (a number or
// an interface name).
func zoneIndex(z string) (uint32, error) {
	if n, err := strconv.ParseUint(z, 10, 32); err == nil {
		return uint32(n), nil
	}
	ifi, err := net.InterfaceByName(z)
	if err != nil {
		return 0, err
	}
	return uint32(ifi.Index), nil
}

// recv reads one datagram into buf and its control messages into oob.
func (d *directIO) recv(buf, oob []byte) (n, oobn int, from netip.AddrPort, err error) {
	d.iov.Base = &buf[0]
	d.iov.SetLen(len(buf))
	d.msg.Control, d.ooblen = nil, 0
	if len(oob) > 0 {
		d.msg.Control, d.ooblen = &oob[0], len(oob)
	}
	d.rerr = 0
	if err := d.rc.Read(d.recvFn); err != nil {
		return 0, 0, netip.AddrPort{}, err
	}
	if d.rerr != 0 {
		return 0, 0, netip.AddrPort{}, os.NewSyscallError("recvmsg", d.rerr)
	}
	return d.rn, int(d.msg.Controllen), d.fromAddr(), nil
}

// fromAddr returns the sender of the last datagram, as net.UDPConn's
// ReadMsgUDPAddrPort does (an IPv4 sender on an AF_INET6 socket stays
// v4-mapped).
func (d *directIO) fromAddr() netip.AddrPort {
	port := func(p *uint16) uint16 { b := (*[2]byte)(unsafe.Pointer(p)); return uint16(b[0])<<8 | uint16(b[1]) }
	switch d.from.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&d.from))
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), port(&sa.Port))
	case unix.AF_INET6:
		a := netip.AddrFrom16(d.from.Addr)
		if id := d.from.Scope_id; id != 0 {
			if id != d.zoneID || d.zone == "" {
				d.zoneID, d.zone = id, strconv.FormatUint(uint64(id), 10)
				if ifi, err := net.InterfaceByIndex(int(id)); err == nil {
					d.zone = ifi.Name
				}
			}
			a = a.WithZone(d.zone)
		}
		return netip.AddrPortFrom(a, port(&d.from.Port))
	}
	return netip.AddrPort{}
}
