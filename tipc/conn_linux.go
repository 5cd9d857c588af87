//go:build linux

package tipc

import (
	"context"
	"fmt"
	"net"

	"github.com/fieldgate/fieldgate/core"
	"golang.org/x/sys/unix"
)

// open creates a socket of type typ and applies cfg's options.
func open(op string, typ int, cfg *Config) (*core.Socket, error) {
	if cfg != nil && (cfg.Importance < 0 || cfg.Importance > core.TIPC_CRITICAL_IMPORTANCE) {
		return nil, fmt.Errorf("tipc: %s: Config.Importance %d: want 0 (low) to 3 (critical)", op, cfg.Importance)
	}
	s, err := newSocket(typ)
	if err != nil {
		return nil, fmt.Errorf("tipc: %s: %w", op, err)
	}
	if cfg != nil && cfg.Importance != 0 {
		if err := s.SetsockoptInt(core.SOL_TIPC, core.TIPC_IMPORTANCE, cfg.Importance); err != nil {
			s.Close()
			return nil, fmt.Errorf("tipc: %s: TIPC_IMPORTANCE: %w", op, err)
		}
	}
	if cfg != nil && cfg.DestDroppable {
		if err := s.SetsockoptInt(core.SOL_TIPC, core.TIPC_DEST_DROPPABLE, 1); err != nil {
			s.Close()
			return nil, fmt.Errorf("tipc: %s: TIPC_DEST_DROPPABLE: %w", op, err)
		}
	}
	return s, nil
}

// Conn is a connectionless TIPC socket: reliable (SOCK_RDM) or unreliable
// (SOCK_DGRAM) datagrams to services, sockets or whole service ranges.
// Its methods are safe for concurrent use.
type Conn struct {
	s     *core.Socket
	scope Scope
}

// ListenPacket opens a datagram socket and publishes the given service
// ranges on it (none: a client socket, which can still receive replies at
// its SocketID).
func ListenPacket(cfg *Config, publish ...ServiceRange) (*Conn, error) {
	typ, err := cfg.typ(true)
	if err != nil {
		return nil, err
	}
	scope, err := cfg.scope()
	if err != nil {
		return nil, err
	}
	for _, r := range publish {
		if err := r.validate(); err != nil {
			return nil, fmt.Errorf("tipc: listen: %w", err)
		}
	}
	s, err := open("listen", typ, cfg)
	if err != nil {
		return nil, err
	}
	c := &Conn{s: s, scope: scope}
	for _, r := range publish {
		if err := c.Publish(r); err != nil {
			s.Close()
			return nil, err
		}
	}
	return c, nil
}

// Publish binds one more service range to the socket.
func (c *Conn) Publish(r ServiceRange) error {
	if err := r.validate(); err != nil {
		return fmt.Errorf("tipc: publish: %w", err)
	}
	if err := c.s.Bind(r.addr(c.scope)); err != nil {
		return fmt.Errorf("tipc: publish %v: %w", r, err)
	}
	return nil
}

// Withdraw removes a range published with Publish (the kernel withdraws a
// binding given with a negated scope).
func (c *Conn) Withdraw(r ServiceRange) error {
	if err := r.validate(); err != nil {
		return fmt.Errorf("tipc: withdraw: %w", err)
	}
	if err := c.s.Bind(r.addr(-c.scope)); err != nil {
		return fmt.Errorf("tipc: withdraw %v: %w", r, err)
	}
	return nil
}

// ReadFrom reads one message into b and returns its length and sender. A
// message longer than b is truncated (the rest is discarded, as for any
// datagram socket); the returned length is what was copied.
func (c *Conn) ReadFrom(ctx context.Context, b []byte) (int, SocketID, error) {
	var from core.TIPCAddr
	n, _, err := c.s.RecvFromIntoContext(ctx, b, 0, &from)
	if err != nil {
		return 0, SocketID{}, fmt.Errorf("tipc: read: %w", err)
	}
	id, err := socketID(&from)
	if err != nil {
		return n, SocketID{}, fmt.Errorf("tipc: read: %w", err)
	}
	return n, id, nil
}

// WriteTo sends b to a socket that published svc. With nobody publishing
// svc the error satisfies errors.Is(err, unix.EHOSTUNREACH).
func (c *Conn) WriteTo(ctx context.Context, b []byte, svc Service) (int, error) {
	n, err := c.s.SendToContext(ctx, b, 0, svc.addr())
	if err != nil {
		return n, fmt.Errorf("tipc: write to %v: %w", svc, err)
	}
	return n, nil
}

