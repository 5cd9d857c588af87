// Package isotp is the gateway's `isotp` endpoint kind: one ISO-TP channel
// (an rx_id/tx_id pair) on a local CAN interface. The kernel's CAN_ISOTP
// socket segments and reassembles PDUs of up to 4095 bytes; the gateway
// moves whole PDUs.
//
// It uses the project's can package for the ISO-TP socket and its options
// (padding, extended addressing, flow control, the CAN FD link layer), so
// the protocol timing stays in the kernel.
package isotp

import (
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

func init() {
	endpoint.Register(endpoint.Kind{
		Kind: config.Kind{
			Name:   "isotp",
			Doc:    "one ISO-TP channel (rx_id/tx_id) on a local CAN interface",
			Fields: fields,
			Decode: decode,
		},
		Open: open,
	})
}
