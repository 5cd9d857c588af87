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
//
// Frame messages are padded in front to whole 64-byte records (framing:
// aligned) because python-can 4.1, the most common client, reads 1024
// bytes at a time and loses or warns about messages split across reads;
// remote frames are not sent by default (rtr: drop), as in socketcand,
// because python-can cannot parse them. Each batch of routed frames is
// formatted once for every raw-mode client and written with one write per
// client: from Send itself (the goroutine that read the bus: no goroutine
// switch, no wake-up) when nothing is queued for that client, else, and for
// whatever its socket did not take, by the client's writer goroutine, which
// coalesces what piled up; a client that falls too far behind loses frames
// (queue_overflow) without holding up the others.
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
