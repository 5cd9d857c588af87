package slcan

import (
	"errors"
	"fmt"
	"os"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// Transport names of the slcan kind.
const (
	TransportSerial = "serial" // a serial device (USB adapter, UART)
	TransportPTY    = "pty"    // a pseudo-terminal fieldgate creates
	TransportTCP    = "tcp"    // a TCP connection (network SLCAN bridges)
)

// Config is an slcan endpoint's settings.
type Config struct {
	Options
	// Transport is serial, pty or tcp.
	Transport string
	// Serial: the device path and its baud rate (8N1, raw).
	Device string
	Baud   int
	// PTY: the symbolic link made to the slave's path, if any.
	Link string
	// TCP: server (one peer at a time) or client; Listen or Peer.
	Mode   config.Role
	Listen string
	Peer   string
}

var _ config.Binder = (*Config)(nil)

// Binds: a serial device, a pty's link, a TCP server's port.
func (c *Config) Binds() []config.Bind {
	switch {
	case c.Transport == TransportSerial:
		return []config.Bind{{Space: "serial", Addr: c.Device}}
	case c.Transport == TransportPTY && c.Link != "":
		return []config.Bind{{Space: "file", Addr: c.Link}}
	case c.Transport == TransportTCP && c.Mode == config.Server:
		return []config.Bind{{Space: "tcp", Addr: config.NormAddr(c.Listen)}}
	}
	return nil
}

// DefaultBaud is the serial line's default baud rate.
const DefaultBaud = 115200

var transportFields = []config.Field{
	{Name: "transport", Doc: "`serial`, `pty` or `tcp` (required)"},
	{Name: "device", Doc: "serial: the adapter's device, e.g. /dev/ttyACM0 or /dev/serial/by-id/… (required)"},
	{Name: "baud", Default: "115200", Doc: "serial: the line's baud rate (8N1, raw, no flow control); USB adapters ignore it"},
	{Name: "link", Doc: "pty: a symbolic link made to the pty's slave (e.g. /tmp/slcan-pty) for the program that opens it; the slave's path is logged either way"},
	{Name: "mode", Default: "client", Doc: "tcp: `client` (dial peer, reconnect) or `server` (listen; one peer at a time, further connections are refused and counted)"},
	{Name: "listen", Doc: "tcp server: local `host:port` (required)"},
	{Name: "peer", Doc: "tcp client: remote `host:port` (required)"},
}

// Fields are the slcan kind's fields.
var Fields = append(append([]config.Field{}, OptionFields[0], transportFields[0]), append(transportFields[1:], OptionFields[1:]...)...)

func decode(o *config.Object) config.Settings {
	c := &Config{}
	if !o.Has("transport") {
		o.Missing("transport", "serial, pty or tcp")
	} else {
		c.Transport = o.OneOf("transport", TransportSerial, TransportSerial, TransportPTY, TransportTCP)
	}
	// Fields of the other transports are errors, not silently ignored.
	own := map[string][]string{
		TransportSerial: {"device", "baud"},
		TransportPTY:    {"link"},
		TransportTCP:    {"mode", "listen", "peer"},
	}
	for t, keys := range own {
		if t == c.Transport {
			continue
		}
		for _, k := range keys {
			if o.Has(k) {
				o.Errorf(o.Get(k), o.Field(k), fmt.Sprintf("remove it, or use transport: %s", t), "%s applies to transport: %s only", k, t)
			}
		}
	}
	switch c.Transport {
	case TransportSerial:
		if n, ok := o.Scalar("device"); !ok {
			o.Missing("device", "the adapter's serial device, e.g. /dev/ttyACM0")
		} else {
			c.Device = n.Value
		}
		n := o.Get("baud")
		c.Baud = int(o.Uint("baud", DefaultBaud, 50, 4_000_000))
		if n != nil && !validBaud(c.Baud) {
			o.Errorf(n, o.Field("baud"), "a standard rate: "+baudList(), "unsupported baud rate %d", c.Baud)
		}
	case TransportPTY:
		c.Link = o.Str("link", "")
	case TransportTCP:
		c.Mode = o.Role(config.Client)
		if c.Mode == config.Server {
			c.Listen = o.HostPort("listen", true, "")
			if o.Has("peer") {
				o.Errorf(o.Get("peer"), o.Field("peer"), "a server listens: use listen", "peer applies to mode: client")
			}
		} else {
			c.Peer = o.HostPort("peer", true, "")
			if o.Has("listen") {
				o.Errorf(o.Get("listen"), o.Field("listen"), "a client dials: use peer", "listen applies to mode: server")
			}
		}
	}
	c.Options = DecodeOptions(o)
	return c
}

var _ config.HostChecker = (*Config)(nil)

// CheckHost: a serial device that is not there is a warning (the
// endpoint opens it when it appears), one that cannot be read an error;
// serial devices and ptys off Linux are errors.
func (c *Config) CheckHost(h *config.Host) {
	if c.Transport == TransportTCP {
		return
	}
	if err := ptySupported(); err != nil {
		h.Errorf("transport", "use transport: tcp", "%v", err)
		return
	}
	if c.Transport == TransportSerial {
		if _, err := os.Stat(c.Device); errors.Is(err, os.ErrNotExist) {
			h.Warnf("device", "plug the adapter in, or name its device (ls /dev/serial/by-id); the endpoint opens it when it appears", "serial device %s is not present", c.Device)
		} else if err != nil {
			h.Errorf("device", "plug the adapter in, or name its device (ls /dev/serial/by-id)", "serial device %s: %v", c.Device, errors.Unwrap(err))
		}
	}
}
