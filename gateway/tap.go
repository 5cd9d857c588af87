package gateway

import (
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// A Tap sees every batch a source endpoint delivers, after the engine has
// routed it, on the goroutine that received it; several sources call it
// at once. Observe must not block, allocate or keep frames: it runs on the
// forwarding path. The web console (package gateway/console) installs one
// only while a browser is connected; without one the engine pays one
// atomic load per batch.
type Tap interface {
	Observe(frames []frame.Frame)
}

// tapBox holds a Tap behind an atomic pointer.
type tapBox struct{ t Tap }

// SetTap installs t, or removes the tap when t is nil. Batches being
// delivered when it changes may still reach the previous tap.
func (g *Gateway) SetTap(t Tap) {
	if t == nil {
		g.tap.Store(nil)
		return
	}
	g.tap.Store(&tapBox{t})
}

// EndpointName returns the name of the endpoint whose index is
// frame.Frame.Source, or "endpointN" when no such endpoint runs.
func (g *Gateway) EndpointName(idx uint16) string { return g.endpointName(idx) }

// canState returns the CAN controller state last reported for iface
// (e.g. "ERROR-PASSIVE"), or "" when there is none.
func (w *linkWatch) canState(iface string) string {
	if w == nil || iface == "" {
		return ""
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	ev, ok := w.state[iface]
	if !ok || ev.CAN == nil || !ev.CAN.HasState {
		return ""
	}
	return ev.CAN.State.String()
}
