package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/fieldgate/fieldgate/packet"
	"gopkg.in/yaml.v3"
)

// Defaults.
const (
	DefaultAdmin        = "127.0.0.1:9108"
	DefaultQueueSize    = 1024
	DefaultMTU          = 1500
	DefaultFlush        = 0
	DefaultDrainTimeout = 5 * time.Second
	DefaultReplayWindow = 1024
	DefaultMaxClients   = 16

	// packet endpoint receive ring: 16 blocks of 128 KiB, a block handed
	// over at the latest 2 ms after its first frame.
	DefaultRingBlockSize = 128 << 10
	DefaultRingBlocks    = 16
	DefaultRingTimeout   = 2 * time.Millisecond
)

// Load reads and validates the configuration file at path.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, b)
}

// Parse decodes and validates a configuration; file names the source in
// error messages. The error, if any, is of type Errors.
func Parse(file string, b []byte) (*Config, error) {
	d := &decoder{file: file}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Errors{{Pos: Pos{File: file}, Msg: "empty configuration", Hint: "see configs/README.md"}}
		}
		return nil, Errors{yamlError(file, err)}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	c := &Config{File: file}
	top := d.object(root, "")
	lg := d.object(top.get("log"), "log")
	c.Log.Level = lg.oneOf("level", "info", "debug", "info", "warn", "error")
	c.Log.Format = lg.oneOf("format", "text", "text", "json")
	lg.done()
	ad := d.object(top.get("admin"), "admin")
	c.Admin.Listen = ad.str("listen", DefaultAdmin)
	c.Admin.Pos = d.pos(ad.get("listen"))
	if n := ad.get("listen"); n != nil && c.Admin.Listen != "" {
		d.checkHostPort(n, "admin.listen", c.Admin.Listen)
	}
	ad.done()
	c.DrainTimeout = top.duration("drain_timeout", DefaultDrainTimeout, 0, 10*time.Minute)

	if en := top.get("endpoints"); en == nil {
		d.errorf(root, "endpoints", "add an `endpoints:` mapping of name: {kind: ...}", "missing field")
	} else if en.Kind != yaml.MappingNode {
		d.errorf(en, "endpoints", "write `endpoints:` as a mapping of name: {kind: ...}", "expected a mapping, found %s", kindName(en))
	} else {
		for i := 0; i+1 < len(en.Content); i += 2 {
			k, v := en.Content[i], en.Content[i+1]
			if !validName(k.Value) {
				d.errorf(k, "endpoints."+k.Value, "names use letters, digits, '-', '_' and '.'", "invalid endpoint name %q", k.Value)
				continue
			}
			for _, e := range c.Endpoints {
				if e.Name == k.Value {
					d.errorf(k, "endpoints."+k.Value, "endpoint names must be unique", "duplicate endpoint %q (first at %v)", k.Value, e.Pos)
				}
			}
			if ep := d.endpoint(k, v); ep != nil {
				c.Endpoints = append(c.Endpoints, ep)
			}
		}
	}
	if rn := top.get("routes"); rn == nil {
		d.errorf(root, "routes", "add a `routes:` list of {from: [...], to: [...]}", "missing field")
	} else if rn.Kind != yaml.SequenceNode {
		d.errorf(rn, "routes", "write `routes:` as a list", "expected a list, found %s", kindName(rn))
	} else {
		for i, n := range rn.Content {
			c.Routes = append(c.Routes, d.route(i, n))
		}
	}
	top.done()
	d.validate(c)
	if len(d.errs) > 0 {
		return c, d.errs
	}
	return c, nil
}

var yamlLine = regexp.MustCompile(`line (\d+)(?:, column (\d+))?`)

func yamlError(file string, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	p := Pos{File: file}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Column = 1
		if m[2] != "" {
			p.Column, _ = strconv.Atoi(m[2])
		}
	}
	return &Error{Pos: p, Msg: "YAML syntax: " + msg, Hint: "check indentation (spaces, not tabs) and quoting"}
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

