// Package mqtt is the gateway's `mqtt` endpoint kind: an MQTT 3.1.1
// client of a broker the fleet already runs (mosquitto, the NATS
// server's MQTT listener, …). Frames are published to topics
// <prefix>/<gateway>/<endpoint>/<kind>/<ID hex> — the nats kind's
// subjects with '/' — in the binary, json or signals encoding (package
// busmsg), at QoS 0 or 1; signals messages may be retained, so that the
// broker keeps each CAN message's last signal values. Messages of
// subscribed topic filters are decoded into frames that routes carry to
// buses through allow (the kind is TrustRemote).
//
// Liveness: the client connects with a will (retained "offline" on
// <prefix>/<gateway>/status), publishes a retained "online" there once
// connected and "offline" when it shuts down; the broker publishes the
// will when the gateway dies.
//
// Accounting: the client reconnects by itself (run, with the configured
// backoff) and Send waits while it is disconnected, so frames wait in the
// endpoint's queue, whose overflow is counted; frames Send still holds
// when it is cancelled count no_peer. With QoS 1, Send returns once the
// broker acknowledged each message: paho keeps unacknowledged messages in
// the endpoint's store (store.go) and publishes them again after a
// reconnect (counted in republished), so the broker has every frame at
// least once. With QoS 0 the frames written to a connection that then
// broke are lost without a trace on the publishing side; the sequence
// numbers in the binary and json payloads let a subscribing fieldgate
// count them (seq_gaps, once missing for 2 s: messages published again
// after a reconnect may come after later ones, and fill their hole).
// Received messages above max_message count
// oversize, undecodable ones malformed, messages the gateway did not take
// in time queue_overflow.
//
// Dependency: github.com/eclipse/paho.mqtt.golang (v1.5), the Eclipse
// Paho project's MQTT 3.1.1 client for Go, maintained, and the one
// MQTT client release approved here. Its MQTT 5 sibling
// (github.com/eclipse/paho.golang) is not an approved release, so the
// kind speaks MQTT 3.1.1 only: no user properties, hence the sequence
// numbers travel in the payload and there are no headers. The client's
// own reconnect is off: its first retry waits a fixed second, and with
// a clean session it forgets unacknowledged QoS 1 messages on reconnect
// without completing their tokens; run reconnects instead, and with QoS 1
// the session is kept so that the client publishes them again.
package mqtt

import (
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

func init() {
	endpoint.Register(endpoint.Kind{
		Kind: config.Kind{
			Name:   "mqtt",
			Doc:    "MQTT 3.1.1 publisher and subscriber of a broker (mosquitto, the NATS server's MQTT listener), binary/json/signals encodings, QoS 0 or 1, will for liveness",
			Fields: fields,
			Decode: decode,
		},
		Open:    open,
		Reports: endpoint.ReportsPeers | endpoint.ReportsSeqGaps | endpoint.ReportsBroker,
	})
}
