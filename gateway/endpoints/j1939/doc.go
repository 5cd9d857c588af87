// Package j1939 is the gateway's `j1939` endpoint kind: a J1939 socket on a
// local CAN interface that moves whole messages (the kernel's CAN_J1939
// stack runs the TP/ETP transport protocols for more than 8 bytes and the
// address claiming), up to 4096 bytes.
//
// It uses the project's can package for the J1939 socket, so the
// transport protocols and their timing stay in the kernel.
package j1939

import (
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

func init() {
	endpoint.Register(endpoint.Kind{
		Kind: config.Kind{
			Name:   "j1939",
			Doc:    "J1939 messages on a local CAN interface",
			Fields: fields,
			Decode: decode,
		},
		Open: open,
	})
}
