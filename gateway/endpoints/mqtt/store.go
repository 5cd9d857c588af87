package mqtt

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

// store is the client's in-memory packet store (paho.Store). paho keeps
// each QoS 1 message in it from publishing until the broker's PUBACK, and
// publishes what it holds again after a reconnect, in the order given by
// All (the order messages were stored). Sending waits for a message's
// key to leave the store: that is the broker's acknowledgement, whichever
// connection carried it.
type store struct {
	mu      sync.Mutex
	m       map[string]storeEntry
	next    uint64
	pubs    int           // outbound publish packets held
	pending *atomic.Int64 // the endpoint's PendingAcks gauge
	notify  chan struct{} // signalled on each Del
}

type storeEntry struct {
	p   packets.ControlPacket
	ord uint64
}

var _ paho.Store = (*store)(nil)

func newStore(pending *atomic.Int64) *store {
	return &store{m: map[string]storeEntry{}, pending: pending, notify: make(chan struct{}, 1)}
}

func isOutboundPublish(key string, p packets.ControlPacket) bool {
	_, ok := p.(*packets.PublishPacket)
	return ok && strings.HasPrefix(key, "o.")
}

func (s *store) Open()  {}
func (s *store) Close() {}

func (s *store) Put(key string, p packets.ControlPacket) {
	s.mu.Lock()
	if old, ok := s.m[key]; ok && isOutboundPublish(key, old.p) {
		s.pubs--
	}
	s.next++
	s.m[key] = storeEntry{p: p, ord: s.next}
	if isOutboundPublish(key, p) {
		s.pubs++
	}
	s.pending.Store(int64(s.pubs))
	s.mu.Unlock()
}

func (s *store) Get(key string) packets.ControlPacket {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[key].p
}

// All returns the keys in the order they were stored, so that messages
// published again keep their order.
func (s *store) All() []string {
	s.mu.Lock()
	keys := make([]string, 0, len(s.m))
	for k := range s.m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		oa, ob := s.m[a].ord, s.m[b].ord
		switch {
		case oa < ob:
			return -1
		case oa > ob:
			return 1
		}
		return 0
	})
	s.mu.Unlock()
	return keys
}

func (s *store) Del(key string) {
	s.mu.Lock()
	if old, ok := s.m[key]; ok {
		if isOutboundPublish(key, old.p) {
			s.pubs--
		}
		delete(s.m, key)
	}
	s.pending.Store(int64(s.pubs))
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

func (s *store) Reset() {
	s.mu.Lock()
	clear(s.m)
	s.pubs = 0
	s.pending.Store(0)
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// has reports whether the store holds key (as bytes: the lookup copies
// nothing).
func (s *store) has(key []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[string(key)]
	return ok
}

// publishes returns how many outbound publish packets the store holds.
func (s *store) publishes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pubs
}
