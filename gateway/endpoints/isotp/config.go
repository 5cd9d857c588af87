package isotp

import (
	"fmt"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// Config is an isotp endpoint's settings.
type Config struct {
	Interface  string
	TxID, RxID uint32 // bit 31 (0x80000000) set for 29-bit IDs
	FD         bool   // CAN FD link layer (TX_DL 64)
	Options    Options
}

// Options are the ISO-TP socket options of an isotp endpoint.
type Options struct {
	Padding   *uint8 // pad frames with this byte (TX and RX); nil: no padding
	BlockSize uint8  // flow control we send
	STmin     uint8  // flow control we send
	ExtAddr   *uint8 // extended addressing byte; nil: normal addressing
}

var _ config.Binder = (*Config)(nil)

// Traits: a local CAN bus, ISO-TP PDUs, both ways.
func (c *Config) Traits() config.Traits {
	return config.Traits{Carries: config.CarriesPDUs, Trust: config.TrustBus, Interface: c.Interface}
}

// Binds: the channel's receive ID on its interface; two sockets receiving
// the same ID would each get only part of the traffic.
func (c *Config) Binds() []config.Bind {
	return []config.Bind{{Space: "isotp", Addr: fmt.Sprintf("%s %x", c.Interface, c.RxID)}}
}

var fields = []config.Field{
	{Name: "interface", Doc: "CAN interface"},
	{Name: "rx_id", Doc: "receive CAN ID (set bit 31, `0x80000000`, for 29-bit IDs)"},
	{Name: "tx_id", Doc: "transmit CAN ID (set bit 31, `0x80000000`, for 29-bit IDs)"},
	{Name: "fd", Default: "false", Doc: "CAN FD link layer (TX_DL 64)"},
	{Name: "options", Doc: "`padding` (pad frames with this byte, TX and RX; default none), `ext_addr` (extended addressing byte; default none), `block_size` and `stmin` (flow control we send; default 0)"},
}

func decode(o *config.Object) config.Settings {
	c := &Config{}
	c.Interface = o.Interface("the CAN interface name, e.g. can0 or vcan0")
	c.TxID = uint32(o.Uint("tx_id", 0, 0, 0x9FFFFFFF))
	c.RxID = uint32(o.Uint("rx_id", 0, 0, 0x9FFFFFFF))
	if !o.Has("tx_id") || !o.Has("rx_id") {
		o.Errorf(nil, o.Path(), "an isotp endpoint needs tx_id and rx_id", "missing tx_id/rx_id")
	}
	if c.TxID == c.RxID && o.Has("tx_id") {
		o.Errorf(o.Get("rx_id"), o.Field("rx_id"), "use different IDs for the two directions", "rx_id equals tx_id")
	}
	io := o.Object("options")
	if io.Has("padding") {
		p := uint8(io.Uint("padding", 0, 0, 255))
		c.Options.Padding = &p
	}
	if io.Has("ext_addr") {
		p := uint8(io.Uint("ext_addr", 0, 0, 255))
		c.Options.ExtAddr = &p
	}
	c.Options.BlockSize = uint8(io.Uint("block_size", 0, 0, 255))
	c.Options.STmin = uint8(io.Uint("stmin", 0, 0, 255))
	io.Done()
	c.FD = o.Bool("fd", false)
	return c
}

var _ config.HostChecker = (*Config)(nil)

// CheckHost warns when the interface is not present on this host.
func (c *Config) CheckHost(h *config.Host) { h.Interface("interface", c.Interface) }
