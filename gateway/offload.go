package gateway

import (
	"errors"
	"fmt"
	"net"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

// Kernel offload: a CAN → CAN route whose filter and transform the kernel's
// CAN gateway (can-gw) can express runs as can-gw rules instead of in user
// space (offload: auto, the default, or require). Its counters then come
// from the kernel's per-rule handled/dropped/deleted counters, and
// fieldgate_route_offloaded says 1.

// errNoOffload explains why a route stays in user space.
type errNoOffload struct{ why string }

func (e *errNoOffload) Error() string { return "not offloadable: " + e.why }

// offloadRules builds the can-gw rules for r, or says why it cannot.
func offloadRules(rc *config.Route, eps map[string]*node) ([]*can.GatewayRule, error) {
	no := func(f string, a ...any) error { return &errNoOffload{fmt.Sprintf(f, a...)} }
	if rc.Rate.PerSecond > 0 {
		return nil, no("rate limit")
	}
	if len(rc.Transform.Remap) > 0 {
		return nil, no("ID remap table")
	}
	if len(rc.Filters) > 1 {
		return nil, no("more than one filter (can-gw takes one)")
	}
	var filter *can.Filter
	if len(rc.Filters) == 1 {
		f := rc.Filters[0]
		filter = &can.Filter{ID: f.ID, Mask: f.Mask, Inverted: f.Inverted}
	}
	var rules []*can.GatewayRule
	for _, s := range rc.From {
		src := eps[s]
		sraw, ok := src.cfg.Settings.(config.RawCAN)
		if !ok {
			return nil, no("source %s is not a raw CAN endpoint", s)
		}
		sif, sfd, filtered := sraw.RawCAN()
		if filtered {
			return nil, no("source %s has socket filters", s)
		}
		si, err := net.InterfaceByName(sif)
		if err != nil {
			return nil, no("interface %s: %v", sif, err)
		}
		for _, d := range rc.To {
			dst := eps[d]
			draw, ok := dst.cfg.Settings.(config.RawCAN)
			if !ok {
				return nil, no("destination %s is not a raw CAN endpoint", d)
			}
			dif, dfd, _ := draw.RawCAN()
			di, err := net.InterfaceByName(dif)
			if err != nil {
				return nil, no("interface %s: %v", dif, err)
			}
			kinds := []bool{false} // classic
			switch {
			case rc.FrameType == "fd":
				kinds = []bool{true}
			case rc.FrameType == "any" && sfd && dfd:
				kinds = []bool{false, true}
			}
			for _, fd := range kinds {
				r := &can.GatewayRule{SrcIndex: si.Index, DstIndex: di.Index, Flags: can.GatewayEcho, Filter: filter}
				if fd {
					r.Flags |= can.GatewayFD
				}
				t := &rc.Transform
				r.And, r.Or, r.Xor, r.Set = gwMod(t.AND), gwMod(t.OR), gwMod(t.XOR), gwMod(t.SET)
				if c := t.CRC8; c != nil {
					r.CRC8 = &can.GatewayCRC8{From: int8(c.From), To: int8(c.To), Result: int8(c.Result), Init: c.Init, FinalXOR: c.FinalXOR, Table: can.CRC8Table(c.Poly)}
				}
				if c := t.XORCS; c != nil {
					r.XOR = &can.GatewayXOR{From: int8(c.From), To: int8(c.To), Result: int8(c.Result), Init: c.Init}
				}
				if err := r.Validate(); err != nil {
					return nil, no("%v", err)
				}
				rules = append(rules, r)
			}
		}
	}
	return rules, nil
}

func gwMod(m *config.Mod) *can.GatewayMod {
	if m == nil {
		return nil
	}
	g := &can.GatewayMod{}
	if m.ID != nil {
		g.Targets |= can.GatewayModID
		g.ID = *m.ID
	}
	if m.Len != nil {
		g.Targets |= can.GatewayModLen
		g.Len = *m.Len
	}
	if m.Flags != nil {
		g.Targets |= can.GatewayModFlags
		g.Flags = *m.Flags
	}
	if m.Data != nil {
		g.Targets |= can.GatewayModData
		copy(g.Data[:], m.Data[:m.DataN])
	}
	return g
}

// offload tries to install r's rules. With offload: require a failure is an
// error; with auto it is logged and the route runs in user space.
func (g *Gateway) offload(r *route, eps map[string]*node) error {
	if r.cfg.Offload == "never" {
		return nil
	}
	rules, err := offloadRules(r.cfg, eps)
	if err == nil {
		var gw *can.Gateway
		if gw, err = can.DialGateway(nil); err == nil {
			defer gw.Close()
			for i, rule := range rules {
				if err = gw.Add(rule); err != nil {
					for _, done := range rules[:i] {
						gw.Delete(done)
					}
					break
				}
			}
		}
	}
	if err != nil {
		var no *errNoOffload
		if r.cfg.Offload == "require" {
			return fmt.Errorf("route %s: offload: require: %w", r.name, err)
		}
		if errors.As(err, &no) {
			g.log.Debug("route runs in user space", "route", r.name, "reason", err)
		} else {
			g.log.Info("route runs in user space: can-gw unavailable", "route", r.name, "err", err)
		}
		return nil
	}
	r.offRules = rules
	r.offloaded = true
	g.log.Info("route offloaded to the kernel CAN gateway", "route", r.name, "rules", len(rules))
	return nil
}

// unoffload removes r's kernel rules.
func (g *Gateway) unoffload(r *route) {
	if !r.offloaded {
		return
	}
	gw, err := can.DialGateway(nil)
	if err != nil {
		return
	}
	defer gw.Close()
	for _, rule := range r.offRules {
		if err := gw.Delete(rule); err != nil {
			g.log.Warn("removing can-gw rule", "route", r.name, "err", err)
		}
	}
}

// syncOffloaded copies the kernel's rule counters into offloaded routes.
func (g *Gateway) syncOffloaded(t *table) {
	any := false
	for _, r := range t.routes {
		any = any || r.offloaded
	}
	if !any {
		return
	}
	gw, err := can.DialGateway(nil)
	if err != nil {
		return
	}
	defer gw.Close()
	list, err := gw.Rules()
	if err != nil {
		return
	}
	for _, r := range t.routes {
		if !r.offloaded {
			continue
		}
		var handled, dropped, deleted uint64
		for _, want := range r.offRules {
			for i := range list {
				k := &list[i]
				if k.SrcIndex == want.SrcIndex && k.DstIndex == want.DstIndex && k.Flags&can.GatewayFD == want.Flags&can.GatewayFD && sameFilter(k.Filter, want.Filter) {
					handled += uint64(k.Handled)
					dropped += uint64(k.Dropped)
					deleted += uint64(k.Deleted)
					break
				}
			}
		}
		r.stats.out.Store(handled)
		r.stats.in.Store(handled + dropped + deleted)
		r.stats.drops[endpoint.ReasonWriteError].Store(dropped)
		r.stats.drops[endpoint.ReasonMalformed].Store(deleted)
	}
}

func sameFilter(a, b *can.Filter) bool {
	if a == nil || b == nil {
		return a == nil && b == nil || (a == nil && b != nil && b.Mask == 0) || (b == nil && a != nil && a.Mask == 0)
	}
	return *a == *b
}
