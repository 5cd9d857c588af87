package endpoint

import "time"

// BrokerConn describes a broker client's connection (nats) as it was
// when the kind last stored it in Stats.Broker: on every connect and
// disconnect, and when it measures the round trip (every few seconds).
// A stored BrokerConn is never modified; the kind stores a new one.
type BrokerConn struct {
	// URL is the server connected to (the last one while reconnecting),
	// without credentials.
	URL string
	// Server is the server's name as it introduces itself ("" before the
	// first connection).
	Server string
	// State is connecting, connected, reconnecting or closed.
	State string
	// RTT is the last round trip measured to the server (PING to PONG),
	// 0 before the first.
	RTT time.Duration
	// Since is when State began.
	Since time.Time
}

// Broker connection states.
const (
	BrokerConnecting   = "connecting"
	BrokerConnected    = "connected"
	BrokerReconnecting = "reconnecting"
	BrokerClosed       = "closed"
)
