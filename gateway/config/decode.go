package config

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// decoder walks yaml nodes and collects errors with positions.
type decoder struct {
	file string
	// ctx, when it ends, stops decoding (see ParseContext).
	ctx  context.Context
	errs Errors
	// more counts the errors beyond maxErrors, which are not kept.
	more int
	// mergeBudget is how many more fields merge keys may copy (see merge.go).
	mergeBudget int
	// suggestBudget is how many more edit distance cells suggestions
	// may compute (see suggest).
	suggestBudget int
}

// maxErrors bounds the errors kept for one file: beyond it they are
// counted, so a huge broken file cannot flood the terminal or memory.
const maxErrors = 1000

func (d *decoder) pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: d.file}
	}
	return Pos{File: d.file, Line: n.Line, Column: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, field, hint, format string, args ...any) {
	d.addErr(d.pos(n), field, hint, format, args...)
}

func (d *decoder) addErr(p Pos, field, hint, format string, args ...any) {
	if len(d.errs) >= maxErrors {
		d.more++
		return
	}
	d.errs = append(d.errs, &Error{Pos: p, Field: field, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// errors returns the errors found, with a last one counting those not kept.
func (d *decoder) errors() Errors {
	if d.more == 0 {
		return d.errs
	}
	return append(d.errs, &Error{Pos: Pos{File: d.file}, Msg: fmt.Sprintf("%d more errors not shown", d.more), Hint: "fix the errors above first"})
}

// An Object is a YAML mapping being decoded; it remembers which keys were used.
type Object struct {
	d     *decoder
	n     *yaml.Node
	path  string
	keys  map[string]*yaml.Node
	kpos  map[string]*yaml.Node
	order []string
	used  map[string]bool
	// at is where errors about o as a whole point (the endpoint's name).
	at *yaml.Node
	// declared, when set, lists the only keys a kind's decoder may read.
	declared *Kind
}

func (d *decoder) object(n *yaml.Node, path string) *Object {
	n = resolve(n)
	o := &Object{d: d, n: n, at: n, path: path, keys: map[string]*yaml.Node{}, kpos: map[string]*yaml.Node{}, used: map[string]bool{}}
	if n == nil {
		return o
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "write it as `key: value` lines", "expected a mapping, found %s", kindName(n))
		return o
	}
	for _, p := range d.pairs(n, path) {
		k, v := p.k, p.v
		if _, dup := o.keys[k.Value]; dup {
			d.errorf(k, o.field(k.Value), "remove one of them", "duplicate key %q", k.Value)
			continue
		}
		o.keys[k.Value] = v
		o.kpos[k.Value] = k
		o.order = append(o.order, k.Value)
	}
	return o
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}

func (o *Object) field(k string) string {
	if o.path == "" {
		return k
	}
	return o.path + "." + k
}

// get returns the node of key k and marks it used.
func (o *Object) get(k string) *yaml.Node {
	if o.declared != nil && !o.used[k] && !o.declared.declares(k) {
		o.d.errorf(o.at, o.field(k), "declare it in the kind's Fields", "internal error: kind %q reads undeclared field %q", o.declared.Name, k)
	}
	o.used[k] = true
	return o.keys[k]
}

// done reports every key that was not used.
func (o *Object) done(known ...string) {
	var all []string
	for k := range o.used {
		all = append(all, k)
	}
	for _, k := range known {
		if !o.used[k] {
			all = append(all, k)
		}
	}
	for _, k := range o.order {
		if o.used[k] {
			continue
		}
		if len(o.d.errs) >= maxErrors {
			o.d.more++ // not kept: spare the hint
			continue
		}
		others := make([]string, 0, len(all))
		for _, a := range all {
			if a != k {
				others = append(others, a)
			}
		}
		hint := "remove it; known fields: " + strings.Join(sorted(others), ", ")
		if s := o.d.suggest(k, others); s != "" {
			hint = fmt.Sprintf("did you mean %q?", s)
		}
		o.d.errorf(o.kpos[k], o.field(k), hint, "unknown field %q", k)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func (o *Object) scalar(k string) (*yaml.Node, bool) {
	n := o.get(k)
	if n == nil {
		return nil, false
	}
	if n.Kind != yaml.ScalarNode {
		o.d.errorf(n, o.field(k), "", "expected a single value, found %s", kindName(n))
		return nil, false
	}
	return n, true
}

func (o *Object) str(k, def string) string {
	n, ok := o.scalar(k)
	if !ok {
		return def
	}
	return n.Value
}

func (o *Object) oneOf(k, def string, allowed ...string) string {
	n, ok := o.scalar(k)
	if !ok {
		return def
	}
	for _, a := range allowed {
		if n.Value == a {
			return a
		}
	}
	hint := "one of: " + strings.Join(allowed, ", ")
	if s := o.d.suggest(n.Value, allowed); s != "" {
		hint = fmt.Sprintf("did you mean %q?", s)
	}
	o.d.errorf(n, o.field(k), hint, "invalid value %q", n.Value)
	return def
}

func (o *Object) boolean(k string, def bool) bool {
	n, ok := o.scalar(k)
	if !ok {
		return def
	}
	switch n.Value {
	case "true", "yes", "on":
		return true
	case "false", "no", "off":
		return false
	}
	o.d.errorf(n, o.field(k), "use true or false", "invalid boolean %q", n.Value)
	return def
}

// uint parses an unsigned integer (decimal, 0x hex, 0o octal, 0b binary) in [lo, hi].
func (o *Object) uint(k string, def, lo, hi uint64) uint64 {
	n, ok := o.scalar(k)
	if !ok {
		return def
	}
	v, ok := o.d.parseUint(n, o.field(k), lo, hi)
	if !ok {
		return def
	}
	return v
}

func (d *decoder) parseUint(n *yaml.Node, field string, lo, hi uint64) (uint64, bool) {
	s := strings.ReplaceAll(n.Value, "_", "")
	v, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		d.errorf(n, field, fmt.Sprintf("an integer between %s and %s (0x.. for hex)", fmtNum(lo), fmtNum(hi)), "invalid number %q", n.Value)
		return 0, false
	}
	if v < lo || v > hi {
		d.errorf(n, field, fmt.Sprintf("allowed range is %s..%s", fmtNum(lo), fmtNum(hi)), "value %s out of range", n.Value)
		return 0, false
	}
	return v, true
}

func fmtNum(v uint64) string {
	if v > 0xFFFF && v != math.MaxInt32 {
		return fmt.Sprintf("%#x", v)
	}
	return strconv.FormatUint(v, 10)
}

func (o *Object) float(k string, def, lo, hi float64) float64 {
	n, ok := o.scalar(k)
	if !ok {
		return def
	}
	v, err := strconv.ParseFloat(n.Value, 64)
	if err != nil || v < lo || v > hi || math.IsNaN(v) {
		o.d.errorf(n, o.field(k), fmt.Sprintf("a number between %g and %g", lo, hi), "invalid value %q", n.Value)
		return def
	}
	return v
}

func (o *Object) duration(k string, def, lo, hi time.Duration) time.Duration {
	n, ok := o.scalar(k)
	if !ok {
		return def
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		o.d.errorf(n, o.field(k), "a Go duration such as 100ms, 2s or 1m", "invalid duration %q", n.Value)
		return def
	}
	if v < lo || v > hi {
		o.d.errorf(n, o.field(k), fmt.Sprintf("allowed range is %v..%v", lo, hi), "duration %v out of range", v)
		return def
	}
	return v
}

// size parses a byte size such as 10MiB, 512k or 4096.
func (o *Object) size(k string, def int64) int64 {
	n, ok := o.scalar(k)
	if !ok {
		return def
	}
	s := strings.TrimSpace(n.Value)
	mult := int64(1)
	for _, suf := range []struct {
		s string
		m int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"G", 1e9}, {"M", 1e6}, {"k", 1e3}, {"K", 1e3}, {"B", 1}} {
		if strings.HasSuffix(s, suf.s) {
			mult, s = suf.m, strings.TrimSpace(strings.TrimSuffix(s, suf.s))
			break
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		o.d.errorf(n, o.field(k), "a size such as 10MiB, 500k or 4096", "invalid size %q", n.Value)
		return def
	}
	return v * mult
}

// list returns the items of a sequence; a single scalar counts as a list of one.
func (o *Object) list(k string) []*yaml.Node {
	n := o.get(k)
	if n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.SequenceNode:
		return resolveAll(n.Content)
	case yaml.ScalarNode:
		return []*yaml.Node{n}
	}
	o.d.errorf(n, o.field(k), "write a list: [a, b]", "expected a list, found %s", kindName(n))
	return nil
}

func (o *Object) has(k string) bool {
	_, ok := o.keys[k]
	return ok
}
