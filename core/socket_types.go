package core

import (
	"net"
	"time"
)

// A Message is one datagram for RecvMmsg and SendMmsg. All buffers are
// owned by the caller and may be reused across calls.
type Message struct {
	// Buffers receive or carry the data (scatter/gather).
	Buffers [][]byte
	// OOB is the control buffer (may be nil): filled on receive (NOOB
	// bytes, see ParseCmsg), sent as is on send (see AppendCmsg).
	OOB []byte
	// Addr is, on send, the destination (nil: the connected peer). On
	// receive the source address is reported only when Addr or Name is
	// non-nil: when Addr holds a pointer to an address type (such as
	// &InetAddr{}) the source is decoded into it without allocating;
	// otherwise a new Addr is stored.
	Addr Addr
	// Name, when non-nil on receive, gets the raw source sockaddr: the
	// kernel writes up to cap(Name) bytes and Name is resliced to the
	// length it reports.
	Name []byte
	// N is the number of data bytes received or sent; NOOB the number of
	// control bytes received.
	N, NOOB int
	// Flags is the msg_flags of a received message (MSG_TRUNC,
	// MSG_CTRUNC, ...).
	Flags int
}

// ConnOptions are the optional arguments of CreateConnection.
type ConnOptions struct {
	// Timeout is the timeout set on the socket before connecting (and left
	// on it): NoTimeout for blocking mode; 0 means DefaultTimeout().
	Timeout time.Duration
	// SourceAddress, "host:port", is bound before connecting when set.
	SourceAddress string
	// AllErrors returns every attempt's error joined with errors.Join
	// instead of only the last one.
	AllErrors bool
}

// ServerOptions are the optional arguments of CreateServer.
type ServerOptions struct {
	// Family is unix.AF_INET (the default when 0) or unix.AF_INET6.
	Family int
	// Backlog for listen(2); 0 means 128, as Python's listen() default.
	Backlog int
	// ReusePort sets SO_REUSEPORT.
	ReusePort bool
	// DualStackIPv6 accepts IPv4 and IPv6 on one AF_INET6 socket
	// (IPV6_V6ONLY off); it needs Family AF_INET6 and HasDualStackIPv6.
	DualStackIPv6 bool
}

// NetAddr wraps a core Addr of a family the net package has no type for
// as a net.Addr; Network returns the family name ("can", "vsock", ...).
type NetAddr struct{ Addr Addr }

// Network returns the address family's name.
func (a NetAddr) Network() string {
	if a.Addr == nil {
		return ""
	}
	return socketNetName(a.Addr.Family())
}

// String returns the address in its family's text form.
func (a NetAddr) String() string {
	if a.Addr == nil {
		return "<nil>"
	}
	return a.Addr.String()
}

var _ net.Addr = NetAddr{}
