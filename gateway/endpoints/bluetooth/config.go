package bluetooth

import (
	"strconv"
	"strings"

	bt "github.com/fieldgate/fieldgate/bluetooth"
	"github.com/fieldgate/fieldgate/core"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
)

// Proto is a Bluetooth endpoint's protocol, the kind's name.
type Proto string

// The two kinds.
const (
	RFCOMM Proto = "rfcomm" // RFCOMM channel: a byte stream
	L2CAP  Proto = "l2cap"  // L2CAP channel, seqpacket: messages up to the MTU
)

// Config is an rfcomm or l2cap endpoint's settings.
type Config struct {
	stream.Config
	Proto Proto
	// Address is, for a server, the adapter it listens on (BDAddrAny:
	// every adapter); for a client, the device it connects to.
	Address core.BDAddr
	// Local is, for a client, the adapter it connects from (BDAddrAny:
	// the kernel's choice).
	Local core.BDAddr
	// Channel is the RFCOMM channel (1–30).
	Channel uint8
	// PSM is the L2CAP PSM: odd, 0x1001–0xffff with bit 8 clear.
	PSM uint16
	// MTU is the L2CAP incoming MTU this end offers (the largest message
	// the peer may send); the outgoing one is what the peer offers.
	MTU uint16
	// Security is the BT_SECURITY level the kernel enforces before a
	// connection is delivered (and while it lasts).
	Security bt.SecurityLevel
	// Peers, for a server, are the devices it accepts; nil accepts any.
	Peers []core.BDAddr
}

var (
	_ config.Binder   = (*Config)(nil)
	_ stream.Settings = (*Config)(nil)
)

// Binds: a server's adapter and channel or PSM; a client binds nothing.
func (c *Config) Binds() []config.Bind {
	if c.Role == config.Client {
		return nil
	}
	if c.Proto == L2CAP {
		return []config.Bind{{Space: "l2cap", Addr: c.Address.String() + " psm=0x" + strconv.FormatUint(uint64(c.PSM), 16)}}
	}
	return []config.Bind{{Space: "rfcomm", Addr: c.Address.String() + " channel=" + strconv.Itoa(int(c.Channel))}}
}

// Transport returns the Bluetooth transport of c.
func (c *Config) Transport() stream.Transport { return transport{c} }

// Security level names, as written in the configuration.
var securityNames = []string{"low", "medium", "high", "fips"}

// DefaultMTU is the L2CAP MTU offered when mtu is not set: the L2CAP
// default (and the kernel's).
const DefaultMTU = 672

// maxMTU bounds mtu: the stream reads at most 32 KiB at a time, and a
// seqpacket read shorter than the message loses the rest.
const maxMTU = 32 << 10

var (
	fieldAddress  = config.Field{Name: "address", Doc: "server: the adapter's `BD_ADDR` to listen on (default: every adapter); client: the device to connect to (required)"}
	fieldLocal    = config.Field{Name: "local", Doc: "client: the adapter's `BD_ADDR` to connect from (default: the kernel's choice)"}
	fieldSecurity = config.Field{Name: "security", Default: "low", Doc: "`low`, `medium` (authenticated), `high` (authenticated with MITM protection, encrypted) or, L2CAP only, `fips` (as high, Secure Connections): the BT_SECURITY level the kernel enforces before a connection is delivered"}
	fieldPeers    = config.Field{Name: "peers", Default: "any", Doc: "server: the device addresses (`BD_ADDR`) allowed to connect; others are closed and counted (`allow_peers` rejections, `auth` drops)"}

	rfcommFields = []config.Field{
		fieldAddress,
		{Name: "channel", Doc: "the RFCOMM channel, 1–30 (required)"},
		fieldLocal, fieldSecurity, fieldPeers,
	}
	l2capFields = []config.Field{
		fieldAddress,
		{Name: "psm", Doc: "the L2CAP PSM (required): odd, 0x1001–0xffff, bit 8 clear (0x1001, 0x1003, …)"},
		fieldLocal,
		{Name: "mtu", Default: strconv.Itoa(DefaultMTU), Doc: "the largest message this end takes (L2CAP incoming MTU, 48–32768); what it sends is cut to the peer's"},
		fieldSecurity, fieldPeers,
	}
)

