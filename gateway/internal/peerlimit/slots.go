package peerlimit

import (
	"sync"
	"time"

	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

// Defaults of the connection servers' limits.
const (
	// DefaultHandshakeTimeout bounds how long a client may take from
	// connect to a completed handshake (TLS, CANNELLONIv1, socketcand's
	// open).
	DefaultHandshakeTimeout = 5 * time.Second
	// DefaultMaxPerPeer is how many connections one peer may hold at once
	// (never more than max_clients).
	DefaultMaxPerPeer = 4
)

// HandshakeTimeout returns d, or DefaultHandshakeTimeout for 0 (unset).
func HandshakeTimeout(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultHandshakeTimeout
	}
	return d
}

// MaxPerPeer returns the per-peer limit for a configured value (0: unset)
// under a total of max: the configured value, else DefaultMaxPerPeer,
// never more than max.
func MaxPerPeer(configured, max int) int {
	n := configured
	if n <= 0 {
		n = DefaultMaxPerPeer
	}
	return min(n, max)
}

// Slots counts a server's open connections, in total and per peer key.
// The zero value is not usable; see NewSlots.
type Slots struct {
	max, perPeer int

	mu     sync.Mutex
	total  int
	byPeer map[string]int
}

// NewSlots returns slots for at most max connections, perPeer of them from
// one peer key.
func NewSlots(max, perPeer int) *Slots {
	return &Slots{max: max, perPeer: perPeer, byPeer: map[string]int{}}
}

// Acquire takes a slot for a connection of peer key. It reports false and
// the reason (max_clients or max_clients_per_peer) when the connection
// must be refused. An empty key is limited only by the total.
func (s *Slots) Acquire(key string) (endpoint.ConnReason, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.total >= s.max {
		return endpoint.ConnMaxClients, false
	}
	if key != "" {
		if s.byPeer[key] >= s.perPeer {
			return endpoint.ConnMaxPerPeer, false
		}
		s.byPeer[key]++
	}
	s.total++
	return 0, true
}

// Release gives back a slot Acquire took for key.
func (s *Slots) Release(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total--
	if key == "" {
		return
	}
	if n := s.byPeer[key]; n <= 1 {
		delete(s.byPeer, key)
	} else {
		s.byPeer[key] = n - 1
	}
}

// Open returns how many slots are taken, in total and by key.
func (s *Slots) Open(key string) (total, peer int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total, s.byPeer[key]
}
