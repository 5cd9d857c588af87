//go:build linux

package can

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"unsafe"

	"github.com/fieldgate/fieldgate/core"
	"golang.org/x/sys/unix"
)

// Socket option levels and names not (all) in x/sys/unix (linux/can/*.h).
const (
	solCANRaw   = unix.SOL_CAN_BASE + unix.CAN_RAW   // 101
	solCANISOTP = unix.SOL_CAN_BASE + unix.CAN_ISOTP // 106
	solCANJ1939 = unix.SOL_CAN_BASE + unix.CAN_J1939 // 107

	canRawFilter      = 1
	canRawErrFilter   = 2
	canRawLoopback    = 3
	canRawRecvOwnMsgs = 4
	canRawFDFrames    = 5
	canRawJoinFilters = 6

	soRxqOvfl       = 40 // SO_RXQ_OVFL
	scmTimestampNS  = 35 // SCM_TIMESTAMPNS == SO_TIMESTAMPNS_OLD
	soTimestampNS   = 35
	soTimestamping  = 37 // SO_TIMESTAMPING_OLD
	scmTimestamping = 37
	sofRxHardware   = 1 << 2
	sofRxSoftware   = 1 << 3
	sofSoftware     = 1 << 4
	sofRawHardware  = 1 << 6
)

// sock is a CAN socket: a core.Socket (fieldgate's socket engine on Go's
// runtime poller) with the interface it serves, for error messages.
type sock struct {
	s      *core.Socket
	rc     syscall.RawConn
	iface  string
	rProbe *probe
	wProbe *probe
}

// openSock creates a socket of the CAN protocol proto.
func openSock(typ, proto int, name string) (*sock, error) {
	s, err := core.NewSocket(unix.AF_CAN, typ, proto)
	if err != nil {
		return nil, fmt.Errorf("can: socket %s: %w", name, err)
	}
	rc, err := s.SyscallConn()
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("can: socket %s: %w", name, err)
	}
	return &sock{s: s, rc: rc, rProbe: newProbe(unix.POLLIN), wProbe: newProbe(unix.POLLOUT)}, nil
}

// probe asks poll(2) with timeout 0 whether the socket is ready. The batch
// paths use it to skip the context machinery (which allocates per call for
// a cancelable context) when data is already queued or room is free: the
// steady state then allocates nothing, and only idle waits do.
type probe struct {
	fds    [1]unix.PollFd
	events int16
	ready  bool
	fn     func(fd uintptr)
}

func newProbe(events int16) *probe {
	p := &probe{events: events}
	p.fn = func(fd uintptr) {
		p.fds[0] = unix.PollFd{Fd: int32(fd), Events: p.events}
		n, err := unix.Poll(p.fds[:], 0)
		p.ready = err == nil && n > 0 && p.fds[0].Revents&(p.events|unix.POLLERR|unix.POLLHUP) != 0
	}
	return p
}

// ctxFor returns nil (wait without context machinery) when ctx cannot be
// canceled or the socket is ready in p's direction, else ctx.
func (s *sock) ctxFor(ctx context.Context, p *probe) context.Context {
	if ctx == nil || ctx.Done() == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx
	}
	p.ready = false
	if s.rc.Control(p.fn) == nil && p.ready {
		return nil
	}
	return ctx
}

// ifindex resolves an interface name; "" is 0 (all interfaces).
func ifindex(iface string) (int, error) {
	if iface == "" {
		return 0, nil
	}
	if len(iface) >= unix.IFNAMSIZ {
		return 0, &InterfaceError{Name: iface, Err: unix.ENAMETOOLONG}
	}
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		// net's "route ip+net: no such network interface" is its
		// way of saying ENODEV.
		var errno unix.Errno
		if !errors.As(err, &errno) {
			err = unix.ENODEV
		}
		return 0, &InterfaceError{Name: iface, Err: err}
	}
	return ifi.Index, nil
}

func (s *sock) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if s.iface != "" {
		return fmt.Errorf("can: %s %s: %w", op, s.iface, err)
	}
	return fmt.Errorf("can: %s: %w", op, err)
}

func (s *sock) setInt(level, opt, v int, what string) error {
	return s.wrap("setsockopt "+what, s.s.SetsockoptInt(level, opt, v))
}

// setBytes sets a byte-array option; an empty b passes optlen 0 (e.g. no
// CAN_RAW_FILTER = receive nothing).
func (s *sock) setBytes(level, opt int, b []byte, what string) error {
	return s.wrap("setsockopt "+what, s.s.SetsockoptBytes(level, opt, b))
}

// getBytes reads a byte-array option of up to size bytes. core caps its
// GetsockoptBytes at Python's 1024; CAN_RAW_FILTER needs up to 4096, so
// larger reads go straight to getsockopt(2).
func (s *sock) getBytes(level, opt, size int, what string) ([]byte, error) {
	if size <= 1024 {
		b, err := s.s.GetsockoptBytes(level, opt, size)
		if err != nil {
			return nil, s.wrap("getsockopt "+what, err)
		}
		return b, nil
	}
	b := make([]byte, size)
	l := uint32(size)
	var errno unix.Errno
	err := s.rc.Control(func(fd uintptr) {
		_, _, errno = unix.Syscall6(unix.SYS_GETSOCKOPT, fd, uintptr(level), uintptr(opt),
			uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(&l)), 0)
	})
	if err == nil && errno != 0 {
		err = errno
	}
	if err != nil {
		return nil, s.wrap("getsockopt "+what, err)
	}
	return b[:min(int(l), size)], nil
}

func (s *sock) getInt(level, opt int, what string) (int, error) {
	v, err := s.s.GetsockoptInt(level, opt)
	return v, s.wrap("getsockopt "+what, err)
}

// setRecvBuffer sets SO_RCVBUFFORCE (past net.core.rmem_max, needs
// CAP_NET_ADMIN), falling back to SO_RCVBUF.
func (s *sock) setRecvBuffer(n int) error {
	if s.s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n) == nil {
		return nil
	}
	return s.setInt(unix.SOL_SOCKET, unix.SO_RCVBUF, n, "SO_RCVBUF")
}

func (s *sock) close() error { return s.wrap("close", s.s.Close()) }
