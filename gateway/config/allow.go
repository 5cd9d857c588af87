package config

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// allow decodes a route's allow list: CAN id/mask filters (as filters),
// "any", or ethertypes (numbers, for routes onto packet endpoints).
func (d *decoder) allow(o *Object, path string, r *Route) {
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
