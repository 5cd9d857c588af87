// Package nats is the gateway's `nats` endpoint kind: frames published to
// NATS subjects <prefix>.<gateway>.<endpoint>.<kind>.<ID hex> in the
// binary, json or signals encoding (package busmsg), and messages of
// subscribed subjects decoded into frames that routes carry to buses
// (through allow: the kind is TrustRemote). Headers carry the capture
// time, the source gateway, the publishing run (session) and the first
// frame's sequence number, which a subscriber follows to count lost
// frames (seq_gaps).
//
// Without url the endpoint runs an embedded server in the gateway
// (github.com/nats-io/nats-server/v2) on its own listen address, with
// JetStream when a store directory is set; with url it connects to a
// cluster, reconnecting forever with backoff, over TLS and with
// credentials if configured. The client (github.com/nats-io/nats.go)
// keeps no reconnect buffer: while it is disconnected, Send waits and the
// frames wait in the endpoint's queue, whose overflow is counted; frames
// it still holds at shutdown count no_peer.
//
// With jetstream, messages go into a stream with publish acknowledgements
// and Nats-Msg-Id deduplication: a message not acknowledged is published
// again with the same ID, so a failover neither loses nor duplicates. A
// replay endpoint reads a stream (a sequence or time range) with an
// ordered consumer and delivers it as a finite source, at the original
// timing or as fast as the route takes it.
//
// Binary messages are filled across Send calls (coalesce.go): a message
// that is not full waits for its slot, at most one per coalesce on
// average after a burst of a few (the udp kind's policy), so a bus whose
// frames come one at a time shares messages instead of publishing one
// per frame.
//
// Publishing reuses its buffers and message: nats.go's PublishMsg copies
// subject, headers and data before it returns, so the per-message header
// values are handed over as strings that alias the endpoint's buffers
// (publish.go, transient) and building and publishing a message
// allocates nothing. JetStream publishing keeps each message until it is
// acknowledged and allocates a copy per message. Receiving allocates what
// nats.go allocates per delivered message (the message and its data).
//
// Dependencies: github.com/nats-io/nats.go (client, jetstream package)
// and github.com/nats-io/nats-server/v2 (the embedded server), both the
// NATS project's own.
package nats

import (
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

func init() {
	endpoint.Register(endpoint.Kind{
		Kind: config.Kind{
			Name:   "nats",
			Doc:    "NATS publisher and subscriber (embedded server or a cluster), binary/json/signals encodings, optional JetStream with replay",
			Fields: fields,
			Decode: decode,
		},
		Open:    open,
		Reports: endpoint.ReportsPeers | endpoint.ReportsSeqGaps | endpoint.ReportsBroker,
	})
}
