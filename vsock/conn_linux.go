//go:build linux

package vsock

import (
	"errors"
	"net"
	"syscall"
	"time"

	"github.com/fieldgate/fieldgate/core"
)

// Conn is a connected VM socket, stream or seqpacket. With SeqPacket each
// Write sends one message and each Read returns one (a message longer
// than the buffer is truncated, the rest discarded). Its methods are safe
// for concurrent use.
type Conn struct {
	s             *core.Socket
	c             net.Conn
	local, remote *Addr
}

var (
	_ net.Conn     = (*Conn)(nil)
	_ syscall.Conn = (*Conn)(nil)
)

func newConn(s *core.Socket, remote *Addr) *Conn {
	c := &Conn{s: s, c: s.Conn(), local: addrOf(s.SockName()), remote: remote}
	if c.remote == nil {
		c.remote = addrOf(s.PeerName())
	}
	return c
}

// opError fills in the addresses of a core *net.OpError.
func (c *Conn) opError(err error) error {
	if err == nil {
		return nil
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		e := *oe
		e.Net = "vsock"
		if c.local != nil {
			e.Source = c.local
		}
		if c.remote != nil {
			e.Addr = c.remote
		}
		return &e
	}
	return err
}

// Read reads from the connection (net.Conn); at the peer's close it
// returns io.EOF.
func (c *Conn) Read(b []byte) (int, error) {
	n, err := c.c.Read(b)
	return n, c.opError(err)
}

// Write writes b (net.Conn); with SeqPacket b is one message.
func (c *Conn) Write(b []byte) (int, error) {
	n, err := c.c.Write(b)
	return n, c.opError(err)
}

// Close closes the connection.
func (c *Conn) Close() error { return c.opError(c.c.Close()) }

// CloseRead shuts down the reading side (SHUT_RD).
func (c *Conn) CloseRead() error { return c.opError(c.s.Shutdown(0)) }

// CloseWrite shuts down the writing side (SHUT_WR): the peer reads io.EOF.
func (c *Conn) CloseWrite() error { return c.opError(c.s.Shutdown(1)) }

// LocalAddr returns the local address, an *Addr. A connecting socket's own
// CID reads as CIDAny on vsock_loopback.
func (c *Conn) LocalAddr() net.Addr { return c.local }

// RemoteAddr returns the peer's address, an *Addr.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// SetDeadline sets the read and write deadlines (net.Conn); an expired
// deadline gives errors matching os.ErrDeadlineExceeded.
func (c *Conn) SetDeadline(t time.Time) error { return c.opError(c.c.SetDeadline(t)) }

// SetReadDeadline sets the read deadline (net.Conn).
func (c *Conn) SetReadDeadline(t time.Time) error { return c.opError(c.c.SetReadDeadline(t)) }

// SetWriteDeadline sets the write deadline (net.Conn).
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.opError(c.c.SetWriteDeadline(t)) }

// SyscallConn returns the raw connection (syscall.Conn).
func (c *Conn) SyscallConn() (syscall.RawConn, error) { return c.s.SyscallConn() }

// BufferSize returns the buffer size the kernel uses for this connection
// (SO_VM_SOCKETS_BUFFER_SIZE), after any transport cap.
func (c *Conn) BufferSize() (uint64, error) {
	v, err := bufferSize(c.s)
	if err != nil {
		return 0, &net.OpError{Op: "getsockopt", Net: "vsock", Source: c.local, Addr: c.remote, Err: err}
	}
	return v, nil
}

// Socket returns the underlying socket for options this type does not wrap.
func (c *Conn) Socket() *core.Socket { return c.s }
