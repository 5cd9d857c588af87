package gateway

import (
	"slices"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// Direct bus access. A socketcand client in ISO-TP mode, or with a
// muxfilter, uses its own kernel socket on the endpoint's interface instead
// of the routes (the kernel segments PDUs and filters multiplexed frames).
// Such access is only granted as far as the routes would grant it:
//   - writing CAN ID id onto iface needs a route from the endpoint to a bus
//     endpoint on iface whose filters accept id and whose allow list
//     contains it (the same rule as frames sent in raw or BCM mode);
//   - reading id from iface needs a route from a bus endpoint on iface to
//     the endpoint whose filters accept id.
// The check runs against the current route table, so a reload that removes
// a route also stops the next PDU.

// busAccess reports whether endpoint name may write (or read) id on iface.
func (g *Gateway) busAccess(name, iface string, id uint32, write bool) bool {
	t := g.table.Load()
	if t == nil {
		return false
	}
	f := frame.Frame{ID: id, Type: frame.CAN}
	for _, r := range t.routes {
		if !r.accepts(&f) {
			continue
		}
		if write {
			if !slices.Contains(r.cfg.From, name) {
				continue
			}
			for i, d := range r.dests {
				if d != nil && r.guard[i] && onBus(d.cfg) && d.cfg.Interface() == iface && r.allowsDirect(id) {
					return true
				}
			}
			continue
		}
		if !slices.Contains(r.cfg.To, name) {
			continue
		}
		for _, src := range r.cfg.From {
			for _, e := range t.byEP {
				if e != nil && e.name == src && onBus(e.cfg) && e.cfg.Interface() == iface {
					return true
				}
			}
		}
	}
	return false
}

// onBus reports whether e is on a CAN bus of this host.
func onBus(e *config.Endpoint) bool {
	t := e.Traits()
	return t.Trust == config.TrustBus && t.Carries&config.CarriesCAN != 0
}

// allowsDirect reports whether the allow list admits writes on CAN ID id
// (bit 31 set for a 29-bit ID) through a client's own kernel socket: the
// same rule as for routed frames, as package allowlist states it. The
// route's transform does not apply to direct access, so a route with one
// grants none (its allow list judges transformed frames).
func (r *route) allowsDirect(id uint32) bool {
	if r.xform != nil {
		return false
	}
	return r.allow.AdmitsISOTP(id)
}
