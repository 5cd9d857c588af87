package slcan

import (
	"errors"
	"fmt"
	"os"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoints/bluetooth"
)

// Transport names of the slcan kind.
const (
	TransportSerial = "serial" // a serial device (USB adapter, UART)
	TransportPTY    = "pty"    // a pseudo-terminal fieldgate creates
	TransportTCP    = "tcp"    // a TCP connection (network SLCAN bridges)
	TransportRFCOMM = "rfcomm" // a Bluetooth RFCOMM channel (Bluetooth adapters)
)

// Config is an slcan endpoint's settings.
type Config struct {
	Options
	// Transport is serial, pty, tcp or rfcomm.
	Transport string
	// Serial: the device path and its baud rate (8N1, raw).
	Device string
	Baud   int
	// PTY: the symbolic link made to the slave's path, if any.
	Link string
	// TCP and RFCOMM: server (one peer at a time) or client.
	Mode config.Role
	// TCP: Listen or Peer.
	Listen string
	Peer   string
	// RFCOMM: the adapter and channel, security and peers (rfcomm_link.go).
	RFCOMM *bluetooth.RFCOMMLink
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
	case c.Transport == TransportRFCOMM && c.RFCOMM != nil:
		return c.RFCOMM.Binds()
	}
	return nil
}

// DefaultBaud is the serial line's default baud rate.
const DefaultBaud = 115200

var transportFields = []config.Field{
	{Name: "transport", Doc: "`serial`, `pty`, `tcp` or `rfcomm` (required)"},
	{Name: "device", Doc: "serial: the adapter's device, e.g. /dev/ttyACM0 or /dev/serial/by-id/… (required)"},
	{Name: "baud", Default: "115200", Doc: "serial: the line's baud rate (8N1, raw, no flow control); USB adapters ignore it"},
	{Name: "link", Doc: "pty: a symbolic link made to the pty's slave (e.g. /tmp/slcan-pty) for the program that opens it; the slave's path is logged either way"},
	{Name: "mode", Default: "client", Doc: "tcp, rfcomm: `client` (dial peer or address, reconnect) or `server` (listen; one peer at a time, further connections are refused and counted)"},
	{Name: "listen", Doc: "tcp server: local `host:port` (required)"},
	{Name: "peer", Doc: "tcp client: remote `host:port` (required)"},
}

// Fields are the slcan kind's fields.
var Fields = append(append(append([]config.Field{}, OptionFields[0], transportFields[0]), append(transportFields[1:], rfcommFields...)...), OptionFields[1:]...)

func decode(o *config.Object) config.Settings {
	c := &Config{}
	if !o.Has("transport") {
		o.Missing("transport", "serial, pty, tcp or rfcomm")
	} else {
		c.Transport = o.OneOf("transport", TransportSerial, TransportSerial, TransportPTY, TransportTCP, TransportRFCOMM)
	}
	// Fields of the other transports are errors, not silently ignored.
	own := map[string][]string{
		TransportSerial: {"device", "baud"},
		TransportPTY:    {"link"},
		TransportTCP:    {"listen", "peer"},
		TransportRFCOMM: rfcommKeys,
	}
	for _, t := range []string{TransportSerial, TransportPTY, TransportTCP, TransportRFCOMM} {
		if t == c.Transport {
			continue
		}
		for _, k := range own[t] {
			if o.Has(k) {
				o.Errorf(o.Get(k), o.Field(k), fmt.Sprintf("remove it, or use transport: %s", t), "%s applies to transport: %s only", k, t)
			}
		}
	}
	if c.Transport != TransportTCP && c.Transport != TransportRFCOMM && o.Has("mode") {
		o.Errorf(o.Get("mode"), o.Field("mode"), "remove it, or use transport: tcp or rfcomm", "mode applies to transport: tcp or rfcomm only")
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
	case TransportRFCOMM:
		c.Mode = o.Role(config.Client)
		c.RFCOMM = bluetooth.DecodeRFCOMMLink(o, c.Mode)
	}
	c.Options = DecodeOptions(o)
	// A host's adapter is a trusted bus: a server must name it, or any
	// device in radio range would be one.
	if c.Transport == TransportRFCOMM && c.Mode == config.Server && c.Options.Role == Host && len(c.RFCOMM.Config().Peers) == 0 {
		o.Errorf(o.Get("mode"), o.Field("peers"), "name the adapter's BD_ADDR in peers, or use mode: client", "role: host over an rfcomm server needs peers: the adapter is a trusted bus")
	}
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
	if c.Transport == TransportRFCOMM {
		if err := c.RFCOMM.Check(); err != nil {
			h.Errorf("transport", "use transport: tcp, or a host with Bluetooth", "%v", err)
		}
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
