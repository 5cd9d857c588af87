package udpmulticast

import (
	"net/netip"
	"strconv"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// python-can's UdpMulticastBus defaults.
const (
	DefaultGroupIPv6 = "ff15:7079:7468:6f6e:6465:6d6f:6d63:6173"
	DefaultGroupIPv4 = "239.74.163.2"
	DefaultPort      = 43113
)

// Config is a udp_multicast endpoint's settings.
type Config struct {
	Group      netip.Addr // multicast group, IPv4 or IPv6
	Port       int
	HopLimit   int    // IPv4 TTL or IPv6 hop limit
	Interface  string // network interface to join and send on; "" = the kernel's choice
	Loopback   bool   // IP_MULTICAST_LOOP: local peers (python-can on this host) hear us
	FD         bool   // false: CAN FD frames are neither sent nor received
	SenderTime bool   // frame time = the sender's timestamp, not the receive time
	AllowPeers []string
}

var _ config.Binder = (*Config)(nil)

// Traits: a network link anyone on the LAN can send to, CAN and CAN FD.
func (c *Config) Traits() config.Traits {
	return config.Traits{Carries: config.CarriesCAN | config.CarriesCANFD, Trust: config.TrustRemote}
}

// Binds: the group and port on the interface (several endpoints may join
// different groups on one port, as python-can buses do).
func (c *Config) Binds() []config.Bind {
	return []config.Bind{{Space: "udp_multicast", Addr: netip.AddrPortFrom(c.Group, uint16(c.Port)).String() + "%" + c.Interface}}
}

var fields = []config.Field{
	{Name: "group", Default: DefaultGroupIPv6, Doc: "multicast group: an IPv4 (`224.0.0.0/4`, python-can's other default `" + DefaultGroupIPv4 + "`) or IPv6 (`ff00::/8`) address; python-can's `channel`"},
	{Name: "port", Default: strconv.Itoa(DefaultPort), Doc: "UDP port; python-can's `port`"},
	{Name: "hop_limit", Default: "1", Doc: "IPv4 TTL or IPv6 hop limit of sent datagrams (1–255); python-can's `hop_limit`"},
	{Name: "interface", Doc: "network interface to join the group and send on (default: the kernel's choice by route, as python-can)"},
	{Name: "loopback", Default: "true", Doc: "multicast loopback: programs on this host (python-can) receive what we send; our own datagrams are never read back"},
	{Name: "fd", Default: "true", Doc: "`false`: CAN FD frames are not sent (`unsupported`) and received ones are ignored, as python-can's `fd=False`"},
	{Name: "timestamp", Default: "receive", Doc: "frame time: `receive` (the kernel's receive time, what python-can uses) or `sender` (the time in the message)"},
	{Name: "allow_peers", Doc: "IP addresses or CIDR prefixes allowed to send to us (default: any)"},
}

func decode(o *config.Object) config.Settings {
	c := &Config{}
	g := o.Str("group", DefaultGroupIPv6)
	a, err := netip.ParseAddr(g)
	switch {
	case err != nil:
		o.Errorf(o.Get("group"), o.Field("group"), "an IPv4 or IPv6 multicast address, e.g. "+DefaultGroupIPv4, "group %q: %v", g, err)
	case !a.IsMulticast():
		o.Errorf(o.Get("group"), o.Field("group"), "224.0.0.0/4 or ff00::/8", "group %s is not a multicast address", a)
	case a.Zone() != "":
		o.Errorf(o.Get("group"), o.Field("group"), "use interface: for the zone", "group %s has a zone", a)
	}
	c.Group = a.Unmap()
	c.Port = int(o.Uint("port", DefaultPort, 1, 65535))
	c.HopLimit = int(o.Uint("hop_limit", 1, 1, 255))
	c.Interface = o.Str("interface", "")
	if c.Interface != "" && !config.ValidInterface(c.Interface) {
		o.Errorf(o.Get("interface"), o.Field("interface"), "at most 15 characters, no spaces", "invalid interface name %q", c.Interface)
	}
	c.Loopback = o.Bool("loopback", true)
	c.FD = o.Bool("fd", true)
	c.SenderTime = o.OneOf("timestamp", "receive", "receive", "sender") == "sender"
	c.AllowPeers = o.AllowPeers()
	return c
}
