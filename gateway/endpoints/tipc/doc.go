// Package tipc is the gateway's `tipc` endpoint kind: cannelloni's TCP
// framing over a TIPC connection (AF_TIPC, SOCK_STREAM or SOCK_SEQPACKET),
// addressed by service name rather than by host and port. A server
// publishes a service {type, instance} (or an instance range) in the
// cluster or on this node only; a client connects to {type, instance}
// wherever in the cluster it is published, and reconnects with backoff.
// Gateways on the nodes of a TIPC cluster so reach each other by name,
// whichever node they run on.
//
// The framing, the client limit and the reconnects are package stream's;
// this package is the transport (fieldgate's own tipc package: Listen
// publishes and listens, Dial connects and honours its context) and its
// fields, service, scope and socket.
//
// TIPC is Linux only (module tipc); elsewhere opening an endpoint fails
// with "tipc endpoints are not supported on GOOS", and on a Linux kernel
// without TIPC with an error that names the module.
package tipc

import (
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
)

func init() {
	stream.Register(stream.Kind{
		Name:   "tipc",
		Doc:    "cannelloni TCP framing over TIPC addressed by service name (stream or seqpacket), server or reconnecting client",
		Fields: fields,
		Decode: decode,
		Check:  check,
	})
}
