package config

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/fieldgate/fieldgate/gateway/allowlist"
)

// allow decodes a route's allow list (package allowlist has the rule):
// scalars such as "7DF", "600-6FF", "7E0:7F8", "18DAF110", "7DF rtr",
// "error", "pgn FECA", 0x88B5 or any, and mappings {id, mask, extended,
// remote}.
func (d *decoder) allow(o *Object, path string, r *Route) {
	r.AllowPos = d.pos(o.get("allow"))
	canAt := false // AllowPos is at the first CAN entry (for errors about them)
	for i, n := range o.list("allow") {
		fp := fmt.Sprintf("%s.allow[%d]", path, i)
		if !canAt && (n.Kind != yaml.ScalarNode || !strings.HasPrefix(strings.ToLower(n.Value), "0x") && !strings.EqualFold(n.Value, "any")) {
			r.AllowPos, canAt = d.pos(n), true
		}
		if n.Kind == yaml.ScalarNode {
			if err := r.Allow.ParseEntry(n.Value); err != nil {
				d.errorf(n, fp, "write 11-bit IDs with up to 3 hex digits (7DF, 600-6FF, 7E0:7F8), 29-bit IDs with 8 (18DAF110), add \" rtr\" to admit remote requests, or write error, pgn FECA, an ethertype such as 0x0800, or any (see configs/README.md, Routes)", "%v", err)
			}
			continue
		}
		fo := d.object(n, fp)
		ext := fo.boolean("extended", false)
		max := uint64(0x7FF)
		if ext {
			max = 0x1FFFFFFF
		}
		id := uint32(fo.uint("id", 0, 0, max))
		mask := uint32(fo.uint("mask", max, 0, max))
		e := allowlist.Entry{Space: allowlist.Std, Masked: true, ID: id & mask, Mask: mask, Remote: fo.boolean("remote", false)}
		if ext {
			e.Space = allowlist.Ext
		}
		if !fo.has("id") {
			d.errorf(n, fp+".id", "the CAN ID to admit, e.g. 0x123", "missing field")
		}
		if fo.has("inverted") {
			d.errorf(fo.get("inverted"), fp+".inverted", "an allow list names what may pass; list the IDs instead", "inverted entries are not allowed in allow")
		}
		fo.done()
		r.Allow.Entries = append(r.Allow.Entries, e)
	}
}
