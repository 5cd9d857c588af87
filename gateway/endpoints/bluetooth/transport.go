package bluetooth

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"slices"

	bt "github.com/fieldgate/fieldgate/bluetooth"
	"github.com/fieldgate/fieldgate/core"
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
)

// transport listens on Address and Channel or PSM, or connects to them.
type transport struct{ c *Config }

var (
	_ stream.Transport  = transport{}
	_ stream.Checker    = transport{}
	_ stream.PeerFilter = transport{}
)

// Check refuses platforms without Bluetooth sockets, and a Linux kernel
// without Bluetooth (so a client fails at start instead of retrying for
// ever).
func (t transport) Check() error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("%s endpoints are not supported on %s", t.c.Proto, runtime.GOOS)
	}
	if _, err := bt.Devices(); err != nil {
		return fmt.Errorf("%s endpoints need Bluetooth in the kernel: %w", t.c.Proto, err)
	}
	return nil
}

func (t transport) config() *bt.Config {
	cfg := &bt.Config{Security: t.c.Security}
	if t.c.Proto == L2CAP {
		cfg.IMTU = t.c.MTU
	}
	return cfg
}

// Listen binds the channel or PSM on Address's adapter (every adapter for
// BDAddrAny) and listens; the BT_SECURITY level is set on the listening
// socket, which the kernel applies to every connection it accepts.
func (t transport) Listen(context.Context) (net.Listener, error) {
	cfg := t.config()
	if t.c.Proto == L2CAP {
		ln, err := bt.ListenL2CAP(core.L2CAPAddr{BDAddr: t.c.Address, PSM: t.c.PSM}, cfg)
		if err != nil {
			return nil, err
		}
		return l2capListener{ln}, nil
	}
	ln, err := bt.ListenRFCOMM(core.RFCOMMAddr{BDAddr: t.c.Address, Channel: t.c.Channel}, cfg)
	if err != nil {
		return nil, err // not a typed nil *bt.Listener
	}
	return ln, nil
}

// Dial connects to Address's channel or PSM from Local's adapter; ctx
// cancels the connect (which includes paging the device).
func (t transport) Dial(ctx context.Context) (net.Conn, error) {
	cfg := t.config()
	cfg.Local = t.c.Local
	if t.c.Proto == L2CAP {
		c, err := bt.DialL2CAP(ctx, core.L2CAPAddr{BDAddr: t.c.Address, PSM: t.c.PSM}, cfg)
		if err != nil {
			return nil, err
		}
		return newL2CAPConn(c), nil
	}
	c, err := bt.DialRFCOMM(ctx, core.RFCOMMAddr{BDAddr: t.c.Address, Channel: t.c.Channel}, cfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// AllowPeer admits a connection from a device in Peers (any without
// Peers).
func (t transport) AllowPeer(c net.Conn) error {
	if len(t.c.Peers) == 0 {
		return nil
	}
	a, ok := peerAddr(c.RemoteAddr())
	if !ok {
		return fmt.Errorf("peer address %v is not a Bluetooth address", c.RemoteAddr())
	}
	if !slices.Contains(t.c.Peers, a) {
		return fmt.Errorf("device %v is not in peers", a)
	}
	return nil
}

// peerAddr returns the device address of a connection's remote address.
func peerAddr(a net.Addr) (core.BDAddr, bool) {
	na, ok := a.(core.NetAddr)
	if !ok {
		return core.BDAddr{}, false
	}
	switch b := na.Addr.(type) {
	case *core.RFCOMMAddr:
		return b.BDAddr, true
	case *core.L2CAPAddr:
		return b.BDAddr, true
	}
	return core.BDAddr{}, false
}

// l2capListener wraps accepted connections in l2capConn.
type l2capListener struct{ *bt.Listener }

func (l l2capListener) Accept() (net.Conn, error) {
	c, err := l.Listener.AcceptContext(context.Background())
	if err != nil {
		return nil, err
	}
	return newL2CAPConn(c), nil
}

// l2capConn is an L2CAP seqpacket connection carrying a byte stream: a
// Write is cut into messages of at most the peer's MTU (the kernel
// refuses a larger message whole, EMSGSIZE); a Read returns one message,
// which the stream decoder appends to what it has.
type l2capConn struct {
	net.Conn
	omtu int
}

func newL2CAPConn(c *bt.Conn) *l2capConn {
	omtu := DefaultMTU
	if o, err := c.L2CAPOptions(); err == nil && o.OMTU >= 48 {
		omtu = int(o.OMTU)
	}
	return &l2capConn{Conn: c, omtu: omtu}
}

func (c *l2capConn) Write(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := c.Conn.Write(b[n:min(len(b), n+c.omtu)])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
