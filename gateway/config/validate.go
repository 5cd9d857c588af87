package config

import (
	"fmt"
	"net"
	"strings"
)

// Endpoint returns the endpoint named name, or nil.
func (c *Config) Endpoint(name string) *Endpoint {
	for _, e := range c.Endpoints {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// binds returns the local resources e binds, for conflict checks.
func (e *Endpoint) binds() []Bind {
	if b, ok := e.Settings.(Binder); ok {
		return b.Binds()
	}
	return nil
}

// guardedPair reports whether frames from f to t pass the route's allow
// list: f is untrusted and t a bus (or either declared nothing).
func guardedPair(f, t *Endpoint) bool {
	return f.Traits().Trust.Untrusted() && t.Traits().Trust.Guarded()
}

// etherOnly reports whether e carries Ethernet frames and nothing else (an
// interface bridged by a packet endpoint).
func etherOnly(e *Endpoint) bool { return e.Traits().Carries == CarriesEthernet }

// NormAddr returns host:port with the host's IP written canonically, so two
// spellings of one address compare equal.
func NormAddr(s string) string { return normAddr(s) }

func normAddr(s string) string {
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return s
	}
	if ip := net.ParseIP(h); ip != nil {
		h = ip.String()
	}
	return net.JoinHostPort(h, p)
}

func (d *decoder) validate(c *Config) {
	d.checkBinds(c)
	used := map[string]bool{}
	byName := make(map[string]*Endpoint, len(c.Endpoints))
	names := make([]string, 0, len(c.Endpoints))
	for _, e := range c.Endpoints {
		if _, dup := byName[e.Name]; !dup {
			byName[e.Name] = e
		}
		names = append(names, e.Name)
	}
	pairs := 0 // source → destination pairs of all routes so far
	routeNames := map[string]Pos{}
	for i, r := range c.Routes {
		if i%64 == 0 && d.interrupted() != nil {
			return
		}
		path := "routes." + r.Name
		if p, dup := routeNames[r.Name]; dup {
			d.addErr(r.Pos, path+".name", "route names must be unique", "duplicate route %q (first at %v)", r.Name, p)
		}
		routeNames[r.Name] = r.Pos
		resolve := func(list []string, pos []Pos, field string, want func(*Endpoint) bool, wantMsg string) []*Endpoint {
			var out []*Endpoint
			for i, n := range list {
				e := byName[n]
				if e == nil {
					hint := "defined endpoints: " + nameList(names, 20)
					if s := d.suggest(n, names); s != "" {
						hint = fmt.Sprintf("did you mean %q?", s)
					}
					d.addErr(pos[i], path+"."+field, hint, "unknown endpoint %q", n)
					continue
				}
				used[n] = true
				if !want(e) {
					d.addErr(pos[i], path+"."+field, wantMsg, "route is unreachable: endpoint %q (%s) %s", n, e.Kind, map[string]string{"from": "never produces frames", "to": "cannot be written"}[field])
				}
				out = append(out, e)
			}
			return out
		}
		from := resolve(r.From, r.FromPos, "from", (*Endpoint).CanRead, "it is a sink (a log endpoint in mode write, a capture file); use mode: read to replay a log")
		to := resolve(r.To, r.ToPos, "to", (*Endpoint).CanWrite, "it is a source (a log endpoint in mode read); use mode: write to record")
		isTo := make(map[*Endpoint]bool, len(to))
		for _, t := range to {
			isTo[t] = true
		}
		for i, f := range from {
			if isTo[f] {
				d.addErr(r.FromPos[i], path, "a route from an endpoint to itself would loop frames back", "endpoint %q is both source and destination", f.Name)
			}
		}
		// The checks below look at every source → destination pair:
		// bound them, so that a file of a few long lists cannot take
		// hours.
		if n := len(from) * len(to); n > maxRoutePairs || pairs+n > maxPairs {
			d.addErr(r.Pos, path, "split it into routes with fewer sources and destinations", "route connects %d sources to %d destinations: at most %d pairs per route and %d in all routes", len(from), len(to), maxRoutePairs, maxPairs)
			continue
		} else {
			pairs += n
		}
		for _, f := range r.Filters {
			if f.Inverted && f.Mask == 0 {
				d.addErr(f.Pos, path+".filters", "an inverted filter with mask 0 matches no frame", "route is unreachable: filter never matches")
			}
		}
		if len(r.Filters) > 0 && allInvertedZero(r.Filters) {
			continue
		}
		d.validateEthernet(c, r, path, from, to)
		// Network → bus safety.
		for _, f := range from {
			for _, t := range to {
				if guardedPair(f, t) {
					text := "nothing (no allow list: every frame is a not_allowed drop)"
					if !r.Allow.Empty() {
						text = r.Allow.Describe()
					}
					c.Admissions = append(c.Admissions, Admission{Route: r.Name, From: f.Name, To: t.Name, Pos: r.Pos, Text: text})
				}
				if guardedPair(f, t) && !etherOnly(t) && !r.Allow.Any && len(r.Allow.Entries) == 0 && !r.Allow.Error {
					msg := "no `allow` list: this route injects nothing onto the bus (every frame is dropped, reason not_allowed)"
					c.Warnings = append(c.Warnings, &Error{Pos: r.Pos, Field: path + ".allow", Msg: fmt.Sprintf("%s → %s: %s", f.Name, t.Name, msg), Hint: "add e.g. allow: [\"100:700\"] naming the id/mask ranges peers may write"})
				}
			}
		}
		if r.Offload == "require" {
			ok := len(from) > 0 && len(to) > 0
			for _, e := range append(append([]*Endpoint{}, from...), to...) {
				if _, raw := e.Settings.(RawCAN); !raw {
					ok = false
				}
			}
			if !ok {
				d.addErr(r.Pos, path+".offload", "kernel offload (can-gw) needs can endpoints on both sides; use offload: auto", "offload: require is impossible")
			}
			if r.Rate.PerSecond > 0 || len(r.Transform.Remap) > 0 || len(r.Filters) > 1 {
				d.addErr(r.Pos, path+".offload", "can-gw has no rate limit or ID remap table and takes one filter; use offload: auto", "offload: require is impossible with rate, remap or several filters")
			}
		}
		for _, t := range to {
			if rc, raw := t.Settings.(RawCAN); raw && r.FrameType == "fd" && !rawFD(rc) {
				d.addErr(r.Pos, path+".frames", "set fd: true on endpoint "+t.Name, "route forwards only FD frames to %q, which has fd off", t.Name)
			}
		}
	}
	for _, e := range c.Endpoints {
		if !used[e.Name] {
			c.Warnings = append(c.Warnings, &Error{Pos: e.Pos, Field: "endpoints." + e.Name, Msg: "endpoint is not used by any route", Hint: "add a route or remove it"})
		}
	}
}

// Bounds on the source → destination pairs of routes (see validate).
const (
	maxRoutePairs = 1 << 16
	maxPairs      = 1 << 20
)

// nameList joins names, the first max of them and a count of the rest.
func nameList(names []string, max int) string {
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s, … (%d more)", strings.Join(names[:max], ", "), len(names)-max)
}

func rawFD(r RawCAN) bool {
	_, fd, _ := r.RawCAN()
	return fd
}

func allInvertedZero(fs []Filter) bool {
	for _, f := range fs {
		if !(f.Inverted && f.Mask == 0) {
			return false
		}
	}
	return true
}

// posOf returns the position of name in a route's from or to list.
func posOf(names []string, pos []Pos, name string, def Pos) Pos {
	for i, n := range names {
		if n == name && i < len(pos) {
			return pos[i]
		}
	}
	return def
}

// validateEthernet checks routes that carry Ethernet frames (from or to a
// packet endpoint): CAN-only route settings are refused, both ends must be
// able to carry Ethernet, and a network source writing onto an interface
// needs an ethertype allow list or allow: [any].
func (d *decoder) validateEthernet(c *Config, r *Route, path string, from, to []*Endpoint) {
	ether := false
	for _, e := range append(append([]*Endpoint{}, from...), to...) {
		if etherOnly(e) {
			ether = true
		}
	}
	for _, f := range from {
		for _, t := range to {
			if guardedPair(f, t) && !etherOnly(t) && len(r.Allow.EtherTypes) > 0 {
				d.addErr(r.Pos, path+".allow", "ethertypes are for routes onto packet endpoints; write CAN id:mask entries, e.g. \"100:700\"", "%s → %s: ethertype entries in allow do not apply to a CAN bus", f.Name, t.Name)
			}
		}
	}
	if !ether {
		return
	}
	const eth = "filter Ethernet frames with the packet endpoint's filter: (a tcpdump expression)"
	if len(r.Filters) > 0 {
		d.addErr(r.Filters[0].Pos, path+".filters", eth, "route filters match CAN IDs; this route carries Ethernet frames")
	}
	if r.FrameType != "any" {
		d.addErr(r.Pos, path+".frames", "remove frames: (or set it to any)", "frames: %s selects CAN frame types; this route carries Ethernet frames", r.FrameType)
	}
	if !r.Transform.Empty() {
		d.addErr(r.Pos, path+".transform", "transforms rewrite CAN IDs and data bytes; remove transform: from this route", "transform is CAN-only; this route carries Ethernet frames")
	}
	for _, f := range from {
		for _, t := range to {
			if etherOnly(f) && !t.Carries(CarriesEthernet) {
				d.addErr(posOf(r.To, r.ToPos, t.Name, r.Pos), path+".to", "Ethernet frames go to packet, capture or udp endpoints, or tcp/unix/vsock links with pdus: true (socketcand and plain cannelloni links carry CAN only)", "endpoint %q (%s) cannot carry the Ethernet frames of %q", t.Name, t.Kind, f.Name)
			}
			if etherOnly(t) && !f.Carries(CarriesEthernet) {
				d.addErr(posOf(r.From, r.FromPos, f.Name, r.Pos), path+".from", "a packet endpoint writes Ethernet frames from packet or udp endpoints, or tcp/unix/vsock links with pdus: true", "endpoint %q (%s) produces no Ethernet frames for %q", f.Name, f.Kind, t.Name)
			}
			if !guardedPair(f, t) || !etherOnly(t) {
				continue
			}
			if len(r.Allow.Entries) > 0 || r.Allow.Error {
				d.addErr(r.AllowPos, path+".allow", "list ethertypes, e.g. [0x0800, 0x0806], or any", "%s → %s: CAN id:mask entries in allow do not apply to an Ethernet interface", f.Name, t.Name)
			}
			if !r.Allow.Any && len(r.Allow.EtherTypes) == 0 {
				msg := "no `allow` list: this route writes nothing onto interface " + t.Interface() + " (every frame is dropped, reason not_allowed)"
				c.Warnings = append(c.Warnings, &Error{Pos: r.Pos, Field: path + ".allow", Msg: fmt.Sprintf("%s → %s: %s", f.Name, t.Name, msg), Hint: "add allow: [0x88b5] naming the ethertypes peers may write, or allow: [any]"})
			}
		}
	}
}
