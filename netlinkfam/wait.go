package netlinkfam

import (
	"context"
	"fmt"
)

// Usable reports whether ev shows a link that can carry traffic: up, with
// an operational state of UP, or UNKNOWN with carrier (vcan reports that),
// and, for a CAN controller, not bus-off, stopped or sleeping.
func (ev *LinkEvent) Usable() bool {
	if ev.Deleted || ev.Err != nil || !ev.Up {
		return false
	}
	if ev.OperState != OperUp && ev.OperState != OperUnknown {
		return false
	}
	// UNKNOWN is what vcan reports for good, but also what a veth reports
	// for a moment between its own "up" and its carrier state: only
	// UNKNOWN with carrier (IFF_LOWER_UP, which vcan always has) counts.
	if ev.OperState == OperUnknown && !ev.LowerUp {
		return false
	}
	if ev.CAN != nil && ev.CAN.HasState {
		switch ev.CAN.State {
		case CANStateBusOff, CANStateStopped, CANStateSleeping:
			return false
		}
	}
	return true
}

// WaitLink waits until the named link's state satisfies cond (for example
// (*LinkEvent).Usable) and returns that event. The current state is checked
// first, so a link that already satisfies cond returns at once. It returns
// ctx's error if ctx ends first. cfg selects the namespace; its ListExisting
// is implied.
func WaitLink(ctx context.Context, cfg *SubscribeConfig, name string, cond func(*LinkEvent) bool) (LinkEvent, error) {
	if err := validIfName("link name", name); err != nil {
		return LinkEvent{}, err
	}
	c := SubscribeConfig{ListExisting: true}
	if cfg != nil {
		c = *cfg
		c.ListExisting = true
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, err := SubscribeLinks(ctx, &c)
	if err != nil {
		return LinkEvent{}, err
	}
	for ev := range ch {
		if ev.Err != nil {
			return LinkEvent{}, fmt.Errorf("netlinkfam: wait for link %s: %w", name, ev.Err)
		}
		if ev.Name == name && cond(&ev) {
			return ev, nil
		}
	}
	return LinkEvent{}, fmt.Errorf("netlinkfam: wait for link %s: %w", name, ctx.Err())
}
