package can

import (
	"github.com/fieldgate/fieldgate/gateway/config"
)

// Config is a can endpoint's settings.
type Config struct {
	Interface string
	FD        bool            // receive and send CAN FD frames
	Filters   []config.Filter // kernel receive filters
	ErrorMask uint32          // error classes to receive (CAN_ERR_MASK bits)
	Confirm   bool            // count frames never transmitted from the socket's own echoes
}

var _ config.RawCAN = (*Config)(nil)

// Traits: a local CAN bus, CAN frames (and CAN FD with fd: true), both ways.
func (c *Config) Traits() config.Traits {
	carries := config.CarriesCAN
	if c.FD {
		carries |= config.CarriesCANFD
	}
	return config.Traits{Carries: carries, Trust: config.TrustBus, Interface: c.Interface}
}

// RawCAN: the endpoint is a raw socket on its interface; can-gw may forward
// for it when it has no socket filters.
func (c *Config) RawCAN() (iface string, fd, filtered bool) {
	return c.Interface, c.FD, len(c.Filters) > 0
}

var fields = []config.Field{
	{Name: "interface", Doc: "e.g. `can0`, `vcan0` (≤ 15 characters)"},
	{Name: "fd", Default: "false", Doc: "receive and send CAN FD frames"},
	{Name: "filters", Doc: "kernel receive filters: `\"123:7FF\"` (id:mask, hex), `\"123~7FF\"` (inverted), or `{id: 0x123, mask: 0x7FF, inverted: false}`; default all"},
	{Name: "error_mask", Default: "0", Doc: "CAN error classes to receive as error frames (`CAN_ERR_MASK` bits, e.g. `0x1FFFFFFF` for all)"},
	{Name: "confirm", Default: "false", Doc: "exact transmit accounting: frames still unconfirmed by their echo when the interface goes down are counted as `tx_lost`"},
}

func decode(o *config.Object) config.Settings {
	c := &Config{}
	c.Interface = o.Interface("the CAN interface name, e.g. can0 or vcan0")
	c.FD = o.Bool("fd", false)
	c.Filters = o.Filters("filters")
	c.ErrorMask = uint32(o.Uint("error_mask", 0, 0, 0x1FFFFFFF))
	c.Confirm = o.Bool("confirm", false)
	return c
}

var _ config.HostChecker = (*Config)(nil)

// CheckHost warns when the interface is not present on this host.
func (c *Config) CheckHost(h *config.Host) { h.Interface("interface", c.Interface) }
