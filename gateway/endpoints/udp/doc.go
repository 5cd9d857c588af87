// Package udp is the gateway's `udp` endpoint kind: CAN and CAN FD frames
// packed into cannelloni v2 datagrams up to the path MTU, ISO-TP and J1939
// PDUs and Ethernet frames in fieldgate's OpPDU datagrams, one each, with
// sequence numbers checked on receive (gaps counted as network loss once a
// reorder window has passed them, per sender; duplicates and reordering
// count nothing: seq.go). A malformed datagram counts once, whatever frame
// count its header claims.
// Datagrams the kernel drops from a full receive buffer (SO_RXQ_OVFL) and
// datagrams the peer's host refuses (ICMP errors read from the socket's
// error queue with IP_RECVERR) are counted; both are Linux-only and no-ops
// elsewhere, where the link still works.
//
// With `auth`, datagrams are authenticated and encrypted with AES-256-GCM
// under a pre-shared key, with a session and a sliding replay window. The
// AEAD comes from the alg package, which runs it in the kernel (AF_ALG) or
// in Go by policy, so the provider can be chosen and is logged; the wire
// format is the cannelloni package's, shared with the tcp kind.
package udp

import (
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

func init() {
	endpoint.Register(endpoint.Kind{
		Kind: config.Kind{
			Name:   "udp",
			Doc:    "cannelloni v2 over UDP, optionally authenticated",
			Fields: fields,
			Decode: decode,
		},
		Open:    open,
		Reports: endpoint.ReportsSeqGaps,
	})
}
