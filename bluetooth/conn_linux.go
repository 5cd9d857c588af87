//go:build linux

package bluetooth

import (
	"context"
	"fmt"
	"net"

	"github.com/fieldgate/fieldgate/core"
	"golang.org/x/sys/unix"
)

// open creates an L2CAP or RFCOMM socket and applies cfg's options.
func open(op string, proto int, cfg *Config) (*core.Socket, error) {
	if err := cfg.validate(proto); err != nil {
		return nil, err
	}
	typ, err := cfg.typ(proto)
	if err != nil {
		return nil, err
	}
	s, err := newSocket(typ, proto)
	if err != nil {
		return nil, fmt.Errorf("bluetooth: %s: %w", op, err)
	}
	if err := configure(s, cfg); err != nil {
		s.Close()
		return nil, fmt.Errorf("bluetooth: %s: %w", op, err)
	}
	return s, nil
}

func configure(s *core.Socket, cfg *Config) error {
	if cfg == nil {
		return nil
	}
	if cfg.Security != 0 {
		if err := SetSecurity(s, cfg.Security); err != nil {
			return err
		}
	}
	if cfg.IMTU != 0 || cfg.OMTU != 0 {
		o, err := GetL2CAPOptions(s)
		if err != nil {
			return err
		}
		if cfg.IMTU != 0 {
			o.IMTU = cfg.IMTU
		}
		if cfg.OMTU != 0 {
			o.OMTU = cfg.OMTU
		}
		if err := SetL2CAPOptions(s, o); err != nil {
			return err
		}
	}
	return nil
}

// GetL2CAPOptions reads an L2CAP socket's L2CAP_OPTIONS (BR/EDR channels).
func GetL2CAPOptions(s *core.Socket) (L2CAPOptions, error) {
	b, err := s.GetsockoptBytes(unix.SOL_L2CAP, L2CAPOptionsOpt, SizeofL2CAPOptions)
	if err != nil {
		return L2CAPOptions{}, fmt.Errorf("get L2CAP_OPTIONS: %w", err)
	}
	var o L2CAPOptions
	if err := o.UnmarshalBinary(b); err != nil {
		return L2CAPOptions{}, fmt.Errorf("get L2CAP_OPTIONS: %w", err)
	}
	return o, nil
}

// SetL2CAPOptions sets L2CAP_OPTIONS; the kernel takes them before the
// channel connects (on a connected socket it returns EINVAL).
func SetL2CAPOptions(s *core.Socket, o L2CAPOptions) error {
	b, _ := o.MarshalBinary()
	if err := s.SetsockoptBytes(unix.SOL_L2CAP, L2CAPOptionsOpt, b); err != nil {
		return fmt.Errorf("set L2CAP_OPTIONS imtu=%d omtu=%d: %w", o.IMTU, o.OMTU, err)
	}
	return nil
}

// GetSecurity reads BT_SECURITY (L2CAP, RFCOMM and SCO sockets).
func GetSecurity(s *core.Socket) (Security, error) {
	b, err := s.GetsockoptBytes(unix.SOL_BLUETOOTH, core.BT_SECURITY, SizeofSecurity)
	if err != nil {
		return Security{}, fmt.Errorf("get BT_SECURITY: %w", err)
	}
	if len(b) < 1 {
		return Security{}, fmt.Errorf("get BT_SECURITY: %w", ErrShort)
	}
	sec := Security{Level: SecurityLevel(b[0])}
	if len(b) > 1 {
		sec.KeySize = b[1]
	}
	return sec, nil
}

// SetSecurity sets BT_SECURITY's level (SecurityLow to SecurityFIPS).
func SetSecurity(s *core.Socket, level SecurityLevel) error {
	if err := s.SetsockoptBytes(unix.SOL_BLUETOOTH, core.BT_SECURITY, []byte{byte(level), 0}); err != nil {
		return fmt.Errorf("set BT_SECURITY level %d: %w", level, err)
	}
	return nil
}

// Conn is a connected L2CAP or RFCOMM socket: a net.Conn (Read, Write,
// deadlines; a seqpacket L2CAP Read returns one message) with the
// Bluetooth socket options at hand. LocalAddr and RemoteAddr are
// core.NetAddr values holding a core.L2CAPAddr or core.RFCOMMAddr.
type Conn struct {
	net.Conn
	s *core.Socket
}

var _ net.Conn = (*Conn)(nil)

func newConn(s *core.Socket) *Conn { return &Conn{Conn: s.Conn(), s: s} }

// Socket returns the underlying socket.
func (c *Conn) Socket() *core.Socket { return c.s }

// L2CAPOptions returns the channel's negotiated L2CAP_OPTIONS: OMTU is
// what the peer said it can take.
func (c *Conn) L2CAPOptions() (L2CAPOptions, error) {
	o, err := GetL2CAPOptions(c.s)
	if err != nil {
		return o, fmt.Errorf("bluetooth: %w", err)
	}
	return o, nil
}

