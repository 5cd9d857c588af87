package tipc

import (
	"fmt"
	"net"
	"strconv"

	"github.com/fieldgate/fieldgate/core"
)

// ReservedTypes is the lowest service type user programs may publish: the
// kernel keeps types 0..63 for itself (TIPC_RESERVED_TYPES).
const ReservedTypes = 64

// Scope says how far a published service is visible.
type Scope int8

// Binding scopes.
const (
	// ClusterScope publishes the service to every node of the cluster
	// (TIPC_CLUSTER_SCOPE); it is the default.
	ClusterScope Scope = core.TIPC_CLUSTER_SCOPE
	// NodeScope publishes the service to this node only (TIPC_NODE_SCOPE).
	NodeScope Scope = core.TIPC_NODE_SCOPE
)

// String returns "cluster" or "node", as tipc(8) prints scopes.
func (s Scope) String() string {
	switch s {
	case ClusterScope, core.TIPC_ZONE_SCOPE:
		return "cluster"
	case NodeScope:
		return "node"
	}
	return "scope(" + strconv.Itoa(int(s)) + ")"
}

// A ServiceRange is a service type with a range of instances, lower to
// upper inclusive: what a server publishes and a subscriber watches.
type ServiceRange struct {
	Type, Lower, Upper uint32
}

// A Service is one instance of a service type: what a client sends to or
// connects to. The kernel delivers to a socket whose published range
// contains Instance.
type Service struct {
	Type, Instance uint32
}

// A SocketID identifies one socket in the cluster: its node and the
// socket's reference number on that node. Received messages carry the
// sender's SocketID.
type SocketID struct {
	Node, Ref uint32
}

// String returns "{type,lower,upper}".
func (r ServiceRange) String() string {
	return "{" + u32(r.Type) + "," + u32(r.Lower) + "," + u32(r.Upper) + "}"
}

// String returns "{type,instance}".
func (s Service) String() string { return "{" + u32(s.Type) + "," + u32(s.Instance) + "}" }

// String returns "<node:ref>".
func (id SocketID) String() string { return "<" + u32(id.Node) + ":" + u32(id.Ref) + ">" }

func u32(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

// Contains reports whether instance lies in r.
func (r ServiceRange) Contains(instance uint32) bool {
	return instance >= r.Lower && instance <= r.Upper
}

// validate checks what the kernel would refuse when publishing r.
func (r ServiceRange) validate() error {
	if r.Type < ReservedTypes {
		return fmt.Errorf("service range %v: type %d is reserved (user types start at %d)", r, r.Type, ReservedTypes)
	}
	if r.Lower > r.Upper {
		return fmt.Errorf("service range %v: lower %d is above upper %d", r, r.Lower, r.Upper)
	}
	return nil
}

// validate checks a multicast or subscription range (any type, ordered).
func (r ServiceRange) validateOrder() error {
	if r.Lower > r.Upper {
		return fmt.Errorf("service range %v: lower %d is above upper %d", r, r.Lower, r.Upper)
	}
	return nil
}

// addr returns r as a bind address of scope s.
func (r ServiceRange) addr(s Scope) *core.TIPCAddr {
	a := core.TIPCServiceRange(r.Type, r.Lower, r.Upper, int8(s))
	return &a
}

// addr returns s as a destination looked up anywhere (domain 0).
func (s Service) addr() *core.TIPCAddr {
	a := core.TIPCService(s.Type, s.Instance, 0)
	return &a
}

// addr returns id as a socket address.
func (id SocketID) addr() *core.TIPCAddr {
	a := core.TIPCSocketAddr(id.Node, id.Ref)
	return &a
}

// socketID converts a received source address, which the kernel always
// gives as TIPC_ADDR_ID.
func socketID(a core.Addr) (SocketID, error) {
	t, ok := a.(*core.TIPCAddr)
	if !ok {
		return SocketID{}, fmt.Errorf("source address %v is not a TIPC address", a)
	}
	if t.AddrType != core.TIPC_ADDR_ID {
		return SocketID{}, fmt.Errorf("source address %v is not a socket id", t)
	}
	return SocketID{Node: t.V1, Ref: t.V2}, nil
}

// Addr is a TIPC address as a net.Addr: a ServiceRange, a Service or a
// SocketID.
type Addr struct {
	// Value is a ServiceRange, Service or SocketID.
	Value fmt.Stringer
}

var _ net.Addr = Addr{}

// Network returns "tipc".
func (Addr) Network() string { return "tipc" }

// String returns the value's text form.
func (a Addr) String() string {
	if a.Value == nil {
		return "<nil>"
	}
	return a.Value.String()
}
