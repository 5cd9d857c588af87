package config

import (
	"fmt"
	"net"
	"time"

	"gopkg.in/yaml.v3"
)

// This file is the decoding API that endpoint kinds use on their YAML
// mapping. Every method records what it reads, reports errors with the
// file, line, column and dotted field path, and returns the default when a
// value is missing or wrong, so one pass finds every error in a file.

// Path returns the dotted field path of o, e.g. endpoints.bus0.
func (o *Object) Path() string { return o.path }

// Field returns the dotted path of key k in o.
func (o *Object) Field(k string) string { return o.field(k) }

// Get returns the node of key k (nil if absent) and marks k as read.
func (o *Object) Get(k string) *yaml.Node { return o.get(k) }

// Has reports whether key k is present, without marking it read.
func (o *Object) Has(k string) bool { return o.has(k) }

// Scalar returns the node of key k if it is a single value.
func (o *Object) Scalar(k string) (*yaml.Node, bool) { return o.scalar(k) }

// Str returns the string value of key k, or def.
func (o *Object) Str(k, def string) string { return o.str(k, def) }

// OneOf returns the value of key k, which must be one of allowed, or def.
func (o *Object) OneOf(k, def string, allowed ...string) string { return o.oneOf(k, def, allowed...) }

// Bool returns the boolean value of key k (true/false, yes/no, on/off), or def.
func (o *Object) Bool(k string, def bool) bool { return o.boolean(k, def) }

// Uint returns the unsigned integer value of key k (decimal, 0x, 0o, 0b)
// within [lo, hi], or def.
func (o *Object) Uint(k string, def, lo, hi uint64) uint64 { return o.uint(k, def, lo, hi) }

// Float returns the number value of key k within [lo, hi], or def.
func (o *Object) Float(k string, def, lo, hi float64) float64 { return o.float(k, def, lo, hi) }

// Duration returns the Go duration value of key k within [lo, hi], or def.
func (o *Object) Duration(k string, def, lo, hi time.Duration) time.Duration {
	return o.duration(k, def, lo, hi)
}

// Size returns the byte size value of key k (10MiB, 512k, 4096), or def.
func (o *Object) Size(k string, def int64) int64 { return o.size(k, def) }

// List returns the items of the list at key k; a single value is a list of one.
func (o *Object) List(k string) []*yaml.Node { return o.list(k) }

// ParseUint parses n as an unsigned integer within [lo, hi] for field.
func (o *Object) ParseUint(n *yaml.Node, field string, lo, hi uint64) (uint64, bool) {
	return o.d.parseUint(n, field, lo, hi)
}

// Object returns the mapping at key k as an Object (empty when absent).
// Call Done on it when its fields are read.
func (o *Object) Object(k string) *Object {
	sub := o.d.object(o.get(k), o.field(k))
	sub.at = o.get(k)
	if sub.at == nil {
		sub.at = o.at
	}
	return sub
}

// Done reports every key of o that was not read as an unknown field.
func (o *Object) Done() { o.done() }

// Pos returns the position of n in the file (of o itself when n is nil).
func (o *Object) Pos(n *yaml.Node) Pos {
	if n == nil {
		n = o.at
	}
	return o.d.pos(n)
}

// Errorf reports an error at node n (at o itself when n is nil) for field.
func (o *Object) Errorf(n *yaml.Node, field, hint, format string, args ...any) {
	if n == nil {
		n = o.at
	}
	o.d.errorf(n, field, hint, format, args...)
}

// ErrorAt reports an error at position p for field.
func (o *Object) ErrorAt(p Pos, field, hint, format string, args ...any) {
	o.d.addErr(p, field, hint, format, args...)
}

// Missing reports that required key k is absent.
func (o *Object) Missing(k, hint string) {
	o.d.errorf(o.at, o.field(k), hint, "missing field")
}

// Interface reads the required CAN interface name at key "interface".
func (o *Object) Interface(hint string) string {
	n, ok := o.scalar("interface")
	if !ok {
		o.Missing("interface", hint)
		return ""
	}
	if !ifaceRE.MatchString(n.Value) {
		o.d.errorf(n, o.field("interface"), "interface names are at most 15 characters", "invalid interface name %q", n.Value)
	}
	return n.Value
}