// Security returns the connection's BT_SECURITY. On a connected socket
// the kernel reports the ACL link's level and key size: SecuritySDP (0)
// for a link that was never authenticated.
func (c *Conn) Security() (Security, error) {
	sec, err := GetSecurity(c.s)
	if err != nil {
		return sec, fmt.Errorf("bluetooth: %w", err)
	}
	return sec, nil
}

// Listener accepts L2CAP or RFCOMM connections; it is a net.Listener.
type Listener struct {
	s *core.Socket
}

var _ net.Listener = (*Listener)(nil)

// ListenL2CAP binds an L2CAP socket to addr and listens. BR/EDR servers
// use an odd PSM of 0x1001 or above (PSM 0 lets the kernel pick one: see
// Addr); addr.BDAddr picks the adapter (BDAddrAny: all).
func ListenL2CAP(addr core.L2CAPAddr, cfg *Config) (*Listener, error) {
	return listen(core.BTPROTO_L2CAP, &addr, cfg)
}

// ListenRFCOMM binds an RFCOMM socket to addr and listens. Channel 0 lets
// the kernel pick a free channel (1 to 30) at listen: see Addr.
func ListenRFCOMM(addr core.RFCOMMAddr, cfg *Config) (*Listener, error) {
	return listen(core.BTPROTO_RFCOMM, &addr, cfg)
}

func listen(proto int, addr core.Addr, cfg *Config) (*Listener, error) {
	s, err := open("listen", proto, cfg)
	if err != nil {
		return nil, err
	}
	if err := s.Bind(addr); err != nil {
		s.Close()
		return nil, fmt.Errorf("bluetooth: listen %v: %w", addr, err)
	}
	if err := s.Listen(unix.SOMAXCONN); err != nil {
		s.Close()
		return nil, fmt.Errorf("bluetooth: listen %v: %w", addr, err)
	}
	return &Listener{s: s}, nil
}

// Accept waits for a connection (net.Listener); the net.Conn is a *Conn.
func (l *Listener) Accept() (net.Conn, error) { return l.AcceptContext(context.Background()) }

// AcceptContext waits for a connection until ctx is done. The peer's
// address is the Conn's RemoteAddr.
func (l *Listener) AcceptContext(ctx context.Context) (*Conn, error) {
	ns, _, err := l.s.AcceptContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("bluetooth: accept on %v: %w", l.Addr(), err)
	}
	return newConn(ns), nil
}

// Addr returns the bound address as the kernel reports it (with the PSM or
// channel it picked), a core.NetAddr.
func (l *Listener) Addr() net.Addr {
	a, err := l.s.SockName()
	if err != nil {
		return core.NetAddr{}
	}
	return core.NetAddr{Addr: a}
}

// Socket returns the listening socket.
func (l *Listener) Socket() *core.Socket { return l.s }

// Close stops listening.
func (l *Listener) Close() error { return l.s.Close() }

// DialL2CAP connects an L2CAP channel to addr (a BR/EDR peer: BDAddr and
// PSM) from cfg.Local's adapter. ctx bounds the connect, which includes
// paging the peer. Errors are errors.Is-compatible with unix.Errno (the
// kernel maps HCI statuses to errnos, Page Timeout to EHOSTDOWN).
func DialL2CAP(ctx context.Context, addr core.L2CAPAddr, cfg *Config) (*Conn, error) {
	var local core.L2CAPAddr
	if cfg != nil {
		local = core.L2CAPAddr{BDAddr: cfg.Local, AddrType: addr.AddrType}
	}
	return dial(ctx, core.BTPROTO_L2CAP, &addr, &local, cfg)
}

// DialRFCOMM connects an RFCOMM channel to addr from cfg.Local's adapter.
func DialRFCOMM(ctx context.Context, addr core.RFCOMMAddr, cfg *Config) (*Conn, error) {
	var local core.RFCOMMAddr
	if cfg != nil {
		local = core.RFCOMMAddr{BDAddr: cfg.Local}
	}
	return dial(ctx, core.BTPROTO_RFCOMM, &addr, &local, cfg)
}

func dial(ctx context.Context, proto int, addr, local core.Addr, cfg *Config) (*Conn, error) {
	s, err := open("dial", proto, cfg)
	if err != nil {
		return nil, err
	}
	if cfg != nil && cfg.Local != core.BDAddrAny {
		if err := s.Bind(local); err != nil {
			s.Close()
			return nil, fmt.Errorf("bluetooth: dial %v: bind %v: %w", addr, local, err)
		}
	}
	if err := s.ConnectContext(ctx, addr); err != nil {
		s.Close()
		return nil, fmt.Errorf("bluetooth: dial %v: %w", addr, err)
	}
	return newConn(s), nil
}
