package unix

import (
	"context"
	"net"
	"os"
	"sync"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
)

// Socket types.
const (
	Stream    = config.StreamSocket    // SOCK_STREAM
	SeqPacket = config.SeqPacketSocket // SOCK_SEQPACKET: one message per batch of frames
)

// Config is a unix endpoint's settings.
type Config struct {
	stream.Config
	Path       string            // socket path
	SocketType config.SocketType // Stream or SeqPacket
}

var (
	_ config.Binder   = (*Config)(nil)
	_ stream.Settings = (*Config)(nil)
)

// Binds: a server's socket path; a client binds nothing.
func (c *Config) Binds() []config.Bind {
	if c.Role == config.Client {
		return nil
	}
	return []config.Bind{{Space: "unix", Addr: c.Path}}
}

// Transport returns the unix socket transport of c.
func (c *Config) Transport() stream.Transport { return transport{c} }

var fields = []config.Field{
	{Name: "path", Doc: "socket path (at most 107 bytes); a server replaces a stale socket file"},
	{Name: "type", Default: string(Stream), Doc: "`stream` or `seqpacket`"},
}

func decode(o *config.Object, role config.Role) stream.Settings {
	c := &Config{}
	c.Path = o.Str("path", "")
	if c.Path == "" {
		o.Missing("path", "a socket path such as /run/fieldgate/bus.sock")
	} else if len(c.Path) > 107 {
		o.Errorf(o.Get("path"), o.Field("path"), "unix socket paths are at most 107 bytes", "path too long")
	}
	c.SocketType = config.SocketType(o.OneOf("type", string(Stream), string(Stream), string(SeqPacket)))
	return c
}

func check(o *config.Object, s stream.Settings) {
	c := s.(*Config)
	if c.PDUs && c.SocketType == SeqPacket {
		// A batch of PDUs (up to 64 × 4 KiB) exceeds what one seqpacket
		// message may carry.
		o.Errorf(o.Get("pdus"), o.Field("pdus"), "use type: stream for a link that carries PDUs", "pdus needs type: stream")
	}
}

// transport listens on or dials Path, "unix" or "unixpacket".
type transport struct{ c *Config }

var _ stream.Transport = transport{}

func (t transport) network() string {
	if t.c.SocketType == SeqPacket {
		return "unixpacket"
	}
	return "unix"
}

func (t transport) Listen(ctx context.Context) (net.Listener, error) {
	if st, err := os.Lstat(t.c.Path); err == nil && st.Mode()&os.ModeSocket != 0 {
		os.Remove(t.c.Path) // stale socket from a previous run
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, t.network(), t.c.Path)
	if err != nil {
		return nil, err
	}
	return &listener{Listener: ln, path: t.c.Path}, nil
}

func (t transport) Dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, t.network(), t.c.Path)
}

// listener removes the socket file when it is closed.
type listener struct {
	net.Listener
	path string
	once sync.Once
}

func (l *listener) Close() error {
	err := l.Listener.Close()
	l.once.Do(func() { os.Remove(l.path) })
	return err
}
