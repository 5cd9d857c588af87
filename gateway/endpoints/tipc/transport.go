package tipc

import (
	"context"
	"fmt"
	"net"
	"runtime"

	"github.com/fieldgate/fieldgate/core"
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
	tp "github.com/fieldgate/fieldgate/tipc"
)

// transport publishes and listens on Service, or connects to it.
type transport struct{ c *Config }

var (
	_ stream.Transport = transport{}
	_ stream.Checker   = transport{}
)

// Check refuses platforms without TIPC, and a Linux kernel without it (so
// a client fails at start instead of retrying for ever).
func (transport) Check() error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("tipc endpoints are not supported on %s", runtime.GOOS)
	}
	if _, err := tp.NodeID(); err != nil {
		return fmt.Errorf("tipc endpoints need TIPC in the kernel: %w", err)
	}
	return nil
}

func (t transport) config() *tp.Config {
	cfg := &tp.Config{Type: core.SOCK_STREAM, Scope: t.c.Scope}
	if t.c.SocketType == SeqPacket {
		cfg.Type = core.SOCK_SEQPACKET
	}
	return cfg
}

// Listen publishes the service range in the configured scope and listens;
// closing the listener withdraws it.
func (t transport) Listen(context.Context) (net.Listener, error) {
	ln, err := tp.Listen(t.c.Service, t.config())
	if err != nil {
		return nil, err // not a typed nil *tp.Listener
	}
	return ln, nil
}

// Dial connects to instance Service.Lower of Service.Type, wherever in the
// cluster it is published; ctx cancels the connect. With nobody
// publishing it the error is EHOSTUNREACH, at once.
func (t transport) Dial(ctx context.Context) (net.Conn, error) {
	cfg := t.config()
	cfg.Scope = 0
	return tp.Dial(ctx, tp.Service{Type: t.c.Service.Type, Instance: t.c.Service.Lower}, cfg)
}
