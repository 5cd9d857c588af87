// Package can is the gateway's `can` endpoint kind: a raw CAN socket on a
// local interface, classic CAN and optionally CAN FD, with kernel receive
// filters, error frames, and exact transmit accounting on request (the
// socket's own echoes, `confirm`).
//
// It uses the project's can package (imported as socketcan) for batch I/O
// (recvmmsg/sendmmsg, up to 64 frames per system call) and kernel drop
// counts (SO_RXQ_OVFL), and internal/ifstate to tell an interface that went
// down or away from other socket errors, so the endpoint waits for it
// instead of failing the gateway.
package can

import (
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

func init() {
	endpoint.Register(endpoint.Kind{
		Kind: config.Kind{
			Name:   "can",
			Doc:    "raw CAN socket (classic and FD) on a local interface",
			Fields: fields,
			Decode: decode,
		},
		Open:    open,
		Reports: endpoint.ReportsErrorFrames,
	})
}
