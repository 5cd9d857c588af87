package stream

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

// A Transport is how a stream kind reaches its peers: the socket family
// and address under the cannelloni framing. It is all a kind adds to this
// package; TLS, the client limit, allow_peers, reconnects and the framing
// itself are the package's.
type Transport interface {
	// Listen opens a server's listener. Closing it stops accepting and
	// releases what Listen bound (a unix socket file is removed).
	Listen(ctx context.Context) (net.Listener, error)
	// Dial connects a client to its peer; ctx bounds the connect.
	Dial(ctx context.Context) (net.Conn, error)
}

// A Checker is a Transport that can tell, before any socket is opened,
// that it cannot work here (vsock off Linux). Open calls Check first and
// fails with its error.
type Checker interface {
	Check() error
}

// A PeerFilter is a Transport with an allow list of its own, for a family
// allow_peers (IP addresses) does not cover: Bluetooth device addresses.
// A server calls AllowPeer for each accepted connection before anything
// else; a peer it refuses is closed and counted as allow_peers does (a
// rejected connection of reason allow_peers and an auth drop), and the
// error is logged.
type PeerFilter interface {
	AllowPeer(c net.Conn) error
}

// Config is the settings every stream kind has. A kind's settings type
// embeds it, which gives the kind Traits and Stream.
type Config struct {
	Role       config.Role // server (many clients) or client (one peer, reconnecting)
	MaxClients int         // server: further clients are refused
	// MaxClientsPerPeer is how many of them one peer may hold (an IP
	// address, a vsock CID, a unix uid); 0 means
	// peerlimit.DefaultMaxPerPeer, never more than MaxClients.
	MaxClientsPerPeer int
	// HandshakeTimeout bounds TLS and CANNELLONIv1 after connect; a peer
	// that has not completed both is disconnected and counted. 0 means
	// peerlimit.DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration
	// PDUs enables fieldgate's PDU records in the stream (ISO-TP, J1939,
	// Ethernet); both ends must enable them.
	PDUs       bool
	AllowPeers []string       // server: admitted client addresses/prefixes (IP transports)
	Reconnect  config.Backoff // client: redial backoff
	TLS        *config.TLS    // optional TLS (IP transports)
}

// Traits: a link reachable from other processes or hosts that reads and
// writes CAN and CAN FD frames, and with pdus also PDUs and Ethernet.
func (c *Config) Traits() config.Traits {
	carries := config.CarriesCAN | config.CarriesCANFD
	if c.PDUs {
		carries |= config.CarriesPDUs | config.CarriesEthernet
	}
	return config.Traits{Carries: carries, Direction: config.ReadWrite, Trust: config.TrustRemote}
}

// Stream returns c itself; through embedding it gives a kind's settings
// type the Settings method of that name.
func (c *Config) Stream() *Config { return c }

// Settings is a stream kind's decoded configuration: a type that embeds
// Config and has the kind's own fields.
type Settings interface {
	config.Settings
	// Stream returns the common settings (provided by the embedded Config).
	Stream() *Config
	// Transport returns how endpoints of these settings listen and dial.
	Transport() Transport
}

// A Kind is a stream endpoint kind, for Register.
type Kind struct {
	// Name is the value of `kind:`; Doc is one line on what it is for.
	Name, Doc string
	// Fields are the transport's own fields (addresses, socket type).
	// Register adds the common ones: mode first, then these, then
	// max_clients, max_clients_per_peer, handshake_timeout, allow_peers
	// (with IP), reconnect, tls (with IP), pdus.
	Fields []config.Field
	// IP says the transport runs over IP: allow_peers and tls apply.
	IP bool
	// Decode reads the transport's own fields, after mode (role is its
	// value), and returns the kind's settings, never nil (also after an
	// error); the common fields are read into their Stream() afterwards.
	Decode func(o *config.Object, role config.Role) Settings
	// Check, if set, checks the transport's fields against the common ones
	// read so far (mode, max_clients, pdus), e.g. unix: pdus needs type:
	// stream. It runs after pdus is read.
	Check func(o *config.Object, s Settings)
	// Open, if set, opens the kind's endpoints instead of Open: a kind
	// whose settings may select something other than a stream (tipc's
	// socket: rdm) opens that itself and the rest with Open.
	Open func(ctx context.Context, s Settings, e *endpoint.Env) (endpoint.Transceiver, error)
	// Reports are figures the kind reports beyond connected peers (tipc
	// rdm: sequence gaps).
	Reports endpoint.Reports
}

