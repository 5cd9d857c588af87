//go:build !linux

package core

import (
	"context"
	"errors"
	"net"
	"os"
	"runtime"
	"syscall"
	"time"
)

// errUnsupported is returned by every socket operation: the engine is
// built on Linux system calls (recvmmsg, SO_DOMAIN, accept4 ...).
var errUnsupported = errors.New("core: sockets are not supported on " + runtime.GOOS + " (fieldgate's socket engine is Linux-only)")

// Socket is Linux-only; on this GOOS every constructor fails.
type Socket struct{}

var (
	_ = context.Background
	_ net.Conn
	_ *os.File
	_ time.Duration
)

// NewSocket is not supported on this GOOS.
func NewSocket(family, typ, proto int) (*Socket, error) {
	return nil, errUnsupported
}

// FromFD is not supported on this GOOS.
func FromFD(fd int) (*Socket, error) {
	return nil, errUnsupported
}

// DupFD is not supported on this GOOS.
func DupFD(fd, family, typ, proto int) (*Socket, error) {
	return nil, errUnsupported
}

// Socketpair is not supported on this GOOS.
func Socketpair(family, typ, proto int) (*Socket, *Socket, error) {
	return nil, nil, errUnsupported
}

// Close is not supported on this GOOS.
func (s *Socket) Close() error {
	return errUnsupported
}

// Detach is not supported on this GOOS.
func (s *Socket) Detach() (int, error) {
	return 0, errUnsupported
}

// Dup is not supported on this GOOS.
func (s *Socket) Dup() (*Socket, error) {
	return nil, errUnsupported
}

// Inheritable is not supported on this GOOS.
func (s *Socket) Inheritable() (bool, error) {
	return false, errUnsupported
}

// SetInheritable is not supported on this GOOS.
func (s *Socket) SetInheritable(inheritable bool) error {
	return errUnsupported
}

// Shutdown is not supported on this GOOS.
func (s *Socket) Shutdown(how int) error {
	return errUnsupported
}

// SyscallConn is not supported on this GOOS.
func (s *Socket) SyscallConn() (syscall.RawConn, error) {
	return nil, errUnsupported
}

// SetTimeout is not supported on this GOOS.
func (s *Socket) SetTimeout(d time.Duration) error {
	return errUnsupported
}

// Timeout is not supported on this GOOS.
func (s *Socket) Timeout() time.Duration {
	return 0
}

// SetBlocking is not supported on this GOOS.
func (s *Socket) SetBlocking(blocking bool) error {
	return errUnsupported
}

// SetDeadline is not supported on this GOOS.
func (s *Socket) SetDeadline(t time.Time) error {
	return errUnsupported
}

// SetReadDeadline is not supported on this GOOS.
func (s *Socket) SetReadDeadline(t time.Time) error {
	return errUnsupported
}

// SetWriteDeadline is not supported on this GOOS.
func (s *Socket) SetWriteDeadline(t time.Time) error {
	return errUnsupported
}

// Bind is not supported on this GOOS.
func (s *Socket) Bind(addr Addr) error {
	return errUnsupported
}

// Listen is not supported on this GOOS.
func (s *Socket) Listen(backlog int) error {
	return errUnsupported
}

// ConnectContext is not supported on this GOOS.
func (s *Socket) ConnectContext(ctx context.Context, addr Addr) error {
	return errUnsupported
}

// ConnectExContext is not supported on this GOOS.
func (s *Socket) ConnectExContext(ctx context.Context, addr Addr) (syscall.Errno, error) {
	return 0, errUnsupported
}

// AcceptContext is not supported on this GOOS.
func (s *Socket) AcceptContext(ctx context.Context) (*Socket, Addr, error) {
	return nil, nil, errUnsupported
}

// AcceptNoAddrContext is not supported on this GOOS.
func (s *Socket) AcceptNoAddrContext(ctx context.Context) (*Socket, error) {
	return nil, errUnsupported
}

// SendContext is not supported on this GOOS.
func (s *Socket) SendContext(ctx context.Context, b []byte, flags int) (int, error) {
	return 0, errUnsupported
}

// SendAllContext is not supported on this GOOS.
func (s *Socket) SendAllContext(ctx context.Context, b []byte, flags int) error {
	return errUnsupported
}

// SendTo is not supported on this GOOS.
func (s *Socket) SendTo(b []byte, flags int, addr Addr) (int, error) {
	return 0, errUnsupported
}

// SendToContext is not supported on this GOOS.
func (s *Socket) SendToContext(ctx context.Context, b []byte, flags int, addr Addr) (int, error) {
	return 0, errUnsupported
}

// RecvContext is not supported on this GOOS.
func (s *Socket) RecvContext(ctx context.Context, bufsize, flags int) ([]byte, error) {
	return nil, errUnsupported
}

// RecvInto is not supported on this GOOS.
func (s *Socket) RecvInto(b []byte, flags int) (int, error) {
	return 0, errUnsupported
}

// RecvIntoContext is not supported on this GOOS.
func (s *Socket) RecvIntoContext(ctx context.Context, b []byte, flags int) (int, error) {
	return 0, errUnsupported
}

// RecvFrom is not supported on this GOOS.
func (s *Socket) RecvFrom(bufsize, flags int) ([]byte, Addr, error) {
	return nil, nil, errUnsupported
}

// RecvFromContext is not supported on this GOOS.
func (s *Socket) RecvFromContext(ctx context.Context, bufsize, flags int) ([]byte, Addr, error) {
	return nil, nil, errUnsupported
}

