// Package tcp is the gateway's `tcp` endpoint kind: cannelloni's TCP
// framing over TCP, as a server with many clients or a reconnecting client,
// with optional TLS (client certificates) and an allow_peers list.
//
// The framing, TLS and the client handling are package stream's; this
// package is the transport (the standard library's net, a TCP listener or
// dialer) and its fields, listen and peer.
package tcp

import (
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
)

func init() {
	stream.Register(stream.Kind{
		Name:   "tcp",
		Doc:    "cannelloni over TCP, server with many clients or reconnecting client, optional TLS",
		Fields: fields,
		IP:     true,
		Decode: decode,
	})
}
