// Package capture is the gateway's `capture` endpoint kind: every frame
// routed to it written into pcapng files with size- and time-based
// rotation, CAN and CAN FD frames as LINKTYPE_CAN_SOCKETCAN records and
// Ethernet frames as LINKTYPE_ETHERNET, one pcapng interface per source
// endpoint and link type, named after the endpoint. tshark and Wireshark
// dissect the files.
//
// It uses the project's packet package for the pcapng writer and its
// rotation: pure Go, no libpcap, the same code the packet tools write and
// read captures with.
package capture

import (
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

func init() {
	endpoint.Register(endpoint.Kind{
		Kind: config.Kind{
			Name:   "capture",
			Doc:    "pcapng capture file of CAN, CAN FD and Ethernet frames, rotated",
			Fields: fields,
			Decode: decode,
		},
		Open: open,
	})
}
