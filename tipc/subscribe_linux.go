//go:build linux

package tipc

import (
	"context"
	"fmt"
	"sync"

	"github.com/fieldgate/fieldgate/core"
	"golang.org/x/sys/unix"
)

// Topology is a connection to the kernel's topology server, which reports
// when sockets anywhere in the cluster publish or withdraw service ranges.
// One Topology carries any number of subscriptions; Next returns their
// events in the order the server sends them.
type Topology struct {
	s    *core.Socket
	wmu  sync.Mutex
	wbuf []byte
	rmu  sync.Mutex
	rbuf [SizeofEvent + 1]byte
}

// topologyServer is the topology server's own service, {1,1}.
var topologyServer = Service{Type: core.TIPC_TOP_SRV, Instance: core.TIPC_TOP_SRV}

// Subscribe connects to the topology server and sends subs. The server
// first reports every publication that already overlaps a subscription,
// then changes as they happen.
func Subscribe(ctx context.Context, subs ...Subscription) (*Topology, error) {
	for i := range subs {
		if _, err := subs[i].MarshalBinary(); err != nil {
			return nil, fmt.Errorf("tipc: subscribe: %w", err)
		}
	}
	s, err := newSocket(unix.SOCK_SEQPACKET)
	if err != nil {
		return nil, fmt.Errorf("tipc: subscribe: %w", err)
	}
	if err := s.ConnectContext(ctx, topologyServer.addr()); err != nil {
		s.Close()
		return nil, fmt.Errorf("tipc: connect to the topology server %v: %w", topologyServer, err)
	}
	t := &Topology{s: s, wbuf: make([]byte, 0, SizeofSubscription)}
	for _, sub := range subs {
		if err := t.send(ctx, &sub, 0, "subscribe"); err != nil {
			s.Close()
			return nil, err
		}
	}
	return t, nil
}

// Add sends one more subscription.
func (t *Topology) Add(ctx context.Context, sub Subscription) error {
	return t.send(ctx, &sub, 0, "subscribe")
}

// Cancel ends a subscription sent earlier; sub must equal it (range,
// PerService, Timeout and Handle). No event confirms the cancellation.
func (t *Topology) Cancel(ctx context.Context, sub Subscription) error {
	return t.send(ctx, &sub, filterCancel, "cancel")
}

func (t *Topology) send(ctx context.Context, sub *Subscription, extra uint32, op string) error {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	b, err := sub.appendSubscr(t.wbuf[:0], extra)
	if err != nil {
		return fmt.Errorf("tipc: %s: %w", op, err)
	}
	if _, err := t.s.SendContext(ctx, b, 0); err != nil {
		return fmt.Errorf("tipc: %s %v: %w", op, sub.Range, err)
	}
	return nil
}

// Next waits for the next event until ctx is done. A message of the wrong
// size or content ends nothing: it is returned as an error and the next
// call reads on.
func (t *Topology) Next(ctx context.Context) (Event, error) {
	t.rmu.Lock()
	defer t.rmu.Unlock()
	n, err := t.s.RecvIntoContext(ctx, t.rbuf[:], 0)
	if err != nil {
		return Event{}, fmt.Errorf("tipc: topology event: %w", err)
	}
	if n == 0 {
		return Event{}, fmt.Errorf("tipc: topology server closed the connection: %w", unix.ECONNRESET)
	}
	var e Event
	if err := e.UnmarshalBinary(t.rbuf[:n]); err != nil {
		return Event{}, fmt.Errorf("tipc: topology server sent %d bytes: %w", n, err)
	}
	return e, nil
}

// Close ends every subscription.
func (t *Topology) Close() error { return t.s.Close() }

// WaitService waits until some socket publishes svc (at once if one
// already has) and returns that publication's event.
func WaitService(ctx context.Context, svc Service) (Event, error) {
	sub := Subscription{Range: ServiceRange{Type: svc.Type, Lower: svc.Instance, Upper: svc.Instance}}
	t, err := Subscribe(ctx, sub)
	if err != nil {
		return Event{}, err
	}
	defer t.Close()
	for {
		e, err := t.Next(ctx)
		if err != nil {
			return Event{}, err
		}
		if e.Kind == Published {
			return e, nil
		}
	}
}

// NodeID returns this node's TIPC address as sockets on it report it (the
// Node of every local SocketID).
func NodeID() (uint32, error) {
	s, err := newSocket(unix.SOCK_RDM)
	if err != nil {
		return 0, fmt.Errorf("tipc: node id: %w", err)
	}
	defer s.Close()
	id, err := localID(s)
	if err != nil {
		return 0, err
	}
	return id.Node, nil
}
