//go:build linux

package can

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"unsafe"

	"github.com/mdlayher/socket"
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

// sock is a CAN socket on Go's runtime poller (mdlayher/socket).
type sock struct {
	c     *socket.Conn
	rc    syscall.RawConn
	iface string
}

// openSock creates a socket of the CAN protocol proto.
func openSock(typ, proto int, name string) (*sock, error) {
	c, err := socket.Socket(unix.AF_CAN, typ, proto, name, nil)
	if err != nil {
		return nil, fmt.Errorf("can: socket %s: %w", name, err)
	}
	rc, err := c.SyscallConn()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("can: socket %s: %w", name, err)
	}
	return &sock{c: c, rc: rc}, nil
}

// ifindex resolves an interface name; "" is 0 (all interfaces).
func ifindex(iface string) (int, error) {
	if iface == "" {
		return 0, nil
	}
	if len(iface) >= unix.IFNAMSIZ {
		return 0, fmt.Errorf("can: interface name %q longer than %d bytes", iface, unix.IFNAMSIZ-1)
	}
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		var errno unix.Errno
		if !errors.As(err, &errno) {
			err = fmt.Errorf("%w: %w", err, unix.ENODEV)
		}
		return 0, fmt.Errorf("can: interface %q: %w", iface, err)
	}
	return ifi.Index, nil
}

func (s *sock) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		err = se.Err
	}
	if s.iface != "" {
		return fmt.Errorf("can: %s %s: %w", op, s.iface, err)
	}
	return fmt.Errorf("can: %s: %w", op, err)
}

func (s *sock) setInt(level, opt, v int, what string) error {
	return s.wrap("setsockopt "+what, s.c.SetsockoptInt(level, opt, v))
}

func (s *sock) setBytes(level, opt int, b []byte, what string) error {
	if len(b) == 0 {
		// A zero-length option (e.g. no CAN_RAW_FILTER = receive nothing).
		var err error
		cerr := s.rc.Control(func(fd uintptr) {
			_, _, e := unix.Syscall6(unix.SYS_SETSOCKOPT, fd, uintptr(level), uintptr(opt), 0, 0, 0)
			if e != 0 {
				err = e
			}
		})
		if cerr != nil {
			err = cerr
		}
		return s.wrap("setsockopt "+what, err)
	}
	return s.wrap("setsockopt "+what, s.c.SetsockoptBytes(level, opt, b))
}

func (s *sock) getBytes(level, opt, size int, what string) ([]byte, error) {
	b := make([]byte, size)
	n, err := s.c.GetsockoptBytes(level, opt, b)
	if err != nil {
		return nil, s.wrap("getsockopt "+what, err)
	}
	return b[:n], nil
}

func (s *sock) close() error { return s.wrap("close", s.c.Close()) }

// mmsghdr is struct mmsghdr.
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
	_   [4]byte
}

func mmsg(fd uintptr, trap uintptr, hs []mmsghdr, flags int) (int, unix.Errno) {
	n, _, e := unix.Syscall6(trap, fd, uintptr(unsafe.Pointer(&hs[0])), uintptr(len(hs)), uintptr(flags), 0, 0)
	return int(n), e
}

// ioOp is one reusable syscall operation: do performs the syscall, records
// its errno and returns false when it would block. The closures handed to
// the poller are built once, so running an ioOp does not allocate.
type ioOp struct {
	do    func(fd uintptr) bool
	ctl   func(fd uintptr)
	fn    func(fd int) error
	again bool
	errno unix.Errno
}

func newIOOp(do func(fd uintptr) bool) *ioOp {
	o := &ioOp{do: do}
	o.ctl = func(fd uintptr) { o.again = !o.do(fd) }
	o.fn = func(fd int) error {
		if !o.do(uintptr(fd)) {
			return unix.EAGAIN
		}
		if o.errno != 0 {
			return o.errno
		}
		return nil
	}
	return o
}

// run runs o until it completes. With a context that can be canceled it
// first tries once without waiting, so that the steady state (data ready)
// does not allocate; only an idle wait goes through mdlayher/socket's
// context machinery.
func (s *sock) run(ctx context.Context, write bool, op string, o *ioOp) error {
	o.errno = 0
	if ctx == nil || ctx.Done() == nil {
		var err error
		if write {
			err = s.rc.Write(o.do)
		} else {
			err = s.rc.Read(o.do)
		}
		if err != nil {
			return s.wrap(op, err)
		}
		if o.errno != 0 {
			return s.wrap(op, o.errno)
		}
		return nil
	}
	if err := ctx.Err(); err != nil {
		return s.wrap(op, err)
	}
	if err := s.rc.Control(o.ctl); err != nil {
		return s.wrap(op, err)
	}
	if !o.again {
		if o.errno != 0 {
			return s.wrap(op, o.errno)
		}
		return nil
	}
	var err error
	if write {
		err = s.c.WriteFunc(ctx, op, o.fn)
	} else {
		err = s.c.ReadFunc(ctx, op, o.fn)
	}
	return s.wrap(op, err)
}
