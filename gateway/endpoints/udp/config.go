package udp

import (
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// Config is a udp endpoint's settings.
type Config struct {
	Listen string        // local host:port
	Peer   string        // remote host:port; "" sends to the last peer heard from
	MTU    int           // path MTU: datagrams are filled up to it less IP/UDP headers
	Flush  time.Duration // > 0: a datagram waits this long after its first frame
	// Coalesce (flush: 0): the link sends at most one datagram that is
	// not full per Coalesce on average, the first few at once (see
	// udpConn.flushPolicy). 0 sends every batch at once.
	Coalesce   time.Duration
	AllowPeers []string     // IP addresses and CIDR prefixes allowed to send to us
	Auth       *config.Auth // authenticated mode, nil when off
}

// DefaultCoalesce is coalesce's default: on average at most one datagram
// that is not full per millisecond on a busy link; no frame is delayed on
// a quiet one.
const DefaultCoalesce = time.Millisecond

var _ config.Binder = (*Config)(nil)

// Traits: a network link, every frame type (CAN frames in cannelloni
// datagrams, PDUs and Ethernet frames in OpPDU datagrams), both ways.
func (c *Config) Traits() config.Traits {
	return config.Traits{
		Carries: config.CarriesCAN | config.CarriesCANFD | config.CarriesPDUs | config.CarriesEthernet,
		Trust:   config.TrustRemote,
	}
}

// Binds: the local UDP port.
func (c *Config) Binds() []config.Bind {
	return []config.Bind{{Space: "udp", Addr: config.NormAddr(c.Listen)}}
}

var fields = []config.Field{
	{Name: "listen", Doc: "local `host:port`"},
	{Name: "peer", Doc: "remote `host:port`; without it, frames go to the last peer heard from"},
	{Name: "mtu", Default: "1500", Doc: "path MTU (576–65535); datagrams are filled up to MTU − IP/UDP headers (− 36 bytes with `auth`)"},
	{Name: "flush", Default: "0", Doc: "`0`: datagrams go as `coalesce` says; a duration (e.g. `100ms`, cannelloni's default) holds each datagram that long after its first frame to fill it"},
	{Name: "coalesce", Default: "1ms", Doc: "with `flush: 0`: the link sends at most one datagram that is not full per `coalesce` on average, up to 4 at once after a quiet spell; frames beyond that rate wait for the next slot, together (0–100ms; `0` sends every batch at once)"},
	{Name: "allow_peers", Doc: "IP addresses or CIDR prefixes allowed to send to us (default: any)"},
	{Name: "auth", Doc: "`{key_file: psk, provider: auto, replay_window: 1024}`: authenticate and encrypt datagrams (AES-256-GCM) with a 32-byte pre-shared key in a mode-0600 file"},
}

func decode(o *config.Object) config.Settings {
	c := &Config{}
	c.Listen = o.HostPort("listen", true, "")
	c.Peer = o.HostPort("peer", false, "")
	c.MTU = int(o.Uint("mtu", config.DefaultMTU, 576, 65535))
	c.Flush = o.Duration("flush", config.DefaultFlush, 0, 10*time.Second)
	c.Coalesce = o.Duration("coalesce", DefaultCoalesce, 0, 100*time.Millisecond)
	if c.Flush > 0 && o.Has("coalesce") {
		o.Errorf(o.Get("coalesce"), o.Field("coalesce"), "remove coalesce, or set flush: 0", "coalesce applies with flush: 0 only (flush is %v)", c.Flush)
	}
	c.AllowPeers = o.AllowPeers()
	c.Auth = o.Auth()
	return c
}

var _ config.HostChecker = (*Config)(nil)

// CheckHost reads the key file as opening the endpoint does.
func (c *Config) CheckHost(h *config.Host) {
	if c.Auth != nil && c.Auth.KeyFile != "" {
		_, err := readKeyFile(c.Auth.KeyFile)
		h.Report(err)
	}
}
