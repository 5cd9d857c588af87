package endpoint

import "sync/atomic"

// A ConnReason says why a server refused a client connection, or closed it
// before serving it. Connection servers (the stream kinds and socketcand)
// count each such connection once, under one reason.
type ConnReason uint8

// Connection rejection reasons.
const (
	ConnMaxClients       ConnReason = iota // refused: max_clients connections open
	ConnMaxPerPeer                         // refused: max_clients_per_peer connections open from the peer (address, vsock CID, unix uid)
	ConnNotAllowed                         // refused: the peer's address is outside allow_peers
	ConnHandshakeTimeout                   // closed: TLS, CANNELLONIv1 or socketcand's open not completed within handshake_timeout
	ConnHandshakeFailed                    // closed: handshake failed (other bytes than CANNELLONIv1, TLS error, another bus opened, peer gone)
	numConnReasons
)

var connReasonNames = [numConnReasons]string{
	"max_clients", "max_clients_per_peer", "allow_peers", "handshake_timeout", "handshake_failed",
}

func (r ConnReason) String() string {
	if r < numConnReasons {
		return connReasonNames[r]
	}
	return "unknown"
}

// ConnReasons lists every connection rejection reason.
func ConnReasons() []ConnReason {
	out := make([]ConnReason, numConnReasons)
	for i := range out {
		out[i] = ConnReason(i)
	}
	return out
}

// Conns counts rejected connections by reason.
type Conns [numConnReasons]atomic.Uint64

// Add counts one connection rejected for reason r.
func (c *Conns) Add(r ConnReason) { c[r].Add(1) }

// Load returns the count for reason r.
func (c *Conns) Load(r ConnReason) uint64 { return c[r].Load() }

// Total returns the count over every reason.
func (c *Conns) Total() uint64 {
	var t uint64
	for i := range c {
		t += c[i].Load()
	}
	return t
}

// Snapshot returns the non-zero counts by reason name.
func (c *Conns) Snapshot() map[string]uint64 {
	m := map[string]uint64{}
	for i := range c {
		if v := c[i].Load(); v > 0 {
			m[ConnReason(i).String()] = v
		}
	}
	return m
}
