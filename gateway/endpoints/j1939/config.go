package j1939

import (
	"github.com/fieldgate/fieldgate/gateway/config"
)

// Config is a j1939 endpoint's settings (the former J1939Options and the
// interface).
type Config struct {
	Interface string
	Name      uint64   // 64-bit J1939 NAME to bind; 0: none
	Addr      uint8    // our source address; 0xFF: none (receive only unless Name is set)
	PGNs      []uint32 // receive only these PGNs; empty: all
	Promisc   bool     // receive messages addressed to others too
}

// Traits: a local CAN bus, J1939 messages, both ways.
func (c *Config) Traits() config.Traits {
	return config.Traits{Carries: config.CarriesPDUs, Trust: config.TrustBus, Interface: c.Interface}
}

var fields = []config.Field{
	{Name: "interface", Doc: "CAN interface"},
	{Name: "address", Default: "0xFF", Doc: "our source address (0x00–0xFD); without it (and without `name`) the endpoint only receives"},
	{Name: "name", Default: "0", Doc: "64-bit J1939 NAME to bind (address claiming is done by the kernel)"},
	{Name: "pgns", Doc: "receive only these PGNs; default all"},
	{Name: "promiscuous", Default: "false", Doc: "receive messages addressed to others too"},
}

func decode(o *config.Object) config.Settings {
	c := &Config{}
	c.Interface = o.Interface("the CAN interface name, e.g. can0 or vcan0")
	c.Name = o.Uint("name", 0, 0, 1<<64-1)
	c.Addr = uint8(o.Uint("address", 0xFF, 0, 0xFF)) // 0xFF: no address (receive only unless name is set)
	for _, n := range o.List("pgns") {
		if v, ok := o.ParseUint(n, o.Field("pgns"), 0, 0x3FFFF); ok {
			c.PGNs = append(c.PGNs, uint32(v))
		}
	}
	c.Promisc = o.Bool("promiscuous", false)
	return c
}

var _ config.HostChecker = (*Config)(nil)

// CheckHost warns when the interface is not present on this host.
func (c *Config) CheckHost(h *config.Host) { h.Interface("interface", c.Interface) }
