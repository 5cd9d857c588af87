package packet

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	afpacket "github.com/fieldgate/fieldgate/packet"
	"gopkg.in/yaml.v3"
)

// Receive ring defaults: 16 blocks of 128 KiB, a block handed over at the
// latest 2 ms after its first frame.
const (
	DefaultRingBlockSize = 128 << 10
	DefaultRingBlocks    = 16
	DefaultRingTimeout   = 2 * time.Millisecond
)

// Config is a packet endpoint's settings.
type Config struct {
	Interface   string // the Ethernet interface
	Promiscuous bool   // put the interface into promiscuous mode
	Filter      string // tcpdump expression, compiled to classic BPF
	Ring        Ring   // TPACKET_V3 receive ring
}

// Ring sizes a packet endpoint's TPACKET_V3 receive ring.
type Ring struct {
	BlockSize int64         // bytes, a multiple of the page size
	Blocks    int           // number of blocks
	Timeout   time.Duration // block retire timeout: the latency bound at low rates
}

// Traits: an Ethernet interface of this host, Ethernet frames only, both
// ways.
func (c *Config) Traits() config.Traits {
	return config.Traits{Carries: config.CarriesEthernet, Trust: config.TrustBus, Interface: c.Interface}
}

var fields = []config.Field{
	{Name: "interface", Doc: "the Ethernet interface, e.g. eth0 or veth1"},
	{Name: "promiscuous", Default: "false", Doc: "put the interface into promiscuous mode (frames for other MAC addresses too)"},
	{Name: "filter", Doc: "tcpdump expression (pcap-filter(7)) the kernel applies to received frames, e.g. `ether proto 0x88b5`"},
	{Name: "ring", Doc: "receive ring `{block_size: 128KiB, blocks: 16, timeout: 2ms}`: block size (multiple of 4 KiB, 8KiB-64MiB), block count (2-4096), and the latest a block is handed over after its first frame (1ms-1s)"},
}

func decode(o *config.Object) config.Settings {
	c := &Config{}
	c.Interface = o.NetInterface("the Ethernet interface name, e.g. eth0 or veth1")
	c.Promiscuous = o.Bool("promiscuous", false)
	if fn, ok := o.Scalar("filter"); ok {
		c.Filter = fn.Value
		checkFilter(o, fn, o.Field("filter"))
	}
	rn := o.Object("ring")
	c.Ring.BlockSize = rn.Size("block_size", DefaultRingBlockSize)
	c.Ring.Blocks = int(rn.Uint("blocks", DefaultRingBlocks, 2, 4096))
	c.Ring.Timeout = rn.Duration("timeout", DefaultRingTimeout, time.Millisecond, time.Second)
	if bs := c.Ring.BlockSize; bs < 8192 || bs > 64<<20 || bs%4096 != 0 {
		rn.Errorf(rn.Get("block_size"), rn.Field("block_size"), "a multiple of 4 KiB between 8KiB and 64MiB, larger than the largest frame (4096 bytes + headers)", "invalid block size %d", bs)
	}
	rn.Done()
	return c
}

// filterOffset finds the byte offset in a filter compiler error.
var filterOffset = regexp.MustCompile(`^filter: offset (\d+): `)

// checkFilter compiles a tcpdump expression as the endpoint will attach
// it; an error points at the offending column when the value is written
// on one line.
func checkFilter(o *config.Object, n *yaml.Node, field string) {
	if _, err := afpacket.AssembleFilter(n.Value, nil); err != nil {
		p := o.Pos(n)
		msg := err.Error()
		if m := filterOffset.FindStringSubmatch(msg); m != nil {
			msg = strings.TrimPrefix(msg, m[0])
			off, _ := strconv.Atoi(m[1])
			switch n.Style {
			case 0:
				p.Column += off
			case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
				if !strings.ContainsAny(n.Value, "\\'\"\n") {
					p.Column += 1 + off
				}
			}
		} else {
			msg = strings.TrimPrefix(msg, "filter: ")
		}
		o.ErrorAt(p, field, "pcap-filter(7) syntax, e.g. \"ether proto 0x88b5 or (ip and udp port 319)\"; host names are not resolved", "%s", "tcpdump filter: "+msg)
	}
}
