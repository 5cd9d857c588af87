// Package tipc is the gateway's `tipc` endpoint kind: cannelloni's TCP
// framing over a TIPC connection (AF_TIPC, SOCK_STREAM or SOCK_SEQPACKET),
// or cannelloni datagrams over TIPC's reliable datagrams (SOCK_RDM),
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
// fields, service, scope, socket and to.
//
// With socket: rdm there is no connection (rdm.go): the endpoint publishes
// service (if given) and receives there; it sends one cannelloni v2
// datagram per message, packed as the udp kind packs them, to one socket
// of a service (the kernel picks it), to every socket of a service range
// (TIPC multicast), or to the socket heard from last. Its peers are what
// the topology service reports about the destination range: a socket
// publishing in it is a peer that came up (counted in peers and connects,
// logged), one withdrawing is a peer that went down.
//
// TIPC is Linux only (module tipc); elsewhere opening an endpoint fails
// with "tipc endpoints are not supported on GOOS", and on a Linux kernel
// without TIPC with an error that names the module.
package tipc

import (
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
)

func init() {
	stream.Register(stream.Kind{
		Name:    "tipc",
		Doc:     "cannelloni TCP framing over TIPC addressed by service name (stream or seqpacket), server or reconnecting client",
		Fields:  fields,
		Decode:  decode,
		Check:   check,
		Open:    open,
		Reports: endpoint.ReportsSeqGaps,
	})
}
