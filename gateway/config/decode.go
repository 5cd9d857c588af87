package config

import (
	"context"
	"fmt"
	"math"
	"slices"
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
	d    *decoder
	n    *yaml.Node
	path string
	// fields are the mapping's keys in file order (merged keys last).
	fields []field
	// index maps a key to its place in fields, for large mappings only:
	// small ones are searched, which is faster and allocates nothing.
	index map[string]int
	// reads are the keys the decoder asked for, present or not: the
	// known fields that hints about unknown ones list.
	reads    []string
	readsBuf [8]string
	// at is where errors about o as a whole point (the endpoint's name).
	at *yaml.Node
	// declared, when set, lists the only keys a kind's decoder may read.
	declared *Kind
}

// A field is one key of an Object and its value.
type field struct {
	name string
	k, v *yaml.Node
	used bool
}

// smallObject is the most fields an Object searches without an index.
const smallObject = 16

func (d *decoder) object(n *yaml.Node, path string) *Object {
	n = resolve(n)
	o := &Object{d: d, n: n, at: n, path: path}
	o.reads = o.readsBuf[:0]
	if n == nil {
		return o
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "write it as `key: value` lines", "expected a mapping, found %s", kindName(n))
		return o
	}
	// Keep the first of duplicate keys, in place.
	ps := d.pairs(n, path)
	o.fields = ps[:0]
	for _, p := range ps {
		if o.find(p.name) >= 0 {
			d.errorf(p.k, o.field(p.name), "remove one of them", "duplicate key %q", p.name)
			continue
		}
		o.fields = append(o.fields, p)
		switch {
		case o.index != nil:
			o.index[p.name] = len(o.fields) - 1
		case len(o.fields) > smallObject:
			o.index = make(map[string]int, len(ps))
			for i, f := range o.fields {
				o.index[f.name] = i
			}
		}
	}
	return o
}

// find returns the place of key k in o.fields, or -1.
func (o *Object) find(k string) int {
	if o.index != nil {
		if i, ok := o.index[k]; ok {
			return i
		}
		return -1
	}
	for i := range o.fields {
		if o.fields[i].name == k {
			return i
		}
	}
	return -1
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
	if !slices.Contains(o.reads, k) {
		if o.declared != nil && !o.declared.declares(k) {
			o.d.errorf(o.at, o.field(k), "declare it in the kind's Fields", "internal error: kind %q reads undeclared field %q", o.declared.Name, k)
		}
		o.reads = append(o.reads, k)
	}
	i := o.find(k)
	if i < 0 {
		return nil
	}
	o.fields[i].used = true
	return o.fields[i].v
}

// done reports every key that was not used. known lists fields besides
// those read that the hint should name.
func (o *Object) done(known ...string) {
	var all []string
	for i := range o.fields {
		f := &o.fields[i]
		if f.used {
			continue
		}
		if len(o.d.errs) >= maxErrors {
			o.d.more++ // not kept: spare the hint
			continue
		}
		if all == nil {
			all = append(all, o.reads...)
			for _, k := range known {
				if !slices.Contains(o.reads, k) {
					all = append(all, k)
				}
			}
		}
		k := f.name
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
		o.d.errorf(f.k, o.field(k), hint, "unknown field %q", k)
	}
}

// doneKind is done for an endpoint's mapping: the kind's fields are known.
func (o *Object) doneKind(k *Kind) {
	for i := range o.fields {
		if !o.fields[i].used {
			o.done(k.fieldNames()...)
			return
		}
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

func (o *Object) has(k string) bool { return o.find(k) >= 0 }

// ignore marks the keys starting with prefix as used.
func (o *Object) ignore(prefix string) {
	for i := range o.fields {
		if strings.HasPrefix(o.fields[i].name, prefix) {
			o.fields[i].used = true
		}
	}
}
