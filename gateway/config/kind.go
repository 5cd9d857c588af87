package config

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Settings is one endpoint kind's decoded configuration: the fields of its
// YAML mapping other than kind and queue. Each kind package defines its own
// Settings type and decodes it beside the kind (see Kind.Decode).
type Settings interface {
	// Traits says what the endpoint carries, which way frames flow
	// through it, and how far it is trusted.
	Traits() Traits
}

// A Binder is Settings whose endpoint binds local resources (a port, a
// socket path, a file, an ISO-TP channel). No two endpoints of one
// configuration may bind overlapping resources.
type Binder interface {
	Binds() []Bind
}

// A Bind is one local resource an endpoint binds.
type Bind struct {
	// Space names what Addr is in: "udp", "tcp" (host:port; a wildcard
	// host collides with every host on the same port), "vsock", "unix",
	// "file", "isotp" or a kind's own.
	Space string
	// Addr is the resource within Space.
	Addr string
}

func (b Bind) String() string { return b.Space + " " + b.Addr }

// A RawCAN is Settings of an endpoint that is a raw socket on a CAN
// interface. The kernel's CAN gateway (can-gw) can forward between two such
// endpoints when neither filters in its socket.
type RawCAN interface {
	// RawCAN returns the interface, whether the socket takes CAN FD frames,
	// and whether it has socket filters.
	RawCAN() (iface string, fd, filtered bool)
}

// Trust says how far frames from an endpoint are trusted, and whether an
// endpoint is a bus that the allow guard protects.
type Trust uint8

// Trust levels. The zero value, TrustUndeclared, is what a kind gets that
// declares nothing: it is treated as reachable from elsewhere when frames
// come out of it and as a bus when frames go into it, so a route's `allow`
// list applies in both directions. Forgetting to declare fails closed.
const (
	// TrustUndeclared: the kind said nothing; allow applies both ways.
	TrustUndeclared Trust = iota
	// TrustRemote: reachable from other hosts or processes (a network
	// link, a socket path). Frames from it reach a bus only through allow.
	TrustRemote
	// TrustLocal: local to this host and not a bus (a file). Frames from
	// it are trusted; frames into it are not guarded.
	TrustLocal
	// TrustBus: a bus or interface of this host (CAN, Ethernet). Frames
	// from it are trusted; frames from a remote source reach it only
	// through allow.
	TrustBus
)

func (t Trust) String() string {
	switch t {
	case TrustRemote:
		return "remote"
	case TrustLocal:
		return "local"
	case TrustBus:
		return "bus"
	}
	return "undeclared"
}

// Untrusted reports whether frames that come out of an endpoint of trust t
// must pass a route's allow list before they reach a bus.
func (t Trust) Untrusted() bool { return t == TrustUndeclared || t == TrustRemote }

// Guarded reports whether frames written to an endpoint of trust t from an
// untrusted source must pass a route's allow list.
func (t Trust) Guarded() bool { return t == TrustUndeclared || t == TrustBus }

// Carries is a set of frame types an endpoint can carry.
type Carries uint8

// Frame types an endpoint declares it carries.
const (
	CarriesCAN      Carries = 1 << iota // classic CAN frames
	CarriesCANFD                        // CAN FD frames
	CarriesPDUs                         // ISO-TP and J1939 PDUs
	CarriesEthernet                     // Ethernet frames
)

// Direction says which way frames flow through an endpoint.
type Direction uint8

// Directions. The zero value means both.
const (
	ReadWrite Direction = iota // frames come out of it and go into it
	ReadOnly                   // a source only (a log being replayed)
	WriteOnly                  // a sink only (a capture file)
)

// Traits is what an endpoint declares about itself.
type Traits struct {
	Carries   Carries
	Direction Direction
	Trust     Trust
	// Interface is the local CAN or Ethernet interface the endpoint is on,
	// if any: link state, bus load and direct bus access follow it.
	Interface string
}

// Reads reports whether frames can come out of the endpoint.
func (t Traits) Reads() bool { return t.Direction != WriteOnly }

// Writes reports whether frames can be written to the endpoint.
func (t Traits) Writes() bool { return t.Direction != ReadOnly }

// Role is whether a connection-oriented endpoint listens or dials.
type Role string

// Roles.
const (
	Server Role = "server"
	Client Role = "client"
)

// Mode is whether a file endpoint reads or writes.
type Mode string

// Modes.
const (
	ModeRead  Mode = "read"
	ModeWrite Mode = "write"
)

// SocketType is the socket type of a connection-oriented endpoint whose
// family offers both (unix, tipc).
type SocketType string

// Socket types.
const (
	StreamSocket    SocketType = "stream"    // SOCK_STREAM: a byte stream
	SeqPacketSocket SocketType = "seqpacket" // SOCK_SEQPACKET: one message per batch of frames
)

// A Field documents one configuration field of a kind.
type Field struct {
	Name    string
	Default string // "" when the field is required or has no default
	Doc     string
}

// A Kind is an endpoint kind as the configuration sees it.
type Kind struct {
	// Name is the value of `kind:`.
	Name string
	// Doc is one line on what the kind is for.
	Doc string
	// Fields are the kind's fields besides kind and queue, in the order
	// configs/README.md documents them. The decoder may read no other
	// field: a read of an undeclared field is reported as an error.
	Fields []Field
	// Decode reads the kind's fields from o and returns its settings.
	// Errors go to o (Errorf, Missing); Decode returns settings even then.
	Decode func(o *Object) Settings
}

// kinds is the registry of endpoint kinds, filled at init time by the kind
// packages (through endpoint.Register) and read-only afterwards.
var kinds = map[string]*Kind{}

// RegisterKind adds an endpoint kind. It panics on a duplicate or
// incomplete registration: both are programming errors found at start-up.
func RegisterKind(k Kind) {
	if k.Name == "" || k.Decode == nil {
		panic("config: RegisterKind needs a name and a decoder")
	}
	if _, dup := kinds[k.Name]; dup {
		panic(fmt.Sprintf("config: endpoint kind %q registered twice", k.Name))
	}
	kinds[k.Name] = &k
}

// LookupKind returns the registered kind name.
func LookupKind(name string) (*Kind, bool) {
	k, ok := kinds[name]
	return k, ok
}

// KindNames lists the registered endpoint kinds, sorted.
func KindNames() []string {
	out := make([]string, 0, len(kinds))
	for n := range kinds {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (k *Kind) fieldNames() []string {
	out := make([]string, 0, len(k.Fields)+2)
	for _, f := range k.Fields {
		out = append(out, f.Name)
	}
	return out
}

func (k *Kind) declares(field string) bool {
	return slices.ContainsFunc(k.Fields, func(f Field) bool { return f.Name == field })
}

func kindList() string { return strings.Join(KindNames(), ", ") }
