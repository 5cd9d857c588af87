//go:build linux

package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Bind binds the socket to addr (Python's bind). The address is encoded by
// MarshalSockaddr, so every family's Addr works, including those
// golang.org/x/sys cannot encode.
func (s *Socket) Bind(addr Addr) error {
	if auditing() {
		audit("socket.bind", s, addr)
	}
	raw, err := s.marshal("bind", addr)
	if err != nil {
		return err
	}
	return s.control("bind", func(fd int) error {
		_, _, e := unix.Syscall(unix.SYS_BIND, uintptr(fd), uintptr(unsafe.Pointer(&raw[0])), uintptr(len(raw)))
		return errnoErr(e)
	})
}

// Listen makes a stream or seqpacket socket accept connections; backlog
// below 0 is taken as 0, as in Python.
func (s *Socket) Listen(backlog int) error {
	if backlog < 0 {
		backlog = 0
	}
	return s.control("listen", func(fd int) error { return unix.Listen(fd, backlog) })
}

// Connect connects the socket to addr (Python's connect), waiting for a
// stream connection to complete according to the socket's mode: in
// non-blocking mode it returns an error matching unix.EINPROGRESS.
func (s *Socket) Connect(addr Addr) error { return s.ConnectContext(nil, addr) }

// ConnectContext is Connect with a context that can cancel the wait.
func (s *Socket) ConnectContext(ctx context.Context, addr Addr) error {
	errno, err := s.connect(ctx, addr)
	if err != nil {
		return err
	}
	if errno != 0 {
		return s.errnoError("connect", errno)
	}
	return nil
}

// ConnectEx is Python's connect_ex: it returns the connect(2) errno (0 on
// success) instead of an error. A timeout gives unix.EAGAIN (EWOULDBLOCK),
// non-blocking mode unix.EINPROGRESS, as in CPython. Failures that are not
// connect errnos (bad address, closed socket, cancelled context) are
// returned as the error.
func (s *Socket) ConnectEx(addr Addr) (unix.Errno, error) { return s.ConnectExContext(nil, addr) }

// ConnectExContext is ConnectEx with a context.
func (s *Socket) ConnectExContext(ctx context.Context, addr Addr) (unix.Errno, error) {
	return s.connect(ctx, addr)
}

func (s *Socket) connect(ctx context.Context, addr Addr) (unix.Errno, error) {
	if auditing() {
		audit("socket.connect", s, addr)
	}
	o := s.getOp(true)
	defer s.putOp(true, o)
	raw, err := AppendSockaddr(o.sa[:0], addr)
	if err != nil {
		return 0, opError("connect", socketNetName(s.family), err)
	}
	if len(raw) > len(o.sa) || len(raw) == 0 {
		return 0, opError("connect", socketNetName(s.family), fmt.Errorf("address %v: sockaddr of %d bytes: %w", addr, len(raw), unix.EINVAL))
	}
	o.salen = uint32(len(raw))
	o.kind = opConnect
	o.started = false
	if err := s.do(ctx, o, true, "connect"); err != nil {
		if ctx == nil && errors.Is(err, os.ErrDeadlineExceeded) && !s.closed.Load() {
			return unix.EAGAIN, nil
		}
		return 0, err
	}
	if o.err != nil {
		if e, ok := o.err.(unix.Errno); ok {
			return e, nil
		}
		return 0, s.errnoError("connect", o.err)
	}
	return 0, nil
}

// Accept waits for a connection and returns a new Socket for it and the
// peer's address (Python's accept). The new socket has the listener's
// family, type and protocol, is close-on-exec, and starts in the mode
// CPython documents for Linux: DefaultTimeout if one is set, otherwise
// blocking mode. On AF_ALG, whose operation sockets have no address,
// Accept returns the operation socket and a nil Addr, as Python returns
// (conn, None).
func (s *Socket) Accept() (*Socket, Addr, error) { return s.AcceptContext(nil) }

// AcceptContext is Accept with a context.
func (s *Socket) AcceptContext(ctx context.Context) (*Socket, Addr, error) {
	return s.accept(ctx, true)
}

// AcceptNoAddr accepts a connection without asking the kernel for the
// peer address (accept(2) with a NULL sockaddr).
func (s *Socket) AcceptNoAddr() (*Socket, error) { return s.AcceptNoAddrContext(nil) }

// AcceptNoAddrContext is AcceptNoAddr with a context.
func (s *Socket) AcceptNoAddrContext(ctx context.Context) (*Socket, error) {
	ns, _, err := s.accept(ctx, false)
	return ns, err
}

func (s *Socket) accept(ctx context.Context, wantAddr bool) (*Socket, Addr, error) {
	if s.family == AF_ALG {
		// AF_ALG sockets have no getname: accept(2) with a sockaddr
		// buffer makes the kernel drop the operation socket it has just
		// created and fail with ECONNABORTED (net/socket.c, do_accept).
		// CPython's sock_accept passes NULL for AF_ALG; so does this.
		wantAddr = false
	}
	o := s.getOp(false)
	o.kind = opAccept
	o.wantAddr = wantAddr
	err := s.do(ctx, o, false, "accept")
	nfd, serr := o.n, o.err
	var raw []byte
	if wantAddr && err == nil && serr == nil {
		raw = make([]byte, o.salen)
		copy(raw, o.sa[:])
	}
	s.putOp(false, o)
	if err != nil {
		return nil, nil, err
	}
	if serr != nil {
		return nil, nil, s.errnoError("accept", serr)
	}
	ns, err := adoptFD(nfd, s.family, s.typ, s.proto)
	if err != nil {
		unix.Close(nfd)
		return nil, nil, err
	}
	if !wantAddr {
		return ns, nil, nil
	}
	a, err := s.parseAddr("accept", raw, nil)
	if err != nil {
		ns.Close()
		return nil, nil, err
	}
	return ns, a, nil
}

// Send sends b on a connected socket and returns the number of bytes sent
// (Python's send); flags are MSG_* values.
func (s *Socket) Send(b []byte, flags int) (int, error) { return s.SendContext(nil, b, flags) }

// SendContext is Send with a context.
func (s *Socket) SendContext(ctx context.Context, b []byte, flags int) (int, error) {
	dl, nb := s.opDeadline(true)
	return s.sendto(ctx, b, flags, nil, "send", dl, nb)
}

// SendAll sends all of b (Python's sendall). In timeout mode the timeout
// bounds the whole call, not each send(2), as in Python 3.5 and later. On
// error some data may have been sent.
func (s *Socket) SendAll(b []byte, flags int) error { return s.SendAllContext(nil, b, flags) }

// SendAllContext is SendAll with a context.
func (s *Socket) SendAllContext(ctx context.Context, b []byte, flags int) error {
	dl, nb := s.opDeadline(true)
	for {
		n, err := s.sendto(ctx, b, flags, nil, "sendall", dl, nb)
		if err != nil {
			return err
		}
		b = b[n:]
		if len(b) == 0 {
			return nil
		}
	}
}

// SendTo sends b to addr on an unconnected socket (Python's sendto). With
// a reused pointer addr (such as *InetAddr) it does not allocate.
func (s *Socket) SendTo(b []byte, flags int, addr Addr) (int, error) {
	return s.SendToContext(nil, b, flags, addr)
}

// SendToContext is SendTo with a context.
func (s *Socket) SendToContext(ctx context.Context, b []byte, flags int, addr Addr) (int, error) {
	if addr == nil {
		return 0, opError("sendto", socketNetName(s.family), fmt.Errorf("nil address: %w", unix.EDESTADDRREQ))
	}
	if auditing() {
		audit("socket.sendto", s, addr)
	}
	dl, nb := s.opDeadline(true)
	return s.sendto(ctx, b, flags, addr, "sendto", dl, nb)
}

func (s *Socket) sendto(ctx context.Context, b []byte, flags int, addr Addr, name string, dl int64, nb bool) (int, error) {
	o := s.getOp(true)
	o.kind = opSendto
	o.b = b
	o.flags = flags
	o.salen = 0
	if addr != nil {
		raw, err := AppendSockaddr(o.sa[:0], addr)
		if err != nil {
			s.putOp(true, o)
			return 0, opError(name, socketNetName(s.family), err)
		}
		if len(raw) > len(o.sa) {
			s.putOp(true, o)
			return 0, opError(name, socketNetName(s.family), fmt.Errorf("address %v: sockaddr of %d bytes: %w", addr, len(raw), unix.EINVAL))
		}
		o.salen = uint32(len(raw))
	}
	err := s.wait(ctx, o, true, name, dl, nb)
	n, serr := o.n, o.err
	s.putOp(true, o)
	if err != nil {
		return 0, err
	}
	if serr != nil {
		return 0, s.errnoError(name, serr)
	}
	return n, nil
}

// Recv receives up to bufsize bytes (Python's recv). On a stream socket
// whose peer has closed it returns io.EOF.
func (s *Socket) Recv(bufsize, flags int) ([]byte, error) { return s.RecvContext(nil, bufsize, flags) }

// RecvContext is Recv with a context.
func (s *Socket) RecvContext(ctx context.Context, bufsize, flags int) ([]byte, error) {
	if bufsize < 0 {
		return nil, opError("recv", socketNetName(s.family), fmt.Errorf("negative buffer size %d: %w", bufsize, unix.EINVAL))
	}
	b := make([]byte, bufsize)
	n, _, err := s.recvfrom(ctx, b, flags, false, nil, "recv")
	if err != nil {
		return nil, err
	}
	return b[:n], nil
}

// RecvInto receives into b and returns the byte count (Python's
// recv_into). With MSG_TRUNC on a datagram socket the count is the
// datagram's real length. It does not allocate. On a stream socket whose
// peer has closed it returns io.EOF.
func (s *Socket) RecvInto(b []byte, flags int) (int, error) {
	n, _, err := s.recvfrom(nil, b, flags, false, nil, "recv_into")
	return n, err
}

// RecvIntoContext is RecvInto with a context.
func (s *Socket) RecvIntoContext(ctx context.Context, b []byte, flags int) (int, error) {
	n, _, err := s.recvfrom(ctx, b, flags, false, nil, "recv_into")
	return n, err
}

// RecvFrom receives up to bufsize bytes and the sender's address (Python's
// recvfrom). The address is nil when the kernel reports none (such as an
// unbound AF_UNIX sender).
func (s *Socket) RecvFrom(bufsize, flags int) ([]byte, Addr, error) {
	return s.RecvFromContext(nil, bufsize, flags)
}

// RecvFromContext is RecvFrom with a context.
func (s *Socket) RecvFromContext(ctx context.Context, bufsize, flags int) ([]byte, Addr, error) {
	if bufsize < 0 {
		return nil, nil, opError("recvfrom", socketNetName(s.family), fmt.Errorf("negative buffer size %d: %w", bufsize, unix.EINVAL))
	}
	b := make([]byte, bufsize)
	n, a, err := s.recvfrom(ctx, b, flags, true, nil, "recvfrom")
	if err != nil {
		return nil, nil, err
	}
	return b[:n], a, nil
}

// RecvFromInto receives into b and returns the byte count and the sender's
// address (Python's recvfrom_into). If from is a non-nil pointer to an
// address type (such as &InetAddr{}), the address is decoded into it and
// from is returned: with a reused from the call does not allocate. With a
// nil from a new Addr is allocated.
func (s *Socket) RecvFromInto(b []byte, flags int, from Addr) (int, Addr, error) {
	return s.recvfrom(nil, b, flags, true, from, "recvfrom_into")
}

// RecvFromIntoContext is RecvFromInto with a context.
func (s *Socket) RecvFromIntoContext(ctx context.Context, b []byte, flags int, from Addr) (int, Addr, error) {
	return s.recvfrom(ctx, b, flags, true, from, "recvfrom_into")
}

func (s *Socket) recvfrom(ctx context.Context, b []byte, flags int, wantAddr bool, into Addr, name string) (int, Addr, error) {
	return s.recvfromMode(ctx, b, flags, wantAddr, into, name, false)
}

func (s *Socket) recvfromMode(ctx context.Context, b []byte, flags int, wantAddr bool, into Addr, name string, adapter bool) (int, Addr, error) {
	o := s.getOp(false)
	o.adapter = adapter
	o.kind = opRecvfrom
	o.b = b
	o.flags = flags
	o.wantAddr = wantAddr
	err := s.do(ctx, o, false, name)
	n, serr := o.n, o.err
	if err != nil || serr != nil {
		s.putOp(false, o)
		if err != nil {
			return 0, nil, err
		}
		return 0, nil, s.errnoError(name, serr)
	}
	if n == 0 && len(b) > 0 && s.typ == unix.SOCK_STREAM {
		s.putOp(false, o)
		return 0, nil, io.EOF
	}
	var a Addr
	if wantAddr && o.salen > 0 {
		l := min(int(o.salen), len(o.sa))
		a, err = s.parseAddr(name, o.sa[:l], into)
	}
	s.putOp(false, o)
	return n, a, err
}

// marshal encodes addr for op.
func (s *Socket) marshal(op string, addr Addr) ([]byte, error) {
	if addr == nil {
		return nil, opError(op, socketNetName(s.family), fmt.Errorf("nil address: %w", unix.EINVAL))
	}
	raw, err := MarshalSockaddr(addr)
	if err != nil {
		return nil, opError(op, socketNetName(s.family), err)
	}
	if len(raw) == 0 {
		return nil, opError(op, socketNetName(s.family), fmt.Errorf("address %v: empty sockaddr: %w", addr, unix.EINVAL))
	}
	return raw, nil
}

// parseAddr decodes a sockaddr the kernel returned for op, into into when
// it is non-nil.
func (s *Socket) parseAddr(op string, raw []byte, into Addr) (Addr, error) {
	if into != nil {
		if err := UnmarshalSockaddr(raw, into); err != nil {
			return nil, opError(op, socketNetName(s.family), fmt.Errorf("kernel sockaddr: %w", err))
		}
		return into, nil
	}
	a, err := ParseSockaddr(raw, s.typ, s.proto)
	if err != nil {
		return nil, opError(op, socketNetName(s.family), fmt.Errorf("kernel sockaddr: %w", err))
	}
	return a, nil
}

// SockName returns the socket's own address (Python's getsockname).
func (s *Socket) SockName() (Addr, error) { return s.name("getsockname", unix.SYS_GETSOCKNAME) }

// PeerName returns the address of the connected peer (Python's
// getpeername).
func (s *Socket) PeerName() (Addr, error) { return s.name("getpeername", unix.SYS_GETPEERNAME) }

func (s *Socket) name(op string, trap uintptr) (Addr, error) {
	var raw [sockaddrMax]byte
	l := uint32(len(raw))
	if err := s.control(op, func(fd int) error {
		_, _, e := unix.Syscall(trap, uintptr(fd), uintptr(unsafe.Pointer(&raw[0])), uintptr(unsafe.Pointer(&l)))
		return errnoErr(e)
	}); err != nil {
		return nil, err
	}
	return s.parseAddr(op, raw[:min(int(l), len(raw))], nil)
}

// errnoErr turns a zero errno into a nil error.
func errnoErr(e unix.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

// isTimeout reports whether err is a timeout.
func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
