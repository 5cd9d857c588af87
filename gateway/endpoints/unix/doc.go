// Package unix is the gateway's `unix` endpoint kind: cannelloni's TCP
// framing over a unix socket, stream or seqpacket, as a server with many
// clients or a reconnecting client, for peers on the same host (another
// process, a container sharing the socket directory).
//
// The framing and the client handling are package stream's; this package
// is the transport (the standard library's net, "unix" or "unixpacket")
// and its fields, path and type.
package unix

import (
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
)

func init() {
	stream.Register(stream.Kind{
		Name:   "unix",
		Doc:    "cannelloni TCP framing over a unix socket (stream or seqpacket), server or reconnecting client",
		Fields: fields,
		Decode: decode,
		Check:  check,
	})
}