// WriteToSocket sends b to one socket, for example to answer a sender
// returned by ReadFrom.
func (c *Conn) WriteToSocket(ctx context.Context, b []byte, id SocketID) (int, error) {
	n, err := c.s.SendToContext(ctx, b, 0, id.addr())
	if err != nil {
		return n, fmt.Errorf("tipc: write to %v: %w", id, err)
	}
	return n, nil
}

// WriteToRange multicasts b to every socket that published an instance in
// r (TIPC_ADDR_MCAST), each receiving one copy.
func (c *Conn) WriteToRange(ctx context.Context, b []byte, r ServiceRange) (int, error) {
	if err := r.validateOrder(); err != nil {
		return 0, fmt.Errorf("tipc: multicast: %w", err)
	}
	a := core.TIPCAddr{AddrType: core.TIPC_ADDR_MCAST, V1: r.Type, V2: r.Lower, V3: r.Upper}
	n, err := c.s.SendToContext(ctx, b, 0, &a)
	if err != nil {
		return n, fmt.Errorf("tipc: multicast to %v: %w", r, err)
	}
	return n, nil
}

// LocalID returns the socket's own identity, the source its messages carry.
func (c *Conn) LocalID() (SocketID, error) { return localID(c.s) }

// Socket returns the underlying socket for options this type does not wrap.
func (c *Conn) Socket() *core.Socket { return c.s }

// Close closes the socket, withdrawing its publications.
func (c *Conn) Close() error { return c.s.Close() }

func localID(s *core.Socket) (SocketID, error) {
	a, err := s.SockName()
	if err != nil {
		return SocketID{}, fmt.Errorf("tipc: getsockname: %w", err)
	}
	id, err := socketID(a)
	if err != nil {
		return SocketID{}, fmt.Errorf("tipc: getsockname: %w", err)
	}
	return id, nil
}

// Listener accepts TIPC connections to a published service range. It is a
// net.Listener.
type Listener struct {
	s *core.Socket
	r ServiceRange
}

var _ net.Listener = (*Listener)(nil)

// Listen publishes r on a connection-oriented socket (SOCK_STREAM by
// default, or SOCK_SEQPACKET) and listens for connections.
func Listen(r ServiceRange, cfg *Config) (*Listener, error) {
	typ, err := cfg.typ(false)
	if err != nil {
		return nil, err
	}
	scope, err := cfg.scope()
	if err != nil {
		return nil, err
	}
	if err := r.validate(); err != nil {
		return nil, fmt.Errorf("tipc: listen: %w", err)
	}
	s, err := open("listen", typ, cfg)
	if err != nil {
		return nil, err
	}
	if err := s.Bind(r.addr(scope)); err != nil {
		s.Close()
		return nil, fmt.Errorf("tipc: listen %v: %w", r, err)
	}
	if err := s.Listen(unix.SOMAXCONN); err != nil {
		s.Close()
		return nil, fmt.Errorf("tipc: listen %v: %w", r, err)
	}
	return &Listener{s: s, r: r}, nil
}

// Accept waits for a connection (net.Listener).
func (l *Listener) Accept() (net.Conn, error) {
	c, _, err := l.AcceptContext(context.Background())
	return c, err
}

// AcceptContext waits for a connection until ctx is done and returns it
// with the peer's SocketID.
func (l *Listener) AcceptContext(ctx context.Context) (net.Conn, SocketID, error) {
	ns, peer, err := l.s.AcceptContext(ctx)
	if err != nil {
		return nil, SocketID{}, fmt.Errorf("tipc: accept on %v: %w", l.r, err)
	}
	id, err := socketID(peer)
	if err != nil {
		ns.Close()
		return nil, SocketID{}, fmt.Errorf("tipc: accept on %v: %w", l.r, err)
	}
	return ns.Conn(), id, nil
}

// Close stops listening and withdraws the range.
func (l *Listener) Close() error { return l.s.Close() }

// Addr returns the published range.
func (l *Listener) Addr() net.Addr { return Addr{Value: l.r} }

// Dial connects to a socket that published svc (SOCK_STREAM by default, or
// SOCK_SEQPACKET, which keeps message boundaries). ctx bounds the connect;
// with nobody publishing svc the error satisfies
// errors.Is(err, unix.EHOSTUNREACH).
func Dial(ctx context.Context, svc Service, cfg *Config) (net.Conn, error) {
	typ, err := cfg.typ(false)
	if err != nil {
		return nil, err
	}
	s, err := open("dial", typ, cfg)
	if err != nil {
		return nil, err
	}
	if err := s.ConnectContext(ctx, svc.addr()); err != nil {
		s.Close()
		return nil, fmt.Errorf("tipc: dial %v: %w", svc, err)
	}
	return s.Conn(), nil
}
