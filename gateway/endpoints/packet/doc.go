// Package packet is the gateway's `packet` endpoint kind: the raw Ethernet
// frames of one network interface, received and written through an
// AF_PACKET socket. Frames are received in batches from a TPACKET_V3 ring
// (one wakeup per ring block, no system call and no allocation per frame)
// behind the endpoint's tcpdump filter, compiled to classic BPF and run in
// the kernel; frames this host transmits on the interface, the gateway's
// own included, are never received, so a bridge between two interfaces
// does not loop. Frames are written in batches with sendmmsg(2).
//
// It uses the project's packet package (imported as afpacket) for the
// socket, the ring and the filter compiler: it is pure Go with no libpcap
// and no cgo, and it validates a filter at configuration time exactly as
// the endpoint later attaches it. The kind is Linux-only; elsewhere opening
// an endpoint fails.
package packet

import (
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

func init() {
	endpoint.Register(endpoint.Kind{
		Kind: config.Kind{
			Name:   "packet",
			Doc:    "raw Ethernet frames of a network interface (AF_PACKET, tcpdump filter)",
			Fields: fields,
			Decode: decode,
		},
		Open: open,
	})
}
