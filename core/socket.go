//go:build linux

package core

import (
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mdlayher/socket"
	"golang.org/x/sys/unix"
)

// A Socket is one kernel socket of any family, driven by Go's runtime
// network poller. It is the Go counterpart of Python's socket.socket: the
// same methods, the same three timeout modes (blocking, non-blocking,
// timeout), plus contexts, deadlines and batch I/O.
//
// A Socket is safe for concurrent use by multiple goroutines. The socket
// timeout and deadlines are per socket (one for reads, one for writes), as
// with net.Conn.
type Socket struct {
	c  *socket.Conn
	rc syscall.RawConn

	fd                 atomic.Int64 // -1 once closed or detached
	family, typ, proto int

	closed atomic.Bool

	// timeout in nanoseconds: noTimeout (<0) blocking, 0 non-blocking,
	// >0 per-operation timeout.
	timeout atomic.Int64

	// User deadlines (SetReadDeadline/SetWriteDeadline), Unix nanoseconds,
	// 0 = none; and the deadline currently armed on the poller, so the
	// common case (no deadline) costs no runtime call per operation.
	userRdl, userWdl   atomic.Int64
	armedRdl, armedWdl atomic.Int64

	// Cached operation state for the zero-allocation hot path: one for
	// reads, one for writes; concurrent callers beyond that allocate.
	rop, wop atomic.Pointer[op]

	// noGSO: SendMmsg sends one entry per message; gsoSegMax: the
	// largest datagram it coalesces (0: any) (socket_gso.go).
	noGSO     atomic.Bool
	gsoSegMax atomic.Int32
}

// sockName is the name mdlayher/socket gives our file descriptors.
const sockName = "fieldgate"

// NewSocket creates a socket of the given address family, type and
// protocol, like Python's socket.socket(family, type, proto). SOCK_NONBLOCK
// in typ puts the socket in non-blocking mode (timeout 0), otherwise it
// starts with DefaultTimeout; both SOCK_NONBLOCK and SOCK_CLOEXEC are
// cleared from Type(). The socket is always close-on-exec (non-inheritable),
// as in Python.
func NewSocket(family, typ, proto int) (*Socket, error) {
	flags := typ & (unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC)
	typ &^= unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC
	if auditing() {
		audit("socket.__new__", family, typ, proto)
	}
	c, err := socket.Socket(family, typ, proto, sockName, nil)
	if err != nil {
		return nil, opError("socket", socketNetName(family), err)
	}
	s, err := newSocket(c, family, typ, proto)
	if err != nil {
		return nil, err
	}
	if flags&unix.SOCK_NONBLOCK != 0 {
		s.timeout.Store(0)
	}
	return s, nil
}

// FromFD adopts fd, an open socket descriptor, as a Socket: the Socket owns
// fd from now on and closes it on Close. Family, type and protocol are read
// from the kernel (SO_DOMAIN, SO_TYPE, SO_PROTOCOL), as Python does for
// socket.socket(fileno=fd). The socket starts with DefaultTimeout.
func FromFD(fd int) (*Socket, error) {
	if fd < 0 {
		return nil, opError("fromfd", "", os.NewSyscallError("fromfd", unix.EBADF))
	}
	var fam, typ, proto int
	var err error
	if fam, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN); err != nil {
		return nil, opError("fromfd", "", os.NewSyscallError("getsockopt SO_DOMAIN", err))
	}
	if typ, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE); err != nil {
		return nil, opError("fromfd", "", os.NewSyscallError("getsockopt SO_TYPE", err))
	}
	if proto, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PROTOCOL); err != nil {
		return nil, opError("fromfd", "", os.NewSyscallError("getsockopt SO_PROTOCOL", err))
	}
	unix.CloseOnExec(fd)
	return adoptFD(fd, fam, typ, proto)
}

// DupFD duplicates fd and wraps the duplicate in a Socket with the given
// family, type and protocol (Python's socket.fromfd). The caller keeps
// ownership of fd.
func DupFD(fd, family, typ, proto int) (*Socket, error) {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, opError("fromfd", socketNetName(family), os.NewSyscallError("dup", err))
	}
	s, err := adoptFD(nfd, family, typ&^(unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC), proto)
	if err != nil {
		unix.Close(nfd)
		return nil, err
	}
	return s, nil
}

// Socketpair returns a pair of connected sockets (Python's
// socket.socketpair). family is normally unix.AF_UNIX; typ SOCK_STREAM,
// SOCK_DGRAM or SOCK_SEQPACKET.
func Socketpair(family, typ, proto int) (*Socket, *Socket, error) {
	flags := typ & (unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC)
	typ &^= unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC
	fds, err := unix.Socketpair(family, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return nil, nil, opError("socketpair", socketNetName(family), os.NewSyscallError("socketpair", err))
	}
	a, err := adoptFD(fds[0], family, typ, proto)
	if err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return nil, nil, err
	}
	b, err := adoptFD(fds[1], family, typ, proto)
	if err != nil {
		a.Close()
		unix.Close(fds[1])
		return nil, nil, err
	}
	if flags&unix.SOCK_NONBLOCK != 0 {
		a.timeout.Store(0)
		b.timeout.Store(0)
	}
	return a, b, nil
}

// adoptFD wraps fd (owned from now on) in a Socket.
func adoptFD(fd, family, typ, proto int) (*Socket, error) {
	c, err := socket.New(fd, sockName)
	if err != nil {
		return nil, opError("socket", socketNetName(family), err)
	}
	return newSocket(c, family, typ, proto)
}

