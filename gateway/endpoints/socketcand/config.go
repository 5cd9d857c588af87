package socketcand

import (
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
	"github.com/fieldgate/fieldgate/gateway/internal/tlsconf"
)

// DefaultListen is the address a socketcand endpoint listens on when the
// configuration gives none (socketcand's own port, on loopback).
const DefaultListen = "127.0.0.1:29536"

// Config is a socketcand endpoint's settings.
type Config struct {
	Listen string // local host:port
	Bus    string // the bus name clients open
	// Interface is the CAN interface for the modes that need a kernel
	// socket of their own per client (ISO-TP mode, muxfilter); "" if unset.
	Interface  string
	Beacon     bool // broadcast the discovery beacon
	MaxClients int
	// MaxClientsPerPeer is how many connections one IP address may hold;
	// 0 means peerlimit.DefaultMaxPerPeer, never more than MaxClients.
	MaxClientsPerPeer int
	// HandshakeTimeout bounds TLS and "< open BUS >" after connect; 0
	// means peerlimit.DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration
	AllowPeers       []string
	TLS              *config.TLS
	// Framing is how frame messages are laid out on the stream:
	// FramingAligned (the default) or FramingCompact.
	Framing string
	// RTR says what raw-mode clients get for a remote frame: RTRDrop (the
	// default) or RTRMessage.
	RTR string
	// Statistics is what "< stat >" reports: StatInterface (the default)
	// or StatClient.
	Statistics string
}

// Values of Config.Framing, Config.RTR and Config.Statistics.
const (
	// FramingAligned pads every frame message in front (a newline, then
	// spaces) to a whole number of 64-byte records, so that python-can
	// 4.1's 1024-byte reads never split a message.
	FramingAligned = "aligned"
	// FramingCompact sends messages back to back, byte for byte as
	// socketcand does.
	FramingCompact = "compact"
	// RTRDrop sends remote frames to no client, as socketcand does
	// (python-can 4.1 cannot parse "< rtr … >"); they are counted as
	// unsupported.
	RTRDrop = "drop"
	// RTRMessage sends "< rtr ID SEC.USEC DLC >" (socketcand's
	// doc/protocol.md) to raw-mode clients.
	RTRMessage = "message"
	// StatInterface reports the counters of the interface (interface, else
	// bus), as socketcand reports its bus's /proc/net/dev counters.
	StatInterface = "interface"
	// StatClient reports what this endpoint sent to and received from the
	// client.
	StatClient = "client"
)

var _ config.Binder = (*Config)(nil)

// Traits: a server reachable from the network, carrying CAN and CAN FD
// frames both ways; its interface (if set) is the bus its clients' own
// kernel sockets are on, so link state follows it.
func (c *Config) Traits() config.Traits {
	return config.Traits{
		Carries:   config.CarriesCAN | config.CarriesCANFD,
		Trust:     config.TrustRemote,
		Interface: c.Interface,
	}
}

// Binds: the TCP listening address.
func (c *Config) Binds() []config.Bind {
	return []config.Bind{{Space: "tcp", Addr: config.NormAddr(c.Listen)}}
}

var fields = []config.Field{
	{Name: "listen", Default: DefaultListen, Doc: "local `host:port`"},
	{Name: "bus", Doc: "the bus name clients `open` (e.g. `vcan0`); other names get `< error could not open bus >`"},
	{Name: "interface", Doc: "the CAN interface for the modes that need a kernel socket per client: ISO-TP mode and `muxfilter`. Without it they are answered with an error"},
	{Name: "beacon", Default: "false", Doc: "broadcast the discovery beacon to UDP port 42000 every 3 s"},
	{Name: "max_clients", Default: "16", Doc: "further clients are refused"},
	{Name: "max_clients_per_peer", Default: "4", Doc: "connections one IP address may hold at once, those not yet opened included; at most max_clients"},
	{Name: "handshake_timeout", Default: "5s", Doc: "a client that has not completed TLS and `< open BUS >` this long after connecting is disconnected and counted"},
	{Name: "allow_peers", Doc: "allowed client addresses/prefixes (any when unset)"},
	{Name: "tls", Doc: "`{cert:, key:, ca:}`: TLS server certificate and key; with ca, require client certificates signed by it"},
	{Name: "framing", Default: FramingAligned, Doc: "`aligned`: each frame message is preceded by a newline and spaces up to a whole number of 64-byte records, so python-can 4.1 (1024-byte reads) never sees a message split; `compact`: messages back to back, socketcand's exact bytes"},
	{Name: "rtr", Default: RTRDrop, Doc: "remote frames: `drop` (as socketcand: sent to no client, counted `unsupported`; python-can 4.1 cannot parse them) or `message` (raw-mode clients get `< rtr ID SEC.USEC DLC >`)"},
	{Name: "statistics", Default: StatInterface, Doc: "what `< stat >` reports: `interface` (the counters of `interface`, else of the interface named `bus`, as socketcand) or `client` (bytes and frames this endpoint sent to and took from the client)"},
}

func decode(o *config.Object) config.Settings {
	c := &Config{}
	c.Listen = o.HostPort("listen", false, DefaultListen)
	c.Bus = o.Str("bus", "")
	if c.Bus == "" {
		o.Missing("bus", "the bus name clients open, e.g. vcan0")
	}
	if o.Has("interface") {
		// Optional: the CAN interface for the modes that need a
		// kernel socket of their own per client (isotpmode, muxfilter).
		c.Interface = o.Interface("the CAN interface name, e.g. can0 or vcan0")
	}
	c.Beacon = o.Bool("beacon", false)
	c.MaxClients = int(o.Uint("max_clients", config.DefaultMaxClients, 1, 4096))
	c.MaxClientsPerPeer = stream.DecodePerPeer(o, config.Server, c.MaxClients)
	c.HandshakeTimeout = stream.DecodeHandshakeTimeout(o)
	c.AllowPeers = o.AllowPeers()
	c.TLS = o.TLS(true)
	c.Framing = o.OneOf("framing", FramingAligned, FramingAligned, FramingCompact)
	c.RTR = o.OneOf("rtr", RTRDrop, RTRDrop, RTRMessage)
	c.Statistics = o.OneOf("statistics", StatInterface, StatInterface, StatClient)
	return c
}

var _ config.HostChecker = (*Config)(nil)

// CheckHost loads the TLS certificate, key and CA as opening the endpoint
// does, and warns when the interface is missing.
func (c *Config) CheckHost(h *config.Host) {
	_, err := tlsconf.Load(c.TLS, true)
	h.Report(err)
	h.Interface("interface", c.Interface)
}