func validName(s string) bool { return nameRE.MatchString(s) }

var ifaceRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,15}$`)

// netIfaceRE is what Linux accepts as a network interface name (dev_valid_name:
// at most 15 bytes, no '/', ':' or white space), restricted to the
// characters interface names use in practice.
var netIfaceRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,15}$`)

func (d *decoder) checkHostPort(n *yaml.Node, field, s string) bool {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		d.errorf(n, field, "use host:port, e.g. 127.0.0.1:20000 or [::1]:20000", "invalid address %q", s)
		return false
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		d.errorf(n, field, "ports are 0..65535", "invalid port %q", port)
		return false
	}
	if host != "" && net.ParseIP(host) == nil && !validHostname(host) {
		d.errorf(n, field, "an IP address or a host name", "invalid host %q", host)
		return false
	}
	return true
}

var hostRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$`)

func validHostname(h string) bool { return hostRE.MatchString(h) }

func (d *decoder) endpoint(k, v *yaml.Node) *Endpoint {
	path := "endpoints." + k.Value
	o := d.object(v, path)
	e := &Endpoint{Name: k.Value, Pos: d.pos(k)}
	kn := o.get("kind")
	if kn == nil {
		d.errorf(k, path+".kind", "one of: "+strings.Join(Kinds, ", "), "missing field")
		o.done()
		return nil
	}
	e.Kind = o.oneOf("kind", "", Kinds...)
	if e.Kind == "" {
		o.done()
		return nil
	}
	q := d.object(o.get("queue"), path+".queue")
	e.Queue.Size = int(q.uint("size", DefaultQueueSize, 1, 1<<20))
	e.Queue.Overflow = q.oneOf("overflow", DropOldest, DropOldest, DropNewest, Backpressure)
	q.done()
	iface := func() {
		n, ok := o.scalar("interface")
		if !ok {
			d.errorf(k, path+".interface", "the CAN interface name, e.g. can0 or vcan0", "missing field")
			return
		}
		if !ifaceRE.MatchString(n.Value) {
			d.errorf(n, path+".interface", "interface names are at most 15 characters", "invalid interface name %q", n.Value)
		}
		e.Interface = n.Value
	}
	addr := func(key string, required bool, def string) string {
		n, ok := o.scalar(key)
		if !ok {
			if required {
				d.errorf(k, path+"."+key, "host:port, e.g. 0.0.0.0:20000", "missing field")
			}
			return def
		}
		d.checkHostPort(n, path+"."+key, n.Value)
		return n.Value
	}
	mode := func(def string, allowed ...string) {
		e.Mode = o.oneOf("mode", def, allowed...)
	}
	backoff := func() {
		b := d.object(o.get("reconnect"), path+".reconnect")
		e.Reconnect.Min = b.duration("min", 100*time.Millisecond, time.Millisecond, time.Hour)
		e.Reconnect.Max = b.duration("max", 5*time.Second, time.Millisecond, time.Hour)
		if e.Reconnect.Max < e.Reconnect.Min {
			d.errorf(o.get("reconnect"), path+".reconnect", "max must be >= min", "max %v < min %v", e.Reconnect.Max, e.Reconnect.Min)
		}
		b.done()
	}
	peers := func() {
		for _, n := range o.list("allow_peers") {
			s := n.Value
			if net.ParseIP(s) == nil {
				if _, _, err := net.ParseCIDR(s); err != nil {
					d.errorf(n, path+".allow_peers", "an IP address or a CIDR prefix such as 10.0.0.0/8", "invalid peer %q", s)
					continue
				}
			}
			e.AllowPeers = append(e.AllowPeers, s)
		}
	}
	tlsOpt := func() {
		tn := o.get("tls")
		if tn == nil {
			return
		}
		t := d.object(tn, path+".tls")
		e.TLS = &TLS{Cert: t.str("cert", ""), Key: t.str("key", ""), CA: t.str("ca", ""), ServerName: t.str("server_name", ""), Pos: d.pos(tn)}
		t.done()
		if e.Mode != "client" && (e.TLS.Cert == "" || e.TLS.Key == "") {
			d.errorf(tn, path+".tls", "a server needs cert: and key: files", "missing certificate")
		}
		if (e.TLS.Cert == "") != (e.TLS.Key == "") {
			d.errorf(tn, path+".tls", "give both cert: and key:", "cert and key must be set together")
		}
	}
	switch e.Kind {
	case KindCAN:
		iface()
		e.FD = o.boolean("fd", false)
		e.Filters = d.filters(o, path, "filters")
		e.ErrorMask = uint32(o.uint("error_mask", 0, 0, 0x1FFFFFFF))
		e.Confirm = o.boolean("confirm", false)
	case KindISOTP:
		iface()
		e.TxID = uint32(o.uint("tx_id", 0, 0, 0x9FFFFFFF))
		e.RxID = uint32(o.uint("rx_id", 0, 0, 0x9FFFFFFF))
		if !o.has("tx_id") || !o.has("rx_id") {
			d.errorf(k, path, "an isotp endpoint needs tx_id and rx_id", "missing tx_id/rx_id")
		}
		if e.TxID == e.RxID && o.has("tx_id") {
			d.errorf(o.get("rx_id"), path+".rx_id", "use different IDs for the two directions", "rx_id equals tx_id")
		}
		io := d.object(o.get("options"), path+".options")
		if io.has("padding") {
			p := uint8(io.uint("padding", 0, 0, 255))
			e.ISOTP.Padding = &p
		}
		if io.has("ext_addr") {
			p := uint8(io.uint("ext_addr", 0, 0, 255))
			e.ISOTP.ExtAddr = &p
		}
		e.ISOTP.BlockSize = uint8(io.uint("block_size", 0, 0, 255))
		e.ISOTP.STmin = uint8(io.uint("stmin", 0, 0, 255))
		io.done()
		e.FD = o.boolean("fd", false)
	case KindJ1939:
		iface()
		e.J1939.Name = o.uint("name", 0, 0, 1<<64-1)
		e.J1939.Addr = uint8(o.uint("address", 0xFF, 0, 0xFF)) // 0xFF: no address (receive only unless name is set)
		for _, n := range o.list("pgns") {
			if v, ok := d.parseUint(n, path+".pgns", 0, 0x3FFFF); ok {
				e.J1939.PGNs = append(e.J1939.PGNs, uint32(v))
			}
		}
		e.J1939.Promisc = o.boolean("promiscuous", false)
	case KindUDP:
		e.Listen = addr("listen", true, "")
		e.Peer = addr("peer", false, "")
		e.MTU = int(o.uint("mtu", DefaultMTU, 576, 65535))
		e.Flush = o.duration("flush", DefaultFlush, 0, 10*time.Second)
		peers()
		if an := o.get("auth"); an != nil {
			a := d.object(an, path+".auth")
			e.Auth = &Auth{Pos: d.pos(an)}
			kf, ok := a.scalar("key_file")
			if !ok {
				d.errorf(an, path+".auth.key_file", "a file with 32 random bytes (hex or raw), mode 0600", "missing field")
			} else {
				e.Auth.KeyFile = kf.Value
			}
			e.Auth.Provider = a.oneOf("provider", "auto", "auto", "kernel", "go")
			e.Auth.ReplayWindow = int(a.uint("replay_window", DefaultReplayWindow, 64, 1<<16))
			a.done()
		}
	case KindTCP:
		mode("server", "server", "client")
		if e.Mode == "server" {
			e.Listen = addr("listen", true, "")
		} else {
			e.Peer = addr("peer", true, "")
		}
		e.MaxClients = int(o.uint("max_clients", DefaultMaxClients, 1, 4096))
		e.PDUs = o.boolean("pdus", false)
		peers()
		backoff()
		tlsOpt()
	case KindSocketcand:
		e.Listen = addr("listen", false, "127.0.0.1:29536")
		e.Bus = o.str("bus", "")
		if e.Bus == "" {
			d.errorf(k, path+".bus", "the bus name clients open, e.g. vcan0", "missing field")
		}
		if o.has("interface") {
			// Optional: the CAN interface for the modes that need a
			// kernel socket of their own per client (isotpmode, muxfilter).
			iface()
		}
		e.Beacon = o.boolean("beacon", false)
		e.MaxClients = int(o.uint("max_clients", DefaultMaxClients, 1, 4096))
		e.Mode = "server"
		peers()
		tlsOpt()
	case KindVsock:
		mode("server", "server", "client")
		e.CID = uint32(o.uint("cid", 0, 0, 0xFFFFFFFF))
		e.Port = uint32(o.uint("port", 0, 1, 0xFFFFFFFE))
		if !o.has("port") {
			d.errorf(k, path+".port", "the vsock port, e.g. 20000", "missing field")
		}
		if e.Mode == "client" && !o.has("cid") {
			d.errorf(k, path+".cid", "the peer CID: 2 = host, 1 = local loopback, guests have their own", "missing field")
		}
		e.MaxClients = int(o.uint("max_clients", DefaultMaxClients, 1, 4096))
		e.PDUs = o.boolean("pdus", false)
		backoff()
	case KindUnix:
		mode("server", "server", "client")
		e.Path = o.str("path", "")
		if e.Path == "" {
			d.errorf(k, path+".path", "a socket path such as /run/fieldgate/bus.sock", "missing field")
		} else if len(e.Path) > 107 {
			d.errorf(o.get("path"), path+".path", "unix socket paths are at most 107 bytes", "path too long")
		}
		e.SocketType = o.oneOf("type", "stream", "stream", "seqpacket")
		e.MaxClients = int(o.uint("max_clients", DefaultMaxClients, 1, 4096))
		e.PDUs = o.boolean("pdus", false)
		if e.PDUs && e.SocketType == "seqpacket" {
			// A batch of PDUs (up to 64 × 4 KiB) exceeds what one
			// seqpacket message may carry.
			d.errorf(o.get("pdus"), path+".pdus", "use type: stream for a link that carries PDUs", "pdus needs type: stream")
		}
		backoff()
	case KindLog:
		mode("write", "write", "read")
		e.Path = o.str("path", "")
		if e.Path == "" {
			d.errorf(k, path+".path", "a candump log file path", "missing field")
		}
		e.LogIface = o.str("interface", "can0")
		if !ifaceRE.MatchString(e.LogIface) {
			d.errorf(o.get("interface"), path+".interface", "at most 15 characters, no spaces", "invalid interface name %q", e.LogIface)
		}
		rn := d.object(o.get("rotate"), path+".rotate")
		e.RotateSize = rn.size("size", 0)
		e.RotateKeep = int(rn.uint("keep", 5, 1, 1000))
		rn.done()
		e.Realtime = o.boolean("realtime", false)
	case KindPacket:
		n, ok := o.scalar("interface")
		if !ok {
			d.errorf(k, path+".interface", "the Ethernet interface name, e.g. eth0 or veth1", "missing field")
		} else {
			if !netIfaceRE.MatchString(n.Value) || n.Value == "." || n.Value == ".." {
				d.errorf(n, path+".interface", "interface names are 1-15 characters: letters, digits, '_', '.', '-' (no '/', ':' or spaces)", "invalid interface name %q", n.Value)
			}
			e.Interface = n.Value
		}
		e.Promiscuous = o.boolean("promiscuous", false)
		if fn, ok := o.scalar("filter"); ok {
			e.Filter = fn.Value
			d.checkPacketFilter(fn, path+".filter")
		}
		rn := d.object(o.get("ring"), path+".ring")
		e.Ring.BlockSize = rn.size("block_size", DefaultRingBlockSize)
		e.Ring.Blocks = int(rn.uint("blocks", DefaultRingBlocks, 2, 4096))
		e.Ring.Timeout = rn.duration("timeout", DefaultRingTimeout, time.Millisecond, time.Second)
		if bs := e.Ring.BlockSize; bs < 8192 || bs > 64<<20 || bs%4096 != 0 {
			d.errorf(rn.get("block_size"), path+".ring.block_size", "a multiple of 4 KiB between 8KiB and 64MiB, larger than the largest frame (4096 bytes + headers)", "invalid block size %d", bs)
		}
		rn.done()
	case KindCapture:
		e.Mode = "write"
		e.Path = o.str("path", "")
		if e.Path == "" {
			d.errorf(k, path+".path", "a pcapng file path, e.g. /var/log/fieldgate/can.pcapng", "missing field")
		}
		rn := d.object(o.get("rotate"), path+".rotate")
		e.RotateSize = rn.size("size", 0)
		e.RotateInterval = rn.duration("interval", 0, 0, 365*24*time.Hour)
		e.RotateKeep = int(rn.uint("keep", 0, 0, 100000))
		rn.done()
	}
	o.done()
	return e
}

func (d *decoder) filters(o *object, path, key string) []Filter {
	var out []Filter
	for i, n := range o.list(key) {
		fp := fmt.Sprintf("%s.%s[%d]", path, key, i)
		if n.Kind == yaml.ScalarNode {
			// "ID:MASK" or "ID~MASK" (inverted), candump syntax.
			f, ok := parseFilterString(n.Value)
			if !ok {
				d.errorf(n, fp, "write id:mask (hex), e.g. 123:7FF, or id~mask for an inverted filter, or {id:, mask:}", "invalid filter %q", n.Value)
				continue
			}
			f.Pos = d.pos(n)
			out = append(out, f)
			continue
		}
		fo := d.object(n, fp)
		f := Filter{Pos: d.pos(n)}
		f.ID = uint32(fo.uint("id", 0, 0, 0xFFFFFFFF))
		f.Mask = uint32(fo.uint("mask", 0xFFFFFFFF, 0, 0xFFFFFFFF))
		f.Inverted = fo.boolean("inverted", false)
		if !fo.has("id") {
			d.errorf(n, fp+".id", "the CAN ID to match, e.g. 0x123", "missing field")
		}
		fo.done()
		out = append(out, f)
	}
	return out
}

// allow decodes a route's allow list: CAN id/mask filters (as filters),
// "any", or ethertypes (numbers, for routes onto packet endpoints).
func (d *decoder) allow(o *object, path string, r *Route) {
	for i, n := range o.list("allow") {
		fp := fmt.Sprintf("%s.allow[%d]", path, i)
		if n.Kind == yaml.ScalarNode {
			if strings.EqualFold(n.Value, "any") {
				r.AllowAny = true
				continue
			}
			if f, ok := parseFilterString(n.Value); ok {
				f.Pos = d.pos(n)
				r.Allow = append(r.Allow, f)
				continue
			}
			if v, err := strconv.ParseUint(strings.ReplaceAll(n.Value, "_", ""), 0, 16); err == nil {
				if v < 0x0600 {
					d.errorf(n, fp, "ethertypes are 0x0600-0xFFFF (smaller values are 802.3 lengths)", "invalid ethertype %q", n.Value)
					continue
				}
				r.AllowEtherTypes = append(r.AllowEtherTypes, uint16(v))
				continue
			}
			d.errorf(n, fp, "write id:mask (hex) for CAN, e.g. 123:7FF, an ethertype for Ethernet, e.g. 0x0800, or any", "invalid allow entry %q", n.Value)
			continue
		}
		fo := d.object(n, fp)
		f := Filter{Pos: d.pos(n)}
		f.ID = uint32(fo.uint("id", 0, 0, 0xFFFFFFFF))
		f.Mask = uint32(fo.uint("mask", 0xFFFFFFFF, 0, 0xFFFFFFFF))
		f.Inverted = fo.boolean("inverted", false)
		if !fo.has("id") {
			d.errorf(n, fp+".id", "the CAN ID to match, e.g. 0x123", "missing field")
		}
		fo.done()
		r.Allow = append(r.Allow, f)
	}
}

// filterOffset finds the byte offset in a packet filter compiler error.
var filterOffset = regexp.MustCompile(`^filter: offset (\d+): `)

// checkPacketFilter compiles a tcpdump expression as the packet endpoint
// will attach it; an error points at the offending column when the value
// is written on one line.
func (d *decoder) checkPacketFilter(n *yaml.Node, field string) {
	if _, err := packet.AssembleFilter(n.Value, nil); err != nil {
		p := d.pos(n)
		msg := err.Error()
		if m := filterOffset.FindStringSubmatch(msg); m != nil {
			msg = strings.TrimPrefix(msg, m[0])
			off, _ := strconv.Atoi(m[1])
			switch n.Style {
			case 0:
				p.Column += off
			case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
				if !strings.ContainsAny(n.Value, "\\'\"\n") {
					p.Column += 1 + off
				}
			}
		} else {
			msg = strings.TrimPrefix(msg, "filter: ")
		}
		d.errs = append(d.errs, &Error{Pos: p, Field: field, Msg: "tcpdump filter: " + msg, Hint: "pcap-filter(7) syntax, e.g. \"ether proto 0x88b5 or (ip and udp port 319)\"; host names are not resolved"})
	}
}

func parseFilterString(s string) (Filter, bool) {
	sep := strings.IndexAny(s, ":~")
	if sep < 0 {
		return Filter{}, false
	}
	id, err1 := strconv.ParseUint(s[:sep], 16, 32)
	mask, err2 := strconv.ParseUint(s[sep+1:], 16, 32)
	if err1 != nil || err2 != nil {
		return Filter{}, false
	}
	return Filter{ID: uint32(id), Mask: uint32(mask), Inverted: s[sep] == '~'}, true
}

func (d *decoder) route(i int, n *yaml.Node) *Route {
	path := fmt.Sprintf("routes[%d]", i)
	o := d.object(n, path)
	r := &Route{Pos: d.pos(n)}
	r.Name = o.str("name", fmt.Sprintf("route%d", i))
	if !validName(r.Name) {
		d.errorf(o.get("name"), path+".name", "names use letters, digits, '-', '_' and '.'", "invalid route name %q", r.Name)
	}
	path = "routes." + r.Name
	for _, x := range o.list("from") {
		r.From = append(r.From, x.Value)
		r.FromPos = append(r.FromPos, d.pos(x))
	}
	for _, x := range o.list("to") {
		r.To = append(r.To, x.Value)
		r.ToPos = append(r.ToPos, d.pos(x))
	}
	if len(r.From) == 0 {
		d.errorf(n, path+".from", "name the source endpoint(s): from: [bus0]", "missing field")
	}
	if len(r.To) == 0 {
		d.errorf(n, path+".to", "name the destination endpoint(s): to: [link]", "missing field")
	}
	r.Filters = d.filters(o, path, "filters")
	r.FrameType = o.oneOf("frames", "any", "any", "classic", "fd")
	if o.has("allow") {
		r.AllowSet = true
		d.allow(o, path, r)
	}
	r.Offload = o.oneOf("offload", "auto", "auto", "never", "require")
	if rn := o.get("rate"); rn != nil {
		ro := d.object(rn, path+".rate")
		r.Rate.PerSecond = ro.float("frames_per_second", 0, 0.001, 1e9)
		r.Rate.Burst = int(ro.uint("burst", 0, 1, 1<<24))
		if !ro.has("frames_per_second") {
			d.errorf(rn, path+".rate.frames_per_second", "e.g. frames_per_second: 1000", "missing field")
		}
		if r.Rate.Burst == 0 {
			r.Rate.Burst = max(1, int(r.Rate.PerSecond/10))
		}
		ro.done()
	}
	if tn := o.get("transform"); tn != nil {
		d.transform(tn, path+".transform", &r.Transform)
	}
	o.done()
	return r
}

func (d *decoder) transform(n *yaml.Node, path string, t *Transform) {
	o := d.object(n, path)
	for i, rn := range o.list("remap") {
		ro := d.object(rn, fmt.Sprintf("%s.remap[%d]", path, i))
		m := Remap{From: uint32(ro.uint("from", 0, 0, 0x1FFFFFFF)), To: uint32(ro.uint("to", 0, 0, 0x1FFFFFFF))}
		if !ro.has("from") || !ro.has("to") {
			d.errorf(rn, fmt.Sprintf("%s.remap[%d]", path, i), "write {from: 0x100, to: 0x200}", "remap needs from and to")
		}
		ro.done()
		t.Remap = append(t.Remap, m)
	}
	t.AND = d.mod(o, path, "and")
	t.OR = d.mod(o, path, "or")
	t.XOR = d.mod(o, path, "xor")
	t.SET = d.mod(o, path, "set")
	t.CRC8 = d.checksum(o, path, "crc8", true)
	t.XORCS = d.checksum(o, path, "xor_checksum", false)
	o.done()
}

func (d *decoder) mod(o *object, path, key string) *Mod {
	n := o.get(key)
	if n == nil {
		return nil
	}
	mo := d.object(n, path+"."+key)
	m := &Mod{}
	if mo.has("id") {
		v := uint32(mo.uint("id", 0, 0, 0xFFFFFFFF))
		m.ID = &v
	}
	if mo.has("len") {
		v := uint8(mo.uint("len", 0, 0, 64))
		m.Len = &v
	}
	if mo.has("flags") {
		v := uint8(mo.uint("flags", 0, 0, 0xFF))
		m.Flags = &v
	}
	if dn, ok := mo.scalar("data"); ok {
		s := strings.ReplaceAll(strings.ReplaceAll(dn.Value, " ", ""), ".", "")
		s = strings.TrimPrefix(s, "0x")
		var buf [64]byte
		if len(s)%2 != 0 || len(s)/2 > 64 || !isHex(s) {
			d.errorf(dn, path+"."+key+".data", "hex bytes, e.g. 00FF00FF00000000 (up to 64 bytes)", "invalid data %q", dn.Value)
		} else {
			for i := 0; i < len(s)/2; i++ {
				v, _ := strconv.ParseUint(s[2*i:2*i+2], 16, 8)
				buf[i] = byte(v)
			}
			m.Data = &buf
			m.DataN = len(s) / 2
		}
	}
	if m.ID == nil && m.Len == nil && m.Data == nil && m.Flags == nil {
		d.errorf(n, path+"."+key, "set at least one of id, len, data, flags", "empty modification")
	}
	mo.done()
	return m
}

func isHex(s string) bool {
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

func (d *decoder) checksum(o *object, path, key string, crc bool) *Checksum {
	n := o.get(key)
	if n == nil {
		return nil
	}
	co := d.object(n, path+"."+key)
	c := &Checksum{}
	idx := func(k string) int {
		nn, ok := co.scalar(k)
		if !ok {
			d.errorf(n, path+"."+key+"."+k, "a data byte index -64..63 (negative counts from the end)", "missing field")
			return 0
		}
		v, err := strconv.Atoi(nn.Value)
		if err != nil || v < -64 || v > 63 {
			d.errorf(nn, path+"."+key+"."+k, "a data byte index -64..63 (negative counts from the end)", "invalid index %q", nn.Value)
		}
		return v
	}
	c.From, c.To, c.Result = idx("from"), idx("to"), idx("result")
	c.Init = uint8(co.uint("init", 0, 0, 255))
	if crc {
		c.Poly = uint8(co.uint("poly", 0x1D, 1, 255))
		c.FinalXOR = uint8(co.uint("final_xor", 0, 0, 255))
	}
	co.done()
	return c
}