// NetInterface reads the required network interface name at key
// "interface", as Linux accepts it (dev_valid_name).
func (o *Object) NetInterface(hint string) string {
	n, ok := o.scalar("interface")
	if !ok {
		o.Missing("interface", hint)
		return ""
	}
	if !netIfaceRE.MatchString(n.Value) || n.Value == "." || n.Value == ".." {
		o.d.errorf(n, o.field("interface"), "interface names are 1-15 characters: letters, digits, '_', '.', '-' (no '/', ':' or spaces)", "invalid interface name %q", n.Value)
	}
	return n.Value
}

// ValidInterface reports whether s is a valid CAN interface name.
func ValidInterface(s string) bool { return ifaceRE.MatchString(s) }

// HostPort reads a host:port address at key k.
func (o *Object) HostPort(k string, required bool, def string) string {
	n, ok := o.scalar(k)
	if !ok {
		if required {
			o.Missing(k, "host:port, e.g. 0.0.0.0:20000")
		}
		return def
	}
	o.d.checkHostPort(n, o.field(k), n.Value)
	return n.Value
}

// Role reads a connection role at key "mode" (server or client).
func (o *Object) Role(def Role) Role {
	return Role(o.oneOf("mode", string(def), string(Server), string(Client)))
}

// Filters reads a list of CAN id/mask filters at key k: "ID:MASK",
// "ID~MASK" (inverted) or {id:, mask:, inverted:}.
func (o *Object) Filters(k string) []Filter { return o.d.filters(o, o.path, k) }

// AllowPeers reads the IP addresses and CIDR prefixes at key "allow_peers".
func (o *Object) AllowPeers() []string {
	var out []string
	for _, n := range o.list("allow_peers") {
		s := n.Value
		if net.ParseIP(s) == nil {
			if _, _, err := net.ParseCIDR(s); err != nil {
				o.d.errorf(n, o.field("allow_peers"), "an IP address or a CIDR prefix such as 10.0.0.0/8", "invalid peer %q", s)
				continue
			}
		}
		out = append(out, s)
	}
	return out
}

// Backoff reads the reconnect backoff at key "reconnect".
func (o *Object) Backoff() Backoff {
	b := o.Object("reconnect")
	var r Backoff
	r.Min = b.duration("min", 100*time.Millisecond, time.Millisecond, time.Hour)
	r.Max = b.duration("max", 5*time.Second, time.Millisecond, time.Hour)
	if r.Max < r.Min {
		o.d.errorf(o.get("reconnect"), o.field("reconnect"), "max must be >= min", "max %v < min %v", r.Max, r.Min)
	}
	b.done()
	return r
}

// TLS reads the optional TLS settings at key "tls"; a server needs a
// certificate and key.
func (o *Object) TLS(server bool) *TLS {
	tn := o.get("tls")
	if tn == nil {
		return nil
	}
	t := o.Object("tls")
	r := &TLS{Cert: t.str("cert", ""), Key: t.str("key", ""), CA: t.str("ca", ""), ServerName: t.str("server_name", ""), Pos: o.d.pos(tn)}
	t.done()
	if server && (r.Cert == "" || r.Key == "") {
		o.d.errorf(tn, o.field("tls"), "a server needs cert: and key: files", "missing certificate")
	}
	if (r.Cert == "") != (r.Key == "") {
		o.d.errorf(tn, o.field("tls"), "give both cert: and key:", "cert and key must be set together")
	}
	return r
}

// Auth reads the optional datagram authentication at key "auth".
func (o *Object) Auth() *Auth {
	an := o.get("auth")
	if an == nil {
		return nil
	}
	a := o.Object("auth")
	r := &Auth{Pos: o.d.pos(an)}
	kf, ok := a.scalar("key_file")
	if !ok {
		o.d.errorf(an, o.field("auth.key_file"), "a file with 32 random bytes (hex or raw), mode 0600", "missing field")
	} else {
		r.KeyFile = kf.Value
	}
	r.Provider = a.oneOf("provider", "auto", "auto", "kernel", "go")
	r.ReplayWindow = int(a.uint("replay_window", DefaultReplayWindow, 64, 1<<16))
	a.done()
	return r
}

// KindOf returns a description of n's YAML kind for error messages.
func KindOf(n *yaml.Node) string { return kindName(n) }

func (o *Object) String() string { return fmt.Sprintf("Object(%s)", o.path) }