const hintAddr = "a Bluetooth device address such as 00:1A:7D:DA:71:13"

func decode(o *config.Object, role config.Role, p Proto) stream.Settings {
	c := &Config{Proto: p}
	if role == config.Client {
		if !o.Has("address") {
			o.Missing("address", "the device to connect to: "+hintAddr)
		}
	}
	c.Address = readAddr(o, "address")
	if role == config.Client {
		c.Local = readAddr(o, "local")
		if n, ok := o.Scalar("address"); ok && c.Address == core.BDAddrAny && n.Value != "" && isZeroAddr(n.Value) {
			o.Errorf(o.Get("address"), o.Field("address"), "the device to connect to: "+hintAddr, "a client needs a device address, not 00:00:00:00:00:00")
		}
	} else if n := o.Get("local"); n != nil {
		o.Errorf(n, o.Field("local"), "a server listens on address:", "local applies to a client only")
	}
	if p == RFCOMM {
		c.Channel = uint8(o.Uint("channel", 0, 1, 30))
		if !o.Has("channel") {
			o.Missing("channel", "the RFCOMM channel, 1 to 30")
		}
	} else {
		c.PSM = readPSM(o)
		c.MTU = uint16(o.Uint("mtu", DefaultMTU, 48, maxMTU))
	}
	levels := securityNames
	if p == RFCOMM {
		levels = levels[:3] // the kernel's RFCOMM sockets refuse BT_SECURITY_FIPS
	}
	switch o.OneOf("security", "low", levels...) {
	case "medium":
		c.Security = bt.SecurityMedium
	case "high":
		c.Security = bt.SecurityHigh
	case "fips":
		c.Security = bt.SecurityFIPS
	default:
		c.Security = bt.SecurityLow
	}
	if n := o.Get("peers"); n != nil && role == config.Client {
		o.Errorf(n, o.Field("peers"), "a client connects to address: only", "peers applies to a server only")
	} else {
		for _, n := range o.List("peers") {
			a, err := core.ParseBDAddr(n.Value)
			if err != nil || a == core.BDAddrAny {
				o.Errorf(n, o.Field("peers"), hintAddr, "invalid device address %q", n.Value)
				continue
			}
			c.Peers = append(c.Peers, a)
		}
	}
	return c
}

// readAddr reads a device address at k (BDAddrAny when absent or invalid;
// an invalid one is reported).
func readAddr(o *config.Object, k string) core.BDAddr {
	n, ok := o.Scalar(k)
	if !ok {
		return core.BDAddrAny
	}
	a, err := core.ParseBDAddr(n.Value)
	if err != nil {
		o.Errorf(n, o.Field(k), hintAddr, "invalid device address %q", n.Value)
		return core.BDAddrAny
	}
	return a
}

// readPSM reads psm: a valid dynamic PSM (odd, bit 8 clear, 0x1001 or
// above; the ones below are assigned by the Bluetooth SIG and need
// CAP_NET_BIND_SERVICE).
func readPSM(o *config.Object) uint16 {
	n, ok := o.Scalar("psm")
	if !ok {
		if !o.Has("psm") {
			o.Missing("psm", "an L2CAP PSM such as 0x1001")
		}
		return 0
	}
	v, ok := o.ParseUint(n, o.Field("psm"), 0x1001, 0xFFFF)
	if !ok {
		return 0
	}
	if v&0x0101 != 0x0001 {
		o.Errorf(n, o.Field("psm"), "a PSM is odd with bit 8 clear: 0x1001, 0x1003, …, 0x10ff, 0x1201, …", "invalid PSM %s", strings.ToLower(n.Value))
		return 0
	}
	return uint16(v)
}

// isZeroAddr reports whether s parses as 00:00:00:00:00:00.
func isZeroAddr(s string) bool {
	a, err := core.ParseBDAddr(s)
	return err == nil && a == core.BDAddrAny
}
