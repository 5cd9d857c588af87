// Package vsock is the gateway's `vsock` endpoint kind: cannelloni's TCP
// framing over AF_VSOCK streams, between a virtual machine guest and its
// host, as a server with many clients or a reconnecting client.
//
// The framing and the client handling are package stream's; this package
// is the transport and its fields, cid and port. The sockets are
// fieldgate's own vsock package rather than github.com/mdlayher/vsock
// (whose addresses it shares): its Dial takes a context, so a client's
// connect ends when the endpoint is stopped instead of blocking for the
// kernel's connect timeout.
// VM sockets are Linux only; elsewhere opening an endpoint fails with
// "vsock endpoints are not supported on GOOS".
package vsock

import (
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
)

func init() {
	stream.Register(stream.Kind{
		Name:   "vsock",
		Doc:    "cannelloni TCP framing over AF_VSOCK (VM guest ↔ host), server or reconnecting client",
		Fields: fields,
		Decode: decode,
	})
}
