package endpoint

import "sync/atomic"

// A Reason says why a frame was dropped. Every dropped frame is counted under
// exactly one reason, by endpoint and (where one applies) by route.
type Reason uint8

// Drop reasons.
const (
	ReasonNoRoute       Reason = iota // received, but no route matched
	ReasonRateLimit                   // route rate limit exceeded
	ReasonNotAllowed                  // network → bus frame outside the route's allow list
	ReasonQueueOverflow               // destination queue full (drop-oldest or drop-newest)
	ReasonWriteError                  // destination write failed
	ReasonNoPeer                      // destination has no connected peer
	ReasonLinkDown                    // destination interface is down
	ReasonShutdown                    // still queued when the drain deadline passed, or removed by reload
	ReasonMalformed                   // input that could not be decoded (frames or datagrams)
	ReasonUnsupported                 // frame kind the destination cannot carry
	ReasonKernel                      // dropped by the kernel before we read it (SO_RXQ_OVFL)
	ReasonAuth                        // authentication failed or replayed datagram
	ReasonUnreachable                 // sent, then refused by the peer's host (ICMP destination unreachable)
	ReasonTxLost                      // accepted by the CAN socket, never transmitted (interface went down)
	ReasonOversize                    // frame larger than MaxData or than the destination link carries
	numReasons
)

var reasonNames = [numReasons]string{
	"no_route", "rate_limit", "not_allowed", "queue_overflow", "write_error", "no_peer",
	"link_down", "shutdown", "malformed", "unsupported", "kernel_overflow", "auth",
	"peer_unreachable", "tx_lost", "oversize",
}

func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "unknown"
}

// Reasons lists every drop reason.
func Reasons() []Reason {
	out := make([]Reason, numReasons)
	for i := range out {
		out[i] = Reason(i)
	}
	return out
}

// Drops counts dropped frames by reason.
type Drops [numReasons]atomic.Uint64

// Add counts n frames dropped for reason r.
func (d *Drops) Add(r Reason, n uint64) { d[r].Add(n) }

// Load returns the count for reason r.
func (d *Drops) Load(r Reason) uint64 { return d[r].Load() }

// Total returns the count over every reason.
func (d *Drops) Total() uint64 {
	var t uint64
	for i := range d {
		t += d[i].Load()
	}
	return t
}

// Snapshot returns the non-zero counts by reason name.
func (d *Drops) Snapshot() map[string]uint64 {
	m := map[string]uint64{}
	for i := range d {
		if v := d[i].Load(); v > 0 {
			m[Reason(i).String()] = v
		}
	}
	return m
}

// Stats are an endpoint's counters. The engine counts frames in and out
// and drops on the forwarding path; a kind counts its own drops (through
// Env.Drop) and the figures only it sees.
type Stats struct {
	FramesIn, BytesIn   atomic.Uint64
	FramesOut, BytesOut atomic.Uint64
	Drops               Drops
	SeqGaps             atomic.Uint64 // datagrams missing in a peer's sequence numbers
	ErrorFrames         atomic.Uint64 // CAN error frames received
	Connects            atomic.Uint64 // connections accepted or made
	Peers               atomic.Int64  // connections open now
	// Rejected counts client connections a server refused or closed
	// before serving them (stream kinds, socketcand), by reason.
	Rejected Conns
	// LogSuppressed counts log lines a server held back by its per-peer
	// log rate limit (a summary line reports them).
	LogSuppressed atomic.Uint64
	// Broker clients (nats): Reconnects counts connections made again
	// after one was lost; PendingAcks is how many published messages
	// await the broker's acknowledgement; Republished counts messages
	// published again because their acknowledgement did not come.
	Reconnects  atomic.Uint64
	PendingAcks atomic.Int64
	Republished atomic.Uint64
	// Broker is a broker client's connection (server, state, round
	// trip), nil for other kinds.
	Broker atomic.Pointer[BrokerConn]
	// RecvBuffer is the socket receive buffer the kernel granted, in
	// bytes, for kinds that set one (can, udp); 0 otherwise.
	RecvBuffer atomic.Int64
}
