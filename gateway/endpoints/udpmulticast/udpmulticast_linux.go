//go:build linux

package udpmulticast

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/internal/access"
)

// bufLen is a receive slot: python-can reads up to 4096 bytes; a valid
// message is at most maxMessage.
const bufLen = 4096

// mcConn is one udp_multicast endpoint: rx is bound to the group and port
// and joined to the group; tx sends from an ephemeral port of its own, so
// that datagrams from (a local address, tx's port) are ours and ignored.
type mcConn struct {
	cfg    *Config
	env    *endpoint.Env
	rx, tx *net.UDPConn
	rxRaw  syscall.RawConn
	dst    netip.AddrPort
	txPort uint16
	local  []netip.Addr // this host's addresses, for recognising our own datagrams
	allow  access.Peers

	// Send, under mu: a batch goes out with one sendmmsg.
	mu    sync.Mutex
	msg   Message
	txRaw syscall.RawConn
	shdrs [endpoint.BatchSize]unix.Mmsghdr
	siovs [endpoint.BatchSize]unix.Iovec
	sbufs [endpoint.BatchSize][maxMessage]byte
	sa    unix.RawSockaddrInet6 // the group, or a RawSockaddrInet4 in its first bytes
	salen uint32
	sn    int
	serr  unix.Errno

	// Receive's goroutine only.
	hdrs  [endpoint.BatchSize]unix.Mmsghdr
	iovs  [endpoint.BatchSize]unix.Iovec
	names [endpoint.BatchSize]unix.RawSockaddrInet6
	oob   [endpoint.BatchSize][64]byte
	bufs  [endpoint.BatchSize][bufLen]byte
	rn    int
	rerr  unix.Errno
	rmsg  Message
}

func open(ctx context.Context, ec *config.Endpoint, e *endpoint.Env) (endpoint.Transceiver, error) {
	cfg := ec.Settings.(*Config)
	c := &mcConn{cfg: cfg, env: e, allow: access.ParsePeers(cfg.AllowPeers)}
	ifindex := 0
	if cfg.Interface != "" {
		ifi, err := net.InterfaceByName(cfg.Interface)
		if err != nil {
			return nil, fmt.Errorf("udp_multicast: interface %s: %w", cfg.Interface, err)
		}
		ifindex = ifi.Index
	}
	var err error
	if c.rx, err = c.listen(ifindex); err != nil {
		return nil, fmt.Errorf("udp_multicast: joining %v port %d: %w", cfg.Group, cfg.Port, err)
	}
	if c.tx, err = c.sender(ifindex); err != nil {
		c.rx.Close()
		return nil, fmt.Errorf("udp_multicast: sending socket: %w", err)
	}
	c.txPort = c.tx.LocalAddr().(*net.UDPAddr).AddrPort().Port()
	if c.rxRaw, err = c.rx.SyscallConn(); err != nil {
		c.Close()
		return nil, err
	}
	if c.txRaw, err = c.tx.SyscallConn(); err != nil {
		c.Close()
		return nil, err
	}
	zone := ""
	if cfg.Group.Is6() && ifindex != 0 {
		zone = cfg.Interface
	}
	c.dst = netip.AddrPortFrom(cfg.Group.WithZone(zone), uint16(cfg.Port))
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil {
				c.local = append(c.local, p.Addr().Unmap())
			}
		}
	}
	port := (*[2]byte)(unsafe.Pointer(&c.sa.Port))
	binary.BigEndian.PutUint16(port[:], uint16(cfg.Port))
	if cfg.Group.Is6() {
		c.sa.Family, c.sa.Addr, c.sa.Scope_id = unix.AF_INET6, cfg.Group.As16(), uint32(ifindex)
		c.salen = unix.SizeofSockaddrInet6
	} else {
		s4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(&c.sa))
		s4.Family, s4.Addr = unix.AF_INET, cfg.Group.As4()
		c.salen = unix.SizeofSockaddrInet4
	}
	for i := range c.shdrs {
		c.siovs[i].Base = &c.sbufs[i][0]
		h := &c.shdrs[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&c.sa))
		h.Namelen = c.salen
		h.Iov = &c.siovs[i]
		h.Iovlen = 1
	}
	for i := range c.hdrs {
		c.iovs[i].Base = &c.bufs[i][0]
		c.iovs[i].SetLen(bufLen)
		h := &c.hdrs[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&c.names[i]))
		h.Iov = &c.iovs[i]
		h.Iovlen = 1
		h.Control = &c.oob[i][0]
	}
	return c, nil
}

