package config

import (
	"net"
)

// checkBinds reports endpoints that bind a resource (a port, a socket
// path, a file, an ISO-TP channel) that the admin listener or an earlier
// endpoint binds already. A wildcard host (0.0.0.0, ::, empty) collides
// with every host on the same UDP or TCP port. Each bind is looked up in
// maps, so the check is linear in the number of endpoints; it reports the
// earliest endpoint each bind collides with.
func (d *decoder) checkBinds(c *Config) {
	type owner struct {
		i int // order of the owner's first bind of the resource
		e *Endpoint
	}
	type port struct{ space, port string }
	var (
		exact = make(map[Bind]owner, len(c.Endpoints)+1)
		wild  = map[port]owner{}                         // first wildcard bind of a port
		any   = make(map[port]owner, len(c.Endpoints)+1) // first bind of a port, any host
		n     int
	)
	add := func(b Bind, e *Endpoint) {
		var p port
		var hostWild, ip bool
		if b.Space == "udp" || b.Space == "tcp" {
			h, pt, err := net.SplitHostPort(b.Addr)
			if err == nil && pt != "0" {
				p, ip, hostWild = port{b.Space, pt}, true, wildHost(h)
			}
		}
		first := owner{i: -1}
		earlier := func(o owner, ok bool) {
			if ok && (first.i < 0 || o.i < first.i) {
				first = o
			}
		}
		o, ok := exact[b]
		earlier(o, ok)
		if ip {
			if hostWild {
				o, ok = any[p]
			} else {
				o, ok = wild[p]
			}
			earlier(o, ok)
		}
		if first.i >= 0 && first.e != e {
			d.addErr(e.Pos, "endpoints."+e.Name, "give each listener its own port, path or file", "binds %s, which %s (%v) already binds", b, first.e.Name, first.e.Pos)
		}
		me := owner{n, e}
		n++
		if _, ok := exact[b]; !ok {
			exact[b] = me
		}
		if ip {
			if _, ok := any[p]; !ok {
				any[p] = me
			}
			if _, ok := wild[p]; !ok && hostWild {
				wild[p] = me
			}
		}
	}
	if c.Admin.Listen != "" {
		add(Bind{"tcp", normAddr(c.Admin.Listen)}, &Endpoint{Name: "admin", Pos: c.Admin.Pos})
	}
	for _, e := range c.Endpoints {
		for _, b := range e.binds() {
			add(b, e)
		}
	}
}

// wildHost reports whether h is a wildcard host, which binds every address.
func wildHost(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