func newSocket(c *socket.Conn, family, typ, proto int) (*Socket, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		c.Close()
		return nil, opError("socket", socketNetName(family), err)
	}
	s := &Socket{c: c, rc: rc, family: family, typ: typ, proto: proto}
	var fd int
	if err := rc.Control(func(u uintptr) { fd = int(u) }); err != nil {
		c.Close()
		return nil, opError("socket", socketNetName(family), err)
	}
	s.fd.Store(int64(fd))
	s.timeout.Store(int64(DefaultTimeout()))
	return s, nil
}

// Family returns the socket's address family, such as unix.AF_INET.
func (s *Socket) Family() int { return s.family }

// Type returns the socket type, such as unix.SOCK_STREAM, without the
// SOCK_NONBLOCK and SOCK_CLOEXEC flags.
func (s *Socket) Type() int { return s.typ }

// Proto returns the protocol number the socket was created with (0 when the
// family's default was requested), or the one detected by FromFD.
func (s *Socket) Proto() int { return s.proto }

// Fileno returns the socket's file descriptor, or -1 once the socket is
// closed or detached. The descriptor stays owned by the Socket and is in
// non-blocking mode (the Socket implements its modes on the poller).
func (s *Socket) Fileno() int { return int(s.fd.Load()) }

// Close closes the socket. In-flight operations return errors satisfying
// errors.Is(err, net.ErrClosed), as do all later operations. Closing a
// closed socket is not an error, as in Python.
func (s *Socket) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.fd.Store(-1)
	if err := s.c.Close(); err != nil {
		return opError("close", socketNetName(s.family), err)
	}
	return nil
}

// Detach puts the Socket in the closed state without closing the underlying
// socket and returns a descriptor for it, owned by the caller. Because the
// runtime poller cannot release a descriptor, the returned descriptor is a
// duplicate (close-on-exec) of Fileno() and its number may differ; it refers
// to the same kernel socket. It is left in blocking mode when the Socket
// was in blocking mode, non-blocking otherwise.
func (s *Socket) Detach() (int, error) {
	if s.closed.Load() {
		return -1, opError("detach", socketNetName(s.family), errClosedSocket)
	}
	var nfd int
	var derr error
	if err := s.rc.Control(func(fd uintptr) {
		nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return -1, opError("detach", socketNetName(s.family), err)
	}
	if derr != nil {
		return -1, opError("detach", socketNetName(s.family), os.NewSyscallError("dup", derr))
	}
	if err := unix.SetNonblock(nfd, s.timeout.Load() >= 0); err != nil {
		unix.Close(nfd)
		return -1, opError("detach", socketNetName(s.family), os.NewSyscallError("fcntl", err))
	}
	s.Close()
	return nfd, nil
}

// Dup returns a new Socket for the same kernel socket (Python's dup): a
// close-on-exec duplicate descriptor with the same family, type, protocol
// and timeout.
func (s *Socket) Dup() (*Socket, error) {
	var nfd int
	var derr error
	if s.closed.Load() {
		return nil, opError("dup", socketNetName(s.family), errClosedSocket)
	}
	if err := s.rc.Control(func(fd uintptr) {
		nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return nil, s.wrapPollErr("dup", nil, err, false)
	}
	if derr != nil {
		return nil, opError("dup", socketNetName(s.family), os.NewSyscallError("dup", derr))
	}
	d, err := adoptFD(nfd, s.family, s.typ, s.proto)
	if err != nil {
		unix.Close(nfd)
		return nil, err
	}
	d.timeout.Store(s.timeout.Load())
	return d, nil
}

// Inheritable reports whether the descriptor is inherited by child
// processes (that is, FD_CLOEXEC is clear).
func (s *Socket) Inheritable() (bool, error) {
	var flags int
	var ferr error
	if err := s.control("get_inheritable", func(fd int) error {
		flags, ferr = unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		return ferr
	}); err != nil {
		return false, err
	}
	return flags&unix.FD_CLOEXEC == 0, nil
}

// SetInheritable sets whether the descriptor is inherited by child
// processes.
func (s *Socket) SetInheritable(inheritable bool) error {
	return s.control("set_inheritable", func(fd int) error {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil {
			return err
		}
		if inheritable {
			flags &^= unix.FD_CLOEXEC
		} else {
			flags |= unix.FD_CLOEXEC
		}
		_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFD, flags)
		return err
	})
}

// Shutdown shuts down one or both halves of the connection: how is
// unix.SHUT_RD, unix.SHUT_WR or unix.SHUT_RDWR.
func (s *Socket) Shutdown(how int) error {
	return s.control("shutdown", func(fd int) error { return unix.Shutdown(fd, how) })
}

// SyscallConn returns a raw connection for operations this package does not
// wrap. Its Read and Write wait on the runtime poller.
func (s *Socket) SyscallConn() (syscall.RawConn, error) {
	if s.closed.Load() {
		return nil, opError("syscallconn", socketNetName(s.family), errClosedSocket)
	}
	return s.rc, nil
}

// control runs f on the descriptor (no waiting), wrapping an error from f
// as a syscall error of op.
func (s *Socket) control(op string, f func(fd int) error) error {
	if s.closed.Load() {
		return opError(op, socketNetName(s.family), errClosedSocket)
	}
	var ferr error
	if err := s.rc.Control(func(fd uintptr) {
		for {
			ferr = f(int(fd))
			if ferr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return s.wrapPollErr(op, nil, err, false)
	}
	if ferr != nil {
		return opError(op, socketNetName(s.family), os.NewSyscallError(op, ferr))
	}
	return nil
}

var _ syscall.Conn = (*Socket)(nil)

// nowNano is time.Now in Unix nanoseconds.
func nowNano() int64 { return time.Now().UnixNano() }
