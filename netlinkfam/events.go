package netlinkfam

import "context"

// LinkEvent is one change of a link, from the kernel's RTNLGRP_LINK
// notifications.
type LinkEvent struct {
	Index     int
	Name      string
	Kind      string
	Up        bool // administratively up (IFF_UP)
	LowerUp   bool // carrier present (IFF_LOWER_UP)
	OperState OperState
	// Deleted is set when the link went away (RTM_DELLINK).
	Deleted bool
	// CAN is the CAN state and settings carried by the notification; nil for
	// non-CAN links.
	CAN *CANInfo
	// CANStateChanged is set when CAN.State differs from the state last seen
	// for this link in this subscription (or, with ListExisting, from the
	// initial listing). The kernel notifies on carrier changes, so bus-off
	// (carrier off) and the restart out of it (carrier on) are always seen;
	// error-warning/passive are reported whenever a notification happens to
	// be sent while the controller is in them.
	CANStateChanged bool
	// PrevCANState is the state before the change when CANStateChanged.
	PrevCANState CANState
	// Existing marks events synthesised from a listing (ListExisting, or the
	// resync after the kernel dropped notifications), not from a change.
	Existing bool
	// Err is set (and the other fields are zero) when a notification could
	// not be decoded, or on the last event before the channel closes because
	// the socket failed.
	Err error
}

// SubscribeConfig configures SubscribeLinks. A nil *SubscribeConfig means
// the defaults.
type SubscribeConfig struct {
	// NetNS, if non-zero, is a file descriptor of the network namespace to
	// watch; zero means the calling thread's namespace.
	NetNS int
	// ListExisting first sends one event per existing link (Existing set).
	ListExisting bool
	// Buffer is the channel's capacity; 0 means 64.
	Buffer int
	// ReadBuffer, if non-zero, sets the socket's receive buffer in bytes
	// (SO_RCVBUF); the kernel default otherwise. A larger buffer makes
	// resynchronisation after bursts rarer.
	ReadBuffer int
}

// SubscribeLinks watches link changes until ctx is done, then closes the
// channel. Events are never dropped silently: the channel blocks the reader
// goroutine while full, and if the kernel's socket buffer overflows anyway
// (ENOBUFS) the subscription lists all links again and sends them with
// Existing set, so the receiver's view is correct again.
func SubscribeLinks(ctx context.Context, cfg *SubscribeConfig) (<-chan LinkEvent, error) {
	if cfg == nil {
		cfg = &SubscribeConfig{}
	}
	return subscribeLinks(ctx, cfg)
}

// subscription holds the per-link CAN state seen so far.
type subscription struct {
	lastState map[int]CANState
}

// event turns a decoded link into an event and tracks CAN state changes.
func (s *subscription) event(l *Link, deleted, existing bool) LinkEvent {
	ev := LinkEvent{
		Index: l.Index, Name: l.Name, Kind: l.Kind, Up: l.Up, LowerUp: l.LowerUp,
		OperState: l.OperState, Deleted: deleted, CAN: l.CAN, Existing: existing,
	}
	if deleted {
		delete(s.lastState, l.Index)
		return ev
	}
	if l.CAN != nil && l.CAN.HasState {
		prev, seen := s.lastState[l.Index]
		if seen && prev != l.CAN.State {
			ev.CANStateChanged = true
			ev.PrevCANState = prev
		}
		s.lastState[l.Index] = l.CAN.State
	}
	return ev
}
