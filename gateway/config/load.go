package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

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

// MaxFileSize is the largest configuration file Load reads.
const MaxFileSize = 64 << 20

// Load reads and validates the configuration file at path.
func Load(path string) (*Config, error) {
	return LoadContext(context.Background(), path)
}

// LoadContext is Load that gives up when ctx ends, with an error wrapping
// ctx's cause. The YAML parser itself cannot be interrupted: a caller
// that must return at once (on a signal) runs LoadContext in a goroutine
// and stops waiting for it; the goroutine then stops at its next check.
func LoadContext(ctx context.Context, path string) (*Config, error) {
	b, err := readConfigFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return ParseContext(ctx, path, b)
}

// readConfigFile reads at most MaxFileSize bytes of path, so that a
// device such as /dev/zero given as the file fails instead of filling
// memory.
func readConfigFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("%s: larger than %d MiB", path, MaxFileSize>>20)
	}
	return b, nil
}

// Parse decodes and validates a configuration; file names the source in
// error messages. The error, if any, is of type Errors.
func Parse(file string, b []byte) (*Config, error) {
	return ParseContext(context.Background(), file, b)
}

// ParseContext is Parse that gives up when ctx ends: it then returns a nil
// Config and an error wrapping ctx's cause (not of type Errors). It checks
// ctx between endpoints, between routes and during validation.
func ParseContext(ctx context.Context, file string, b []byte) (*Config, error) {
	d := &decoder{file: file, ctx: ctx, mergeBudget: defaultMergeBudget, suggestBudget: defaultSuggestBudget}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Errors{{Pos: Pos{File: file}, Msg: "empty configuration", Hint: "see configs/README.md"}}
		}
		return nil, Errors{yamlError(file, err)}
	}
	if err := d.interrupted(); err != nil {
		return nil, err
	}
	// A configuration is one YAML document: a second one (after a ---
	// line) would otherwise be ignored without a word.
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		d.errorf(&next, "", "a configuration file is one document: remove the `---` line and what follows, or move it into the first document", "a second YAML document starts here")
	} else if !errors.Is(err, io.EOF) {
		d.errs = append(d.errs, yamlError(file, err))
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	root = resolve(root)
	c := &Config{File: file}
	top := d.object(root, "")
	// Top-level keys starting with x- are extensions the gateway ignores:
	// the place for anchors (&name) that merge keys (<<: *name) use.
	top.ignore("x-")
	lg := d.object(top.get("log"), "log")
	c.Log.Level = lg.oneOf("level", "info", "debug", "info", "warn", "error")
	c.Log.Format = lg.oneOf("format", "text", "text", "json")
	lg.done()
	d.admin(top, c)
	c.DrainTimeout = top.duration("drain_timeout", DefaultDrainTimeout, 0, 10*time.Minute)

	if en := top.get("endpoints"); en == nil {
		d.errorf(root, "endpoints", "add an `endpoints:` mapping of name: {kind: ...}", "missing field")
	} else if en.Kind != yaml.MappingNode {
		d.errorf(en, "endpoints", "write `endpoints:` as a mapping of name: {kind: ...}", "expected a mapping, found %s", kindName(en))
	} else {
		first := map[string]Pos{}
		for i, p := range d.pairs(en, "endpoints") {
			if i%64 == 0 {
				if err := d.interrupted(); err != nil {
					return nil, err
				}
			}
			k, v := p.k, p.v
			if !validName(k.Value) {
				d.errorf(k, "endpoints."+k.Value, "names use letters, digits, '-', '_' and '.'", "invalid endpoint name %q", k.Value)
				continue
			}
			if at, dup := first[k.Value]; dup {
				d.errorf(k, "endpoints."+k.Value, "endpoint names must be unique", "duplicate endpoint %q (first at %v)", k.Value, at)
			} else {
				first[k.Value] = d.pos(k)
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
		for i, n := range resolveAll(rn.Content) {
			if i%64 == 0 {
				if err := d.interrupted(); err != nil {
					return nil, err
				}
			}
			c.Routes = append(c.Routes, d.route(i, n))
		}
	}
	top.done()
	d.validate(c)
	if err := d.interrupted(); err != nil {
		return nil, err
	}
	if len(d.errs) > 0 {
		return c, d.errors()
	}
	return c, nil
}

// interrupted returns an error wrapping the cause of ctx's end, if it ended.
func (d *decoder) interrupted() error {
	if d.ctx == nil || d.ctx.Err() == nil {
		return nil
	}
	return fmt.Errorf("config %s: loading interrupted: %w", d.file, context.Cause(d.ctx))
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

// validName reports whether s is a valid endpoint or route name: 1-64
// letters, digits, '_', '.' and '-', starting with a letter or digit.
func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && (c == '_' || c == '.' || c == '-'):
		default:
			return false
		}
	}
	return true
}

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

// A QueueDefaulter is Settings of a kind whose queue defaults differ from
// DefaultQueueSize and drop-oldest (a file sink absorbs bursts in a larger
// queue). Fields of the defaults left zero keep the general default; a
// `queue:` field given in the file always wins.
type QueueDefaulter interface {
	QueueDefaults() Queue
}

func (d *decoder) endpoint(k, v *yaml.Node) *Endpoint {
	path := "endpoints." + k.Value
	o := d.object(v, path)
	o.at = k
	e := &Endpoint{Name: k.Value, Pos: d.pos(k)}
	kn := o.get("kind")
	if kn == nil {
		d.errorf(k, path+".kind", "one of: "+kindList(), "missing field")
		o.done()
		return nil
	}
	if _, ok := LookupKind(kn.Value); ok && kn.Kind == yaml.ScalarNode {
		e.Kind = kn.Value
	} else if e.Kind = o.oneOf("kind", "", KindNames()...); e.Kind == "" {
		o.done()
		return nil
	}
	e.node = v
	kind, _ := LookupKind(e.Kind)
	q := d.object(o.get("queue"), path+".queue")
	e.Queue.Size = int(q.uint("size", DefaultQueueSize, 1, 1<<20))
	e.Queue.Overflow = q.oneOf("overflow", DropOldest, DropOldest, DropNewest, Backpressure)
	q.done()
	o.declared = kind
	e.Settings = kind.Decode(o)
	o.declared = nil
	if qd, ok := e.Settings.(QueueDefaulter); ok {
		def := qd.QueueDefaults()
		if !q.has("size") && def.Size > 0 {
			e.Queue.Size = def.Size
		}
		if !q.has("overflow") && def.Overflow != "" {
			e.Queue.Overflow = def.Overflow
		}
	}
	o.doneKind(kind)
	if e.Settings == nil {
		return nil
	}
	return e
}

func (d *decoder) filters(o *Object, path, key string) []Filter {
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

func (d *decoder) mod(o *Object, path, key string) *Mod {
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

func (d *decoder) checksum(o *Object, path, key string, crc bool) *Checksum {
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
