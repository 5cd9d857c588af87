package tipc

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"time"
)

// Sizes of the topology server's messages (linux/tipc.h).
const (
	SizeofSubscription = 28 // struct tipc_subscr
	SizeofEvent        = 48 // struct tipc_event
)

// Subscription filter bits (struct tipc_subscr.filter).
const (
	filterPorts   = 0x01 // TIPC_SUB_PORTS: an event per publishing socket
	filterService = 0x02 // TIPC_SUB_SERVICE: an event when the range becomes available or unavailable
	filterCancel  = 0x04 // TIPC_SUB_CANCEL
	filterMask    = 0x07

	waitForever = ^uint32(0) // TIPC_WAIT_FOREVER
)

// A Subscription asks the topology server about a service range.
type Subscription struct {
	// Range is the service range to watch.
	Range ServiceRange
	// PerService, when set, reports only whether the range as a whole
	// became available or unavailable (TIPC_SUB_SERVICE) instead of one
	// event per publication (TIPC_SUB_PORTS, the default).
	PerService bool
	// Timeout ends the subscription with a Timeout event; 0 means never
	// (TIPC_WAIT_FOREVER). The kernel counts whole milliseconds.
	Timeout time.Duration
	// Handle is returned unchanged in every event of this subscription.
	Handle [8]byte
}

func (s *Subscription) filter() uint32 {
	if s.PerService {
		return filterService
	}
	return filterPorts
}

func (s *Subscription) timeoutMS() (uint32, error) {
	if s.Timeout == 0 {
		return waitForever, nil
	}
	if s.Timeout < time.Millisecond || s.Timeout/time.Millisecond >= time.Duration(waitForever) {
		return 0, fmt.Errorf("subscription %v: timeout %v out of range (1ms to %dms, or 0 for none)", s.Range, s.Timeout, waitForever-1)
	}
	return uint32(s.Timeout / time.Millisecond), nil
}

// appendSubscr appends struct tipc_subscr in network byte order, with extra
// filter bits or'ed in. The topology server takes either order (it tells
// which from the filter bits, see orderOf) and answers in the order it was
// asked in; network order is TIPC's own and reads the same on every host.
func (s *Subscription) appendSubscr(b []byte, extra uint32) ([]byte, error) {
	if err := s.Range.validateOrder(); err != nil {
		return b, err
	}
	ms, err := s.timeoutMS()
	if err != nil {
		return b, err
	}
	b = binary.BigEndian.AppendUint32(b, s.Range.Type)
	b = binary.BigEndian.AppendUint32(b, s.Range.Lower)
	b = binary.BigEndian.AppendUint32(b, s.Range.Upper)
	b = binary.BigEndian.AppendUint32(b, ms)
	b = binary.BigEndian.AppendUint32(b, s.filter()|extra)
	return append(b, s.Handle[:]...), nil
}

// MarshalBinary returns the subscription as the 28-byte struct tipc_subscr
// the topology server reads, in network byte order.
func (s *Subscription) MarshalBinary() ([]byte, error) {
	return s.appendSubscr(make([]byte, 0, SizeofSubscription), 0)
}

// UnmarshalBinary decodes a struct tipc_subscr in either byte order,
// telling which from the filter bits as the kernel does.
func (s *Subscription) UnmarshalBinary(b []byte) error {
	if len(b) != SizeofSubscription {
		return fmt.Errorf("tipc_subscr: %d bytes, want %d", len(b), SizeofSubscription)
	}
	return s.decode(b, orderOf(b[16:20]))
}

// orderOf returns the byte order of a message whose subscription filter
// is f: host order if its TIPC_SUB_* bits are set that way, else the
// other one (the kernel's rule).
func orderOf(f []byte) binary.ByteOrder {
	if binary.NativeEndian.Uint32(f)&filterMask != 0 {
		return binary.NativeEndian
	}
	if binary.NativeEndian.Uint32([]byte{0, 0, 0, 1}) == 1 {
		return binary.LittleEndian // host is big-endian
	}
	return binary.BigEndian
}