// socket makes a non-blocking UDP socket of the group's family, lets set
// configure it, and wraps it as a *net.UDPConn.
func (c *mcConn) socket(set func(fd int, v6 bool) error) (*net.UDPConn, error) {
	v6 := c.cfg.Group.Is6()
	family := unix.AF_INET
	if v6 {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	if err := set(fd, v6); err != nil {
		unix.Close(fd)
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "udp_multicast")
	defer f.Close()
	pc, err := net.FilePacketConn(f)
	if err != nil {
		return nil, err
	}
	return pc.(*net.UDPConn), nil
}

func sockopt(fd, level, opt, v int, name string) error {
	if err := unix.SetsockoptInt(fd, level, opt, v); err != nil {
		return os.NewSyscallError("setsockopt "+name, err)
	}
	return nil
}

// listen: SO_REUSEADDR (python-can buses and other gateways share the
// port), SO_TIMESTAMPNS, bound to the group address and port, joined.
func (c *mcConn) listen(ifindex int) (*net.UDPConn, error) {
	return c.socket(func(fd int, v6 bool) error {
		if err := sockopt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1, "SO_REUSEADDR"); err != nil {
			return err
		}
		if err := sockopt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS"); err != nil {
			return err
		}
		if err := sockopt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20, "SO_RCVBUF"); err != nil {
			return err
		}
		g := c.cfg.Group
		if v6 {
			sa := &unix.SockaddrInet6{Port: c.cfg.Port, Addr: g.As16(), ZoneId: uint32(ifindex)}
			if err := unix.Bind(fd, sa); err != nil {
				return os.NewSyscallError("bind", err)
			}
			mreq := &unix.IPv6Mreq{Multiaddr: g.As16(), Interface: uint32(ifindex)}
			if err := unix.SetsockoptIPv6Mreq(fd, unix.IPPROTO_IPV6, unix.IPV6_JOIN_GROUP, mreq); err != nil {
				return os.NewSyscallError("setsockopt IPV6_JOIN_GROUP", err)
			}
			return nil
		}
		if err := unix.Bind(fd, &unix.SockaddrInet4{Port: c.cfg.Port, Addr: g.As4()}); err != nil {
			return os.NewSyscallError("bind", err)
		}
		mreq := &unix.IPMreqn{Multiaddr: g.As4(), Ifindex: int32(ifindex)}
		if err := unix.SetsockoptIPMreqn(fd, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, mreq); err != nil {
			return os.NewSyscallError("setsockopt IP_ADD_MEMBERSHIP", err)
		}
		return nil
	})
}

// sender: TTL or hop limit, loopback, outgoing interface; an ephemeral
// port.
func (c *mcConn) sender(ifindex int) (*net.UDPConn, error) {
	loop := 0
	if c.cfg.Loopback {
		loop = 1
	}
	return c.socket(func(fd int, v6 bool) error {
		if v6 {
			if err := sockopt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, c.cfg.HopLimit, "IPV6_MULTICAST_HOPS"); err != nil {
				return err
			}
			if err := sockopt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_LOOP, loop, "IPV6_MULTICAST_LOOP"); err != nil {
				return err
			}
			if ifindex != 0 {
				if err := sockopt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF, ifindex, "IPV6_MULTICAST_IF"); err != nil {
					return err
				}
			}
			return os.NewSyscallError("bind", unix.Bind(fd, &unix.SockaddrInet6{}))
		}
		if err := sockopt(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, c.cfg.HopLimit, "IP_MULTICAST_TTL"); err != nil {
			return err
		}
		if err := sockopt(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, loop, "IP_MULTICAST_LOOP"); err != nil {
			return err
		}
		if ifindex != 0 {
			if err := unix.SetsockoptIPMreqn(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, &unix.IPMreqn{Ifindex: int32(ifindex)}); err != nil {
				return os.NewSyscallError("setsockopt IP_MULTICAST_IF", err)
			}
		}
		return os.NewSyscallError("bind", unix.Bind(fd, &unix.SockaddrInet4{}))
	})
}