// Register registers a stream kind with the endpoint registry: its fields
// are the common ones plus k's, its endpoints open with Open over the
// settings' Transport, and it reports connected peers. Kind packages call
// it from init.
func Register(k Kind) {
	endpoint.Register(endpoint.Kind{
		Kind: config.Kind{
			Name:   k.Name,
			Doc:    k.Doc,
			Fields: k.fields(),
			Decode: func(o *config.Object) config.Settings { return k.decode(o) },
		},
		Open: func(ctx context.Context, ec *config.Endpoint, e *endpoint.Env) (endpoint.Transceiver, error) {
			s := ec.Settings.(Settings)
			if k.Open != nil {
				return k.Open(ctx, s, e)
			}
			return Open(ctx, s.Stream(), s.Transport(), e)
		},
		Reports: endpoint.ReportsPeers | k.Reports,
	})
}

// Common field documentation.
var (
	fieldMode       = config.Field{Name: "mode", Default: "server", Doc: "`server` (many clients; frames go to all, frames from any enter the gateway) or `client` (reconnects with backoff)"}
	fieldMaxClients = config.Field{Name: "max_clients", Default: "16", Doc: "server: further clients are refused"}
	fieldPerPeer    = config.Field{Name: "max_clients_per_peer", Default: "4", Doc: "server: connections one peer may hold at once, handshakes included (IP address, vsock CID, unix uid); at most max_clients"}
	fieldHandshake  = config.Field{Name: "handshake_timeout", Default: "5s", Doc: "a peer that has not completed TLS and `CANNELLONIv1` this long after connecting is disconnected and counted"}
	fieldAllowPeers = config.Field{Name: "allow_peers", Default: "any", Doc: "server: allowed client addresses/prefixes"}
	fieldReconnect  = config.Field{Name: "reconnect", Default: "{min: 100ms, max: 5s}", Doc: "client reconnect backoff (doubles up to max)"}
	fieldTLS        = config.Field{Name: "tls", Doc: "`{cert, key, ca, server_name}`: TLS; a server needs cert and key, a ca requires client certificates (server) or is trusted (client)"}
	fieldPDUs       = config.Field{Name: "pdus", Default: "false", Doc: "fieldgate extension: also carry ISO-TP PDUs, J1939 messages and Ethernet frames as PDU records in the stream; both ends must set it"}
)

func (k *Kind) fields() []config.Field {
	out := []config.Field{fieldMode}
	out = append(out, k.Fields...)
	out = append(out, fieldMaxClients, fieldPerPeer, fieldHandshake)
	if k.IP {
		out = append(out, fieldAllowPeers)
	}
	out = append(out, fieldReconnect)
	if k.IP {
		out = append(out, fieldTLS)
	}
	return append(out, fieldPDUs)
}

// decode reads, in this order (the order errors are reported in): mode,
// the transport's fields, max_clients, max_clients_per_peer,
// handshake_timeout, pdus, the transport's check, allow_peers, reconnect,
// tls.
func (k *Kind) decode(o *config.Object) Settings {
	role := o.Role(config.Server)
	s := k.Decode(o, role)
	c := s.Stream()
	c.Role = role
	c.MaxClients = int(o.Uint("max_clients", config.DefaultMaxClients, 1, 4096))
	c.MaxClientsPerPeer = DecodePerPeer(o, role, c.MaxClients)
	c.HandshakeTimeout = DecodeHandshakeTimeout(o)
	c.PDUs = o.Bool("pdus", false)
	if k.Check != nil {
		k.Check(o, s)
	}
	if k.IP {
		c.AllowPeers = o.AllowPeers()
	}
	c.Reconnect = o.Backoff()
	if k.IP {
		c.TLS = o.TLS(role != config.Client)
	}
	return s
}

// DecodePerPeer reads max_clients_per_peer (0 when absent): 1..4096, not
// above maxClients, servers only. The socketcand kind uses it too.
func DecodePerPeer(o *config.Object, role config.Role, maxClients int) int {
	const k = "max_clients_per_peer"
	if !o.Has(k) {
		return 0
	}
	n := int(o.Uint(k, 0, 1, 4096))
	switch {
	case role == config.Client:
		o.Errorf(o.Get(k), o.Field(k), "remove it, or use mode: server", "a client has no clients to limit")
		return 0
	case n > maxClients:
		o.Errorf(o.Get(k), o.Field(k), fmt.Sprintf("at most max_clients (%d)", maxClients), "%d is above max_clients", n)
		return 0
	}
	return n
}

// DecodeHandshakeTimeout reads handshake_timeout (0 when absent):
// 100ms..5m. The socketcand kind uses it too.
func DecodeHandshakeTimeout(o *config.Object) time.Duration {
	return o.Duration("handshake_timeout", 0, 100*time.Millisecond, 5*time.Minute)
}
