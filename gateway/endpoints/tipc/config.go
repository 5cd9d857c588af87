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
	// RDM is SOCK_RDM: reliable datagrams, one cannelloni datagram per
	// message, no connection.
	RDM SocketType = "rdm"
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
	// SocketType is Stream, SeqPacket or RDM.
	SocketType SocketType
	// To, for RDM, is where frames go: with Multicast every socket that
	// publishes an instance of the range gets a copy; without, one socket
	// publishing instance To.Lower (== To.Upper) does, which the kernel
	// picks. A zero To sends to the socket heard from last. The
	// topology service reports the sockets of To as peers.
	To        tp.ServiceRange
	Multicast bool
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
	if c.Role == config.Client || c.Service.Type == 0 {
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
	{Name: "service", Doc: "`{type, instance}` (required, but optional with `socket: rdm`): the TIPC service a server (or an `rdm` endpoint) publishes or a client connects to; type 64 or above (0–63 are reserved); a server may publish `{type, lower, upper}` instead"},
	{Name: "scope", Default: scopeCluster, Doc: "server (or `rdm` with `service`): `cluster` (visible on every node of the cluster) or `node` (this node only)"},
	{Name: "socket", Default: string(Stream), Doc: "`stream`, `seqpacket` (connections) or `rdm` (reliable datagrams, no connection: one cannelloni datagram per message)"},
	{Name: "to", Doc: "`rdm`: where frames go: `{type, instance}` (one socket publishing it, the kernel's pick) or `{type, lower, upper}` (multicast: every socket publishing an instance in the range); without it, to the socket heard from last. The topology service reports its sockets as peers"},
}

const (
	hintService  = "a mapping such as {type: 18888, instance: 17}"
	hintType     = "the service type, 64 to 4294967295 (0-63 are reserved for the kernel)"
	hintInstance = "the service instance, e.g. 17 (a server may publish a range with lower: and upper: instead)"
	hintTo       = "a mapping such as {type: 18888, instance: 2}, or {type: 18888, lower: 0, upper: 99} to multicast"
)

func decode(o *config.Object, role config.Role) stream.Settings {
	c := &Config{}
	c.SocketType = SocketType(o.OneOf("socket", string(Stream), string(Stream), string(SeqPacket), string(RDM)))
	if c.SocketType == RDM {
		decodeRDM(o, role, c)
		return c
	}
	if n := o.Get("to"); n != nil {
		o.Errorf(n, o.Field("to"), "a client connects to service:; to: is for socket: rdm", "to applies to socket: rdm only")
	}
	c.Service = decodeService(o, role)
	if role == config.Server {
		c.Scope = tp.ClusterScope
		if o.OneOf("scope", scopeCluster, scopeCluster, scopeNode) == scopeNode {
			c.Scope = tp.NodeScope
		}
	} else if n := o.Get("scope"); n != nil {
		o.Errorf(n, o.Field("scope"), "only a server publishes; a client finds the service wherever it is published", "scope applies to a server only")
	}
	return c
}

// decodeRDM reads an rdm endpoint's service (optional), scope and to; one
// of service and to is required. It has no connections: mode: client is
// refused.
func decodeRDM(o *config.Object, role config.Role, c *Config) {
	if role == config.Client {
		o.Errorf(o.Get("mode"), o.Field("mode"), "remove mode: an rdm endpoint receives at service: and sends to to:", "socket: rdm has no client mode")
	}
	if o.Has("service") {
		c.Service = decodeService(o, config.Server)
		c.Scope = tp.ClusterScope
		if o.OneOf("scope", scopeCluster, scopeCluster, scopeNode) == scopeNode {
			c.Scope = tp.NodeScope
		}
	} else if n := o.Get("scope"); n != nil {
		o.Errorf(n, o.Field("scope"), "scope is how far service: is published", "scope needs service:")
	}
	if o.Has("to") {
		c.To, c.Multicast = decodeTo(o)
	}
	if !o.Has("service") && !o.Has("to") {
		o.Missing("to", "an rdm endpoint needs to: (where frames go), service: (where it receives) or both")
	}
}

// decodeTo reads "to": {type, instance} (anycast) or {type, lower, upper}
// (multicast).
func decodeTo(o *config.Object) (tp.ServiceRange, bool) {
	var r tp.ServiceRange
	n := o.Get("to")
	if n.Kind != yaml.MappingNode {
		o.Errorf(n, o.Field("to"), hintTo, "expected a mapping, found %s", config.KindOf(n))
		return r, false
	}
	s := o.Object("to")
	defer s.Done()
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
	switch {
	case s.Has("instance"):
		r.Lower, _ = readUint(s, "instance")
		r.Upper = r.Lower
		for _, k := range []string{"lower", "upper"} {
			if n := s.Get(k); n != nil {
				s.Errorf(n, s.Field(k), "give instance: (one socket) or lower: and upper: (multicast)", "%s and instance are exclusive", k)
			}
		}
		return r, false
	case s.Has("lower") || s.Has("upper"):
		lo, okLo := readUint(s, "lower")
		hi, okHi := readUint(s, "upper")
		for _, k := range []string{"lower", "upper"} {
			if !s.Has(k) {
				s.Missing(k, "a multicast range needs both lower: and upper:")
			}
		}
		if okLo && okHi && lo > hi {
			s.Errorf(s.Get("upper"), s.Field("upper"), "lower must be <= upper", "upper %d is below lower %d", hi, lo)
			return tp.ServiceRange{}, false
		}
		r.Lower, r.Upper = lo, hi
		return r, true
	}
	s.Missing("instance", "the instance to send to, or lower: and upper: to multicast to a range")
	return r, false
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
	if c.SocketType == RDM {
		// Connection settings mean nothing without connections.
		for _, k := range []string{"max_clients", "max_clients_per_peer", "handshake_timeout", "reconnect"} {
			if n := o.Get(k); n != nil {
				o.Errorf(n, o.Field(k), "remove it: socket: rdm has no connections", "%s applies to stream and seqpacket sockets", k)
			}
		}
		return
	}
	if c.PDUs && c.SocketType == SeqPacket {
		// A batch of PDUs (up to 64 × 4 KiB) exceeds what one TIPC
		// message may carry (66000 bytes).
		o.Errorf(o.Get("pdus"), o.Field("pdus"), "use socket: stream for a link that carries PDUs", "pdus needs socket: stream")
	}
}