func (s *Subscription) decode(b []byte, o binary.ByteOrder) error {
	ne := o.Uint32
	var n Subscription
	n.Range = ServiceRange{Type: ne(b[0:]), Lower: ne(b[4:]), Upper: ne(b[8:])}
	if err := n.Range.validateOrder(); err != nil {
		return fmt.Errorf("tipc_subscr: %w", err)
	}
	switch ms := ne(b[12:]); ms {
	case waitForever:
	case 0:
		return fmt.Errorf("tipc_subscr: timeout 0 ms (expires at once; Subscription has no such value)")
	default:
		n.Timeout = time.Duration(ms) * time.Millisecond
	}
	f := ne(b[16:])
	switch f &^ filterCancel {
	case filterPorts:
	case filterService:
		n.PerService = true
	default:
		return fmt.Errorf("tipc_subscr: filter %#x: want TIPC_SUB_PORTS (1) or TIPC_SUB_SERVICE (2), optionally with TIPC_SUB_CANCEL (4)", f)
	}
	copy(n.Handle[:], b[20:28])
	*s = n
	return nil
}

// An EventKind says what happened to a subscribed range.
type EventKind uint32

// Event kinds (struct tipc_event.event).
const (
	// Published: a socket published (part of) the range.
	Published EventKind = 1 // TIPC_PUBLISHED
	// Withdrawn: a socket withdrew it (unbound, closed, or its node left).
	Withdrawn EventKind = 2 // TIPC_WITHDRAWN
	// Timeout: the subscription's timeout expired; it is over.
	Timeout EventKind = 3 // TIPC_SUBSCR_TIMEOUT
)

// String returns "published", "withdrawn" or "timeout".
func (k EventKind) String() string {
	switch k {
	case Published:
		return "published"
	case Withdrawn:
		return "withdrawn"
	case Timeout:
		return "timeout"
	}
	return "event(" + strconv.FormatUint(uint64(k), 10) + ")"
}

// An Event is one message of the topology server.
type Event struct {
	Kind EventKind
	// Found is the published (or withdrawn) range, which overlaps the
	// subscribed one; its Type is the subscription's.
	Found ServiceRange
	// Port is the publishing socket (zero for Timeout events).
	Port SocketID
	// Subscription is the subscription the event answers.
	Subscription Subscription
}

// String returns a one-line description, e.g.
// "published {1000,10,20} by <16777217:12345>".
func (e Event) String() string {
	if e.Kind == Timeout {
		return "timeout of subscription " + e.Subscription.Range.String()
	}
	return e.Kind.String() + " " + e.Found.String() + " by " + e.Port.String()
}

// UnmarshalBinary decodes a 48-byte struct tipc_event in the byte order of
// the subscription it carries (the server answers in the order it was
// asked).
// The found range must be ordered and overlap the subscribed one; a
// message breaking either is refused, not passed on.
func (e *Event) UnmarshalBinary(b []byte) error {
	if len(b) != SizeofEvent {
		return fmt.Errorf("tipc_event: %d bytes, want %d", len(b), SizeofEvent)
	}
	o := orderOf(b[36:40])
	ne := o.Uint32
	var n Event
	n.Kind = EventKind(ne(b[0:]))
	if n.Kind < Published || n.Kind > Timeout {
		return fmt.Errorf("tipc_event: unknown event %d", n.Kind)
	}
	if err := n.Subscription.decode(b[20:48], o); err != nil {
		return fmt.Errorf("tipc_event: %w", err)
	}
	n.Port = SocketID{Ref: ne(b[12:]), Node: ne(b[16:])}
	sub := n.Subscription.Range
	n.Found = ServiceRange{Type: sub.Type, Lower: ne(b[4:]), Upper: ne(b[8:])}
	if n.Kind != Timeout {
		if n.Found.Lower > n.Found.Upper || n.Found.Upper < sub.Lower || n.Found.Lower > sub.Upper {
			return fmt.Errorf("tipc_event: %s range [%d,%d] does not overlap the subscribed %v", n.Kind, n.Found.Lower, n.Found.Upper, sub)
		}
	}
	*e = n
	return nil
}

// MarshalBinary encodes e as struct tipc_event in network byte order, as
// the topology server answers a subscription made by this package (useful
// for tests and replay).
func (e *Event) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, SizeofEvent)
	b = binary.BigEndian.AppendUint32(b, uint32(e.Kind))
	b = binary.BigEndian.AppendUint32(b, e.Found.Lower)
	b = binary.BigEndian.AppendUint32(b, e.Found.Upper)
	b = binary.BigEndian.AppendUint32(b, e.Port.Ref)
	b = binary.BigEndian.AppendUint32(b, e.Port.Node)
	return e.Subscription.appendSubscr(b, 0)
}