// RecvFromInto is not supported on this GOOS.
func (s *Socket) RecvFromInto(b []byte, flags int, from Addr) (int, Addr, error) {
	return 0, nil, errUnsupported
}

// RecvFromIntoContext is not supported on this GOOS.
func (s *Socket) RecvFromIntoContext(ctx context.Context, b []byte, flags int, from Addr) (int, Addr, error) {
	return 0, nil, errUnsupported
}

// SendMsg is not supported on this GOOS.
func (s *Socket) SendMsg(buffers [][]byte, cmsgs []Cmsg, flags int, addr Addr) (int, error) {
	return 0, errUnsupported
}

// SendMsgContext is not supported on this GOOS.
func (s *Socket) SendMsgContext(ctx context.Context, buffers [][]byte, cmsgs []Cmsg, flags int, addr Addr) (int, error) {
	return 0, errUnsupported
}

// RecvMsg is not supported on this GOOS.
func (s *Socket) RecvMsg(bufsize, ancbufsize, flags int) ([]byte, []Cmsg, int, Addr, error) {
	return nil, nil, 0, nil, errUnsupported
}

// RecvMsgContext is not supported on this GOOS.
func (s *Socket) RecvMsgContext(ctx context.Context, bufsize, ancbufsize, flags int) ([]byte, []Cmsg, int, Addr, error) {
	return nil, nil, 0, nil, errUnsupported
}

// RecvMsgInto is not supported on this GOOS.
func (s *Socket) RecvMsgInto(buffers [][]byte, ancbufsize, flags int) (int, []Cmsg, int, Addr, error) {
	return 0, nil, 0, nil, errUnsupported
}

// RecvMsgIntoContext is not supported on this GOOS.
func (s *Socket) RecvMsgIntoContext(ctx context.Context, buffers [][]byte, ancbufsize, flags int) (int, []Cmsg, int, Addr, error) {
	return 0, nil, 0, nil, errUnsupported
}

// SendFDs is not supported on this GOOS.
func SendFDs(s *Socket, buffers [][]byte, fds []int, flags int, addr Addr) (int, error) {
	return 0, errUnsupported
}

// SendFDsContext is not supported on this GOOS.
func SendFDsContext(ctx context.Context, s *Socket, buffers [][]byte, fds []int, flags int, addr Addr) (int, error) {
	return 0, errUnsupported
}

// RecvFDs is not supported on this GOOS.
func RecvFDs(s *Socket, bufsize, maxfds, flags int) ([]byte, []int, int, Addr, error) {
	return nil, nil, 0, nil, errUnsupported
}

// RecvFDsContext is not supported on this GOOS.
func RecvFDsContext(ctx context.Context, s *Socket, bufsize, maxfds, flags int) ([]byte, []int, int, Addr, error) {
	return nil, nil, 0, nil, errUnsupported
}

// GetsockoptInt is not supported on this GOOS.
func (s *Socket) GetsockoptInt(level, name int) (int, error) {
	return 0, errUnsupported
}

// GetsockoptBytes is not supported on this GOOS.
func (s *Socket) GetsockoptBytes(level, name, buflen int) ([]byte, error) {
	return nil, errUnsupported
}

// SetsockoptInt is not supported on this GOOS.
func (s *Socket) SetsockoptInt(level, name, value int) error {
	return errUnsupported
}

// SetsockoptBytes is not supported on this GOOS.
func (s *Socket) SetsockoptBytes(level, name int, v []byte) error {
	return errUnsupported
}

// SetsockoptNull is not supported on this GOOS.
func (s *Socket) SetsockoptNull(level, name, optlen int) error {
	return errUnsupported
}

// RecvMmsg is not supported on this GOOS.
func (s *Socket) RecvMmsg(msgs []Message, flags int) (int, error) {
	return 0, errUnsupported
}

// RecvMmsgContext is not supported on this GOOS.
func (s *Socket) RecvMmsgContext(ctx context.Context, msgs []Message, flags int) (int, error) {
	return 0, errUnsupported
}

// SendMmsg is not supported on this GOOS.
func (s *Socket) SendMmsg(msgs []Message, flags int) (int, error) {
	return 0, errUnsupported
}

// SendMmsgContext is not supported on this GOOS.
func (s *Socket) SendMmsgContext(ctx context.Context, msgs []Message, flags int) (int, error) {
	return 0, errUnsupported
}

// SetUDPSegmentation has no effect on this GOOS (SendMmsg is not
// supported).
func (s *Socket) SetUDPSegmentation(on bool) {}

// UDPSegmentation reports false on this GOOS.
func (s *Socket) UDPSegmentation() bool { return false }

// SendFile is not supported on this GOOS.
func (s *Socket) SendFile(f *os.File, offset, count int64) (int64, error) {
	return 0, errUnsupported
}

// SendFileContext is not supported on this GOOS.
func (s *Socket) SendFileContext(ctx context.Context, f *os.File, offset, count int64) (int64, error) {
	return 0, errUnsupported
}

// CreateConnection is not supported on this GOOS.
func CreateConnection(ctx context.Context, address string, opts *ConnOptions) (*Socket, error) {
	return nil, errUnsupported
}

// CreateServer is not supported on this GOOS.
func CreateServer(address string, opts *ServerOptions) (*Socket, error) {
	return nil, errUnsupported
}

// HasDualStackIPv6 is not supported on this GOOS.
func HasDualStackIPv6() bool {
	return false
}
