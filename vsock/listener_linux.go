//go:build linux

package vsock

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/fieldgate/fieldgate/core"
	"golang.org/x/sys/unix"
)

// Listener accepts VM socket connections. It is a net.Listener; its
// methods are safe for concurrent use.
type Listener struct {
	s    *core.Socket
	addr *Addr
}

var _ net.Listener = (*Listener)(nil)

// Listen binds (cid, port) and listens. cid is usually CIDAny (every CID
// of this machine), CIDLocal (loopback only) or LocalCID's value; port 0
// or PortAny lets the kernel pick one, which Port then returns (port 0
// itself cannot be bound, as with mdlayher/vsock). Ports below 1024 need
// CAP_NET_BIND_SERVICE.
func Listen(cid, port uint32, cfg *Config) (*Listener, error) {
	if err := cfg.validate("listen"); err != nil {
		return nil, err
	}
	if port == 0 {
		port = PortAny
	}
	var ct time.Duration
	if cfg != nil {
		ct = cfg.ConnectTimeout
	}
	s, err := open("listen", cfg, ct)
	if err != nil {
		return nil, err
	}
	want := &Addr{ContextID: cid, Port: port}
	fail := func(err error) (*Listener, error) {
		s.Close()
		return nil, &net.OpError{Op: "listen", Net: "vsock", Addr: want, Err: unwrapOp(err)}
	}
	if err := s.Bind(&core.VSockAddr{CID: cid, Port: port}); err != nil {
		return fail(err)
	}
	if err := s.Listen(unix.SOMAXCONN); err != nil {
		return fail(err)
	}
	a := addrOf(s.SockName())
	if a == nil {
		return fail(fmt.Errorf("getsockname returned no vsock address"))
	}
	return &Listener{s: s, addr: a}, nil
}

// unwrapOp strips core's *net.OpError so ours is the only one.
func unwrapOp(err error) error {
	if oe, ok := err.(*net.OpError); ok {
		return oe.Err
	}
	return err
}

// Accept waits for a connection (net.Listener); the net.Conn is a *Conn.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.AcceptContext(context.Background())
	if err != nil {
		return nil, err
	}
	return c, nil
}

// AcceptContext waits for a connection until ctx is done; then the error
// matches ctx's error (a deadline also matches os.ErrDeadlineExceeded).
// The connection inherits the listener's Config options.
func (l *Listener) AcceptContext(ctx context.Context) (*Conn, error) {
	ns, peer, err := l.s.AcceptContext(ctx)
	if err != nil {
		return nil, &net.OpError{Op: "accept", Net: "vsock", Addr: l.addr, Err: unwrapOp(err)}
	}
	if err := ns.SetTimeout(-1); err != nil {
		ns.Close()
		return nil, &net.OpError{Op: "accept", Net: "vsock", Addr: l.addr, Err: unwrapOp(err)}
	}
	return newConn(ns, addrOf(peer, nil)), nil
}

// Addr returns the bound address, an *Addr, as the kernel reports it (a
// listener bound to CIDAny reports CIDAny).
func (l *Listener) Addr() net.Addr { return l.addr }

// Port returns the bound port, the one the kernel picked for PortAny.
func (l *Listener) Port() uint32 { return l.addr.Port }

// SetDeadline sets a deadline for Accept; an expired one gives errors
// matching os.ErrDeadlineExceeded.
func (l *Listener) SetDeadline(t time.Time) error { return l.s.SetReadDeadline(t) }

// Close stops listening; accepted connections stay open.
func (l *Listener) Close() error { return l.s.Close() }

// Socket returns the underlying socket for options this type does not wrap.
func (l *Listener) Socket() *core.Socket { return l.s }

// Dial connects to (cid, port): CIDHost from a guest, a guest's CID from
// the host, CIDLocal over vsock_loopback. ctx bounds the connect, and also
// the kernel's connect timeout unless Config.ConnectTimeout is set. Nobody
// listening on port gives an error matching unix.ECONNRESET (the vsock
// transports reset, they do not refuse); an unknown CID unix.ENODEV.
func Dial(ctx context.Context, cid, port uint32, cfg *Config) (*Conn, error) {
	if err := validateDial(cid, port); err != nil {
		return nil, err
	}
	if err := cfg.validate("dial"); err != nil {
		return nil, err
	}
	var ct time.Duration
	if cfg != nil {
		ct = cfg.ConnectTimeout
	}
	if dl, ok := ctx.Deadline(); ok && ct == 0 {
		ct = time.Until(dl)
		if ct <= 0 {
			ct = time.Microsecond
		}
	}
	s, err := open("dial", cfg, ct)
	if err != nil {
		return nil, err
	}
	remote := &Addr{ContextID: cid, Port: port}
	if err := s.ConnectContext(ctx, &core.VSockAddr{CID: cid, Port: port}); err != nil {
		s.Close()
		return nil, &net.OpError{Op: "dial", Net: "vsock", Addr: remote, Err: unwrapOp(err)}
	}
	return newConn(s, remote), nil
}