func (c *mcConn) Send(ctx context.Context, frames []frame.Frame) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var drop error
	k := 0
	for ; k < len(frames) && k < len(c.shdrs); k++ {
		f := &frames[k]
		if !f.IsCAN() {
			drop = &endpoint.DropError{Reason: endpoint.ReasonUnsupported, One: true, Err: fmt.Errorf("udp_multicast carries CAN frames only, not %s", f.Type)}
			break
		}
		if f.Type == frame.CANFD && !c.cfg.FD {
			drop = &endpoint.DropError{Reason: endpoint.ReasonUnsupported, One: true, Err: errors.New("CAN FD frame on an endpoint with fd: false")}
			break
		}
		c.msg.FromFrame(f)
		if f.Time == 0 {
			c.msg.Timestamp = float64(time.Now().UnixNano()) / 1e9
		}
		b := AppendMessage(c.sbufs[k][:0], &c.msg)
		c.siovs[k].SetLen(len(b))
	}
	for off := 0; off < k; off += c.sn {
		err := c.txRaw.Write(func(fd uintptr) bool {
			for {
				n, _, e := unix.RawSyscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&c.shdrs[off])), uintptr(k-off), unix.MSG_DONTWAIT, 0, 0)
				switch e {
				case unix.EINTR:
					continue
				case unix.EAGAIN:
					return false
				}
				c.sn, c.serr = int(n), e
				return true
			}
		})
		if err == nil && c.serr != 0 {
			err = os.NewSyscallError("sendmmsg", c.serr)
		}
		if err != nil {
			return off, err
		}
	}
	if drop != nil {
		return k, drop
	}
	return k, nil
}

// recv reads up to a batch of datagrams with one recvmmsg, waiting on the
// poller when there are none.
func (c *mcConn) recv() (int, error) {
	for i := range c.hdrs {
		h := &c.hdrs[i].Hdr
		h.Namelen = unix.SizeofSockaddrInet6
		h.SetControllen(len(c.oob[i]))
		h.Flags = 0
	}
	err := c.rxRaw.Read(func(fd uintptr) bool {
		for {
			n, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&c.hdrs[0])), uintptr(len(c.hdrs)), unix.MSG_DONTWAIT, 0, 0)
			switch e {
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false
			}
			c.rn, c.rerr = int(n), e
			return true
		}
	})
	if err != nil {
		return 0, err
	}
	if c.rerr != 0 {
		return 0, os.NewSyscallError("recvmmsg", c.rerr)
	}
	return c.rn, nil
}

// from returns the sender of datagram i.
func (c *mcConn) from(i int) netip.AddrPort {
	sa := &c.names[i]
	if sa.Family == unix.AF_INET {
		s4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(s4.Addr), binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&s4.Port))[:]))
	}
	return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:]))
}

// stamp returns the SO_TIMESTAMPNS time of datagram i in ns, 0 if none.
func (c *mcConn) stamp(i int) int64 {
	b := c.oob[i][:c.hdrs[i].Hdr.Controllen]
	for len(b) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
		l := int(h.Len)
		if l < unix.SizeofCmsghdr || l > len(b) {
			return 0
		}
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SO_TIMESTAMPNS && l >= unix.SizeofCmsghdr+16 {
			ts := (*unix.Timespec)(unsafe.Pointer(&b[unix.SizeofCmsghdr]))
			return ts.Sec*1e9 + ts.Nsec
		}
		b = b[min(unix.CmsgSpace(l-unix.SizeofCmsghdr), len(b)):]
	}
	return 0
}

func (c *mcConn) own(from netip.AddrPort) bool {
	if from.Port() != c.txPort {
		return false
	}
	for _, a := range c.local {
		if a == from.Addr() {
			return true
		}
	}
	return false
}

func (c *mcConn) Receive(ctx context.Context, deliver func([]frame.Frame)) error {
	stop := context.AfterFunc(ctx, func() { c.rx.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	batch := make([]frame.Frame, endpoint.BatchSize)
	for {
		n, err := c.recv()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		k := 0
		for i := range n {
			from := c.from(i)
			if c.own(from) {
				continue // our own datagram, looped back
			}
			if !c.allow.Allowed(from.Addr()) {
				c.env.Drop(endpoint.ReasonAuth, 1)
				continue
			}
			h := &c.hdrs[i]
			if h.Hdr.Flags&unix.MSG_TRUNC != 0 {
				c.env.Drop(endpoint.ReasonMalformed, 1)
				continue
			}
			if err := DecodeMessage(c.bufs[i][:h.Len], &c.rmsg); err != nil {
				c.env.Drop(endpoint.ReasonMalformed, 1)
				c.env.Log.Debug("malformed datagram", "peer", from, "err", err)
				continue
			}
			if c.rmsg.FD && !c.cfg.FD {
				c.env.Drop(endpoint.ReasonUnsupported, 1)
				continue
			}
			f := &batch[k]
			c.rmsg.ToFrame(f)
			if c.rmsg.Error {
				c.env.Stats.ErrorFrames.Add(1)
			}
			f.Time = c.stamp(i)
			if c.cfg.SenderTime {
				f.Time = int64(c.rmsg.Timestamp * 1e9)
			}
			k++
		}
		if k > 0 {
			deliver(batch[:k])
		}
	}
}

func (c *mcConn) Close() error {
	err := c.rx.Close()
	if c.tx != nil {
		if e := c.tx.Close(); err == nil {
			err = e
		}
	}
	return err
}
