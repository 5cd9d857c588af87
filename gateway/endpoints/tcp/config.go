package tcp

import (
	"context"
	"net"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
	"github.com/fieldgate/fieldgate/gateway/internal/tlsconf"
)

// Config is a tcp endpoint's settings.
type Config struct {
	stream.Config
	Listen string // server: local host:port
	Peer   string // client: remote host:port
}

var (
	_ config.Binder   = (*Config)(nil)
	_ stream.Settings = (*Config)(nil)
)

// Binds: a server's TCP port; a client binds nothing.
func (c *Config) Binds() []config.Bind {
	if c.Role == config.Client {
		return nil
	}
	return []config.Bind{{Space: "tcp", Addr: config.NormAddr(c.Listen)}}
}

// Transport returns the TCP transport of c.
func (c *Config) Transport() stream.Transport { return transport{c} }

var fields = []config.Field{
	{Name: "listen", Doc: "server: local `host:port` (required)"},
	{Name: "peer", Doc: "client: remote `host:port` (required)"},
}

func decode(o *config.Object, role config.Role) stream.Settings {
	c := &Config{}
	if role == config.Server {
		c.Listen = o.HostPort("listen", true, "")
	} else {
		c.Peer = o.HostPort("peer", true, "")
	}
	return c
}

// transport listens on Listen or dials Peer.
type transport struct{ c *Config }

var _ stream.Transport = transport{}

func (t transport) Listen(ctx context.Context) (net.Listener, error) {
	var lc net.ListenConfig
	return lc.Listen(ctx, "tcp", t.c.Listen)
}

func (t transport) Dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", t.c.Peer)
}

var _ config.HostChecker = (*Config)(nil)

// CheckHost loads the TLS certificate, key and CA as opening the endpoint does.
func (c *Config) CheckHost(h *config.Host) {
	_, err := tlsconf.Load(c.TLS, c.Role != config.Client)
	h.Report(err)
}
