package tipc

import (
	"math"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
	tp "github.com/fieldgate/fieldgate/tipc"
)

// SocketType is the TIPC socket type of an endpoint.
type SocketType = config.SocketType

// Socket types.
const (
	Stream    = config.StreamSocket    // SOCK_STREAM: a byte stream
	SeqPacket = config.SeqPacketSocket // SOCK_SEQPACKET: one message per batch of frames
)

// Scope names, as written in the configuration (and as tipc(8) prints them).
const (
	scopeCluster = "cluster"
	scopeNode    = "node"
)

// Config is a tipc endpoint's settings.
type Config struct {
	stream.Config
	// Service is what a server publishes: the service type and the
	// instance range Lower..Upper (Lower == Upper for one instance). A
	// client connects to instance Lower (== Upper) of the type.
	Service tp.ServiceRange
	// Scope is how far a server's publication is visible: tp.ClusterScope
	// or tp.NodeScope. A client's is 0: it finds the service anywhere.
	Scope tp.Scope
	// SocketType is Stream or SeqPacket.
	SocketType SocketType
}

var (
	_ config.Binder   = (*Config)(nil)
	_ stream.Settings = (*Config)(nil)
)

// Binds: a server's published service, "type:instance" (or
// "type:lower-upper" for a range); a client binds nothing. Two servers of
// one configuration publishing the same service would split its clients
// between them (TIPC lets several sockets publish one name).
func (c *Config) Binds() []config.Bind {
	if c.Role == config.Client {
		return nil
	}
	return []config.Bind{{Space: "tipc", Addr: serviceKey(c.Service)}}
}

func serviceKey(r tp.ServiceRange) string {
	s := strconv.FormatUint(uint64(r.Type), 10) + ":" + strconv.FormatUint(uint64(r.Lower), 10)
	if r.Upper != r.Lower {
		s += "-" + strconv.FormatUint(uint64(r.Upper), 10)
	}
	return s
}

// Transport returns the TIPC transport of c.
func (c *Config) Transport() stream.Transport { return transport{c} }

var fields = []config.Field{
	{Name: "service", Doc: "`{type, instance}` (required): the TIPC service a server publishes or a client connects to; type 64 or above (0–63 are reserved); a server may publish `{type, lower, upper}` instead"},
	{Name: "scope", Default: scopeCluster, Doc: "server: `cluster` (visible on every node of the cluster) or `node` (this node only)"},
	{Name: "socket", Default: string(Stream), Doc: "`stream` or `seqpacket`"},
}

const (
	hintService  = "a mapping such as {type: 18888, instance: 17}"
	hintType     = "the service type, 64 to 4294967295 (0-63 are reserved for the kernel)"
	hintInstance = "the service instance, e.g. 17 (a server may publish a range with lower: and upper: instead)"
)

func decode(o *config.Object, role config.Role) stream.Settings {
	c := &Config{}
	c.Service = decodeService(o, role)
	if role == config.Server {
		c.Scope = tp.ClusterScope
		if o.OneOf("scope", scopeCluster, scopeCluster, scopeNode) == scopeNode {
			c.Scope = tp.NodeScope
		}
	} else if n := o.Get("scope"); n != nil {
		o.Errorf(n, o.Field("scope"), "only a server publishes; a client finds the service wherever it is published", "scope applies to a server only")
	}
	c.SocketType = SocketType(o.OneOf("socket", string(Stream), string(Stream), string(SeqPacket)))
	return c
}

// decodeService reads the mapping at "service": type and instance, or for
// a server type, lower and upper.
func decodeService(o *config.Object, role config.Role) tp.ServiceRange {
	var r tp.ServiceRange
	n := o.Get("service")
	if n == nil {
		o.Missing("service", hintService)
		return r
	}
	if n.Kind != yaml.MappingNode {
		o.Errorf(n, o.Field("service"), hintService, "expected a mapping, found %s", config.KindOf(n))
		return r
	}
	s := o.Object("service")
	defer s.Done()
	// Every key below is judged here, so a misspelt one is suggested as
	// one of them.
	for _, k := range []string{"instance", "lower", "upper"} {
		s.Get(k)
	}
	if v, ok := readUint(s, "type"); ok {
		if v < tp.ReservedTypes {
			s.Errorf(s.Get("type"), s.Field("type"), "service types 0-63 are reserved for the kernel; use 64 or above", "service type %d is reserved", v)
		} else {
			r.Type = v
		}
	} else if !s.Has("type") {
		s.Missing("type", hintType)
	}
	hasRange := s.Has("lower") || s.Has("upper")
	switch {
	case s.Has("instance"):
		r.Lower, _ = readUint(s, "instance")
		r.Upper = r.Lower
		for _, k := range []string{"lower", "upper"} {
			if n := s.Get(k); n != nil {
				s.Errorf(n, s.Field(k), "give either instance: or lower: and upper:", "%s and instance are exclusive", k)
			}
		}
	case hasRange && role == config.Client:
		for _, k := range []string{"lower", "upper"} {
			if n := s.Get(k); n != nil {
				s.Errorf(n, s.Field(k), "a client connects to one instance: use instance:", "a client cannot connect to a range")
			}
		}
	case hasRange:
		lo, okLo := readUint(s, "lower")
		hi, okHi := readUint(s, "upper")
		for _, k := range []string{"lower", "upper"} {
			if !s.Has(k) {
				s.Missing(k, "a range needs both lower: and upper: (or one instance:)")
			}
		}
		if okLo && okHi && lo > hi {
			s.Errorf(s.Get("upper"), s.Field("upper"), "lower must be <= upper", "upper %d is below lower %d", hi, lo)
		} else {
			r.Lower, r.Upper = lo, hi
		}
	default:
		s.Missing("instance", hintInstance)
	}
	return r
}

// readUint reads a 32-bit unsigned value at key k of o; ok is false when
// it is absent or invalid (an invalid one is reported).
func readUint(o *config.Object, k string) (uint32, bool) {
	n, ok := o.Scalar(k)
	if !ok {
		return 0, false
	}
	v, ok := o.ParseUint(n, o.Field(k), 0, math.MaxUint32)
	return uint32(v), ok
}

func check(o *config.Object, s stream.Settings) {
	c := s.(*Config)
	if c.PDUs && c.SocketType == SeqPacket {
		// A batch of PDUs (up to 64 × 4 KiB) exceeds what one TIPC
		// message may carry (66000 bytes).
		o.Errorf(o.Get("pdus"), o.Field("pdus"), "use socket: stream for a link that carries PDUs", "pdus needs socket: stream")
	}
}
