// Package socketcand is the gateway's `socketcand` endpoint kind: a
// socketcand server (linux-can/socketcand's TCP protocol) for python-can,
// SavvyCAN and Kayak users. Many clients at once; raw mode, BCM mode
// (subscriptions, content filters, cyclic transmissions emulated in user
// space) and control mode work on the frames the routes carry, like any
// endpoint's. ISO-TP mode and muxfilter give each client a kernel socket of
// its own on the endpoint's interface option, and go only as far as the
// routes allow (checked through endpoint.Env.BusAccess).
//
// The protocol codec (scanning, parsing and formatting messages without
// allocations) is package gateway/socketcand, imported here as proto; the
// kernel ISO-TP and BCM sockets come from the can package; allow_peers,
// TLS, link-state checks and the connection limits (max_clients,
// max_clients_per_peer, the deadline to open the bus, the per-peer log
// limit: internal/peerlimit) are the gateway's shared internal packages,
// so this kind behaves exactly as the tcp kind does in those respects.
package socketcand

import (
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

func init() {
	endpoint.Register(endpoint.Kind{
		Kind: config.Kind{
			Name:   "socketcand",
			Doc:    "socketcand server for python-can, SavvyCAN and Kayak",
			Fields: fields,
			Decode: decode,
		},
		Open:    open,
		Reports: endpoint.ReportsPeers,
	})
}
