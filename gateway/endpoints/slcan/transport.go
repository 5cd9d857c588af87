package slcan

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// A Conn is one byte stream to the adapter or to the program that drives
// fieldgate: an open serial device, a pty's master, a TCP or RFCOMM
// connection. *os.File (of a pollable descriptor) and net.Conn are Conns.
type Conn interface {
	io.ReadWriteCloser
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
}

// A Transport is how an slcan endpoint reaches its peer, one Conn at a
// time. It is the hook for further transports: a kind that carries SLCAN
// over a socket family of its own (Bluetooth RFCOMM) implements Connect
// and Close and runs the protocol with Open.
//
// The endpoint calls Connect, speaks SLCAN on the Conn until it fails or
// the protocol gives up on it (an oversize line), closes it, waits the
// reconnect backoff and calls Connect again; Close ends it all.
type Transport interface {
	// Connect returns the next Conn: it opens the device, accepts a
	// client or dials, and blocks until one is there, ctx is done or the
	// transport is closed. Its errors are retried with backoff.
	Connect(ctx context.Context) (Conn, error)
	// Close releases what the transport holds (a listener, a pty and its
	// link) and makes Connect return.
	Close() error
}

// A Describer is a Transport that names what it connects to in logs and
// in errors (a device path, a pty's slave, an address).
type Describer interface {
	Describe() string
}

// Dialer is a client Transport: each Connect dials.
type Dialer func(ctx context.Context) (net.Conn, error)

// Connect dials.
func (d Dialer) Connect(ctx context.Context) (Conn, error) { return d(ctx) }

// Close does nothing: a dialer holds nothing between connections.
func (d Dialer) Close() error { return nil }

// A Server is a Transport that accepts connections on a listener, one
// peer at a time: a connection that arrives while a peer is served is
// refused (closed at once) and reported to refused.
type Server struct {
	ln      net.Listener
	conns   chan net.Conn
	busy    atomic.Bool
	refused func(peer net.Addr)
	once    sync.Once
	done    chan struct{}
}

// NewServer returns a Server on ln; it starts accepting at once. refused,
// if not nil, is called with the address of each refused connection.
func NewServer(ln net.Listener, refused func(peer net.Addr)) *Server {
	s := &Server{ln: ln, conns: make(chan net.Conn), done: make(chan struct{}), refused: refused}
	go s.accept()
	return s
}

// Addr returns the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Describe returns the listening address.
func (s *Server) Describe() string { return "tcp server " + s.ln.Addr().String() }

func (s *Server) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-s.done:
				return
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		if s.busy.Load() {
			c.Close()
			if s.refused != nil {
				s.refused(c.RemoteAddr())
			}
			continue
		}
		select {
		case s.conns <- c:
		case <-s.done:
			c.Close()
			return
		}
	}
}

// Connect returns the next accepted connection; while it is open, further
// connections are refused.
func (s *Server) Connect(ctx context.Context) (Conn, error) {
	select {
	case c := <-s.conns:
		s.busy.Store(true)
		return &served{Conn: c, s: s}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting.
func (s *Server) Close() error {
	s.once.Do(func() { close(s.done) })
	return s.ln.Close()
}

// served is a connection of a Server: closing it frees the server for the
// next peer.
type served struct {
	net.Conn
	s    *Server
	once sync.Once
}

func (c *served) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.s.busy.Store(false) })
	return err
}
