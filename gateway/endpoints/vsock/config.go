package vsock

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strconv"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
	vs "github.com/fieldgate/fieldgate/vsock"
)

// Config is a vsock endpoint's settings.
type Config struct {
	stream.Config
	CID  uint32 // client: the peer's context ID
	Port uint32 // server: the port listened on (on this machine's CID); client: the peer's port
}

var (
	_ config.Binder   = (*Config)(nil)
	_ stream.Settings = (*Config)(nil)
)

// Binds: a server's vsock port; a client binds nothing.
func (c *Config) Binds() []config.Bind {
	if c.Role == config.Client {
		return nil
	}
	return []config.Bind{{Space: "vsock", Addr: strconv.FormatUint(uint64(c.Port), 10)}}
}

// Transport returns the vsock transport of c.
func (c *Config) Transport() stream.Transport { return transport{c} }

var fields = []config.Field{
	{Name: "port", Doc: "vsock port (required)"},
	{Name: "cid", Doc: "client: peer CID (required): 2 = host, 1 = local loopback, guests their own"},
}

func decode(o *config.Object, role config.Role) stream.Settings {
	c := &Config{}
	c.CID = uint32(o.Uint("cid", 0, 0, 0xFFFFFFFF))
	c.Port = uint32(o.Uint("port", 0, 1, 0xFFFFFFFE))
	if !o.Has("port") {
		o.Missing("port", "the vsock port, e.g. 20000")
	}
	if role == config.Client && !o.Has("cid") {
		o.Missing("cid", "the peer CID: 2 = host, 1 = local loopback, guests have their own")
	}
	return c
}

// transport listens on Port of this machine's CID, or dials CID:Port.
type transport struct{ c *Config }

var (
	_ stream.Transport = transport{}
	_ stream.Checker   = transport{}
)

// Check refuses platforms without VM sockets.
func (transport) Check() error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("vsock endpoints are not supported on %s", runtime.GOOS)
	}
	return nil
}

// Listen binds Port on the machine's own CID (a guest's CID, 2 on a host
// with vhost_vsock, 1 with only vsock_loopback), as before.
func (t transport) Listen(ctx context.Context) (net.Listener, error) {
	cid, err := vs.LocalCID()
	if err != nil {
		return nil, err
	}
	ln, err := vs.Listen(cid, t.c.Port, nil)
	if err != nil {
		return nil, err // not a typed nil *vs.Listener
	}
	return ln, nil
}

// Dial connects to CID:Port; ctx cancels the connect, and its deadline
// bounds it.
func (t transport) Dial(ctx context.Context) (net.Conn, error) {
	c, err := vs.Dial(ctx, t.c.CID, t.c.Port, nil)
	if err != nil {
		return nil, err // not a typed nil *vs.Conn
	}
	return c, nil
}
