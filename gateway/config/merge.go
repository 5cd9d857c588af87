package config

import (
	"gopkg.in/yaml.v3"
)

// This file resolves YAML aliases (*name) and merge keys (<<: *name) for
// the decoder. A merged field keeps the position of its text in the file
// (inside the anchored mapping), so errors about it point where it is
// written; the field path is the one of the mapping it is merged into.

// defaultMergeBudget bounds how many fields merge keys may copy in one
// file. Without a bound, a small file of mappings that each merge the
// previous one twice would expand exponentially.
const defaultMergeBudget = 1 << 20

// maxAliasHops bounds alias chains (an alias resolves to its anchored node,
// which the parser never makes an alias itself; the bound is a safeguard).
const maxAliasHops = 64

// resolve returns the node an alias refers to, or n itself.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxAliasHops; i++ {
		n = n.Alias
	}
	return n
}

// resolveAll returns ns with aliases resolved; ns itself when it has none.
func resolveAll(ns []*yaml.Node) []*yaml.Node {
	for i, n := range ns {
		if n.Kind == yaml.AliasNode {
			out := make([]*yaml.Node, len(ns))
			copy(out, ns[:i])
			for j := i; j < len(ns); j++ {
				out[j] = resolve(ns[j])
			}
			return out
		}
	}
	return ns
}

// isMerge reports whether k is the merge key <<.
func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge"
}

// pairs returns the key/value pairs of mapping n with merge keys expanded:
// n's own pairs in file order (duplicates included, for the caller to
// report), then the pairs of the merged mappings whose keys are not set
// yet. As in YAML 1.1's merge key type, n's own keys override merged
// ones, and an earlier mapping in a merge list overrides a later one.
// path names n in errors about a malformed merge.
func (d *decoder) pairs(n *yaml.Node, path string) []field {
	out := make([]field, 0, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMerge(k) {
			merges = append(merges, k, v)
			continue
		}
		out = append(out, field{name: k.Value, k: k, v: resolve(v)})
	}
	if len(merges) == 0 {
		return out
	}
	have := make(map[string]bool, len(out))
	for _, f := range out {
		have[f.name] = true
	}
	seen := map[*yaml.Node]bool{n: true}
	for i := 0; i < len(merges); i += 2 {
		out = d.merge(out, have, seen, merges[i], merges[i+1], path)
	}
	return out
}

// merge appends the pairs of the merge value v (a mapping, or a list of
// mappings, usually aliases) whose keys are not in have. k is the merge
// key, where errors about v point.
func (d *decoder) merge(out []field, have map[string]bool, seen map[*yaml.Node]bool, k, v *yaml.Node, path string) []field {
	v = resolve(v)
	if v != nil && v.Kind == yaml.SequenceNode {
		for _, it := range v.Content {
			out = d.mergeMapping(out, have, seen, k, resolve(it), path)
		}
		return out
	}
	return d.mergeMapping(out, have, seen, k, v, path)
}

func (d *decoder) mergeMapping(out []field, have map[string]bool, seen map[*yaml.Node]bool, k, m *yaml.Node, path string) []field {
	if m == nil || m.Kind != yaml.MappingNode {
		what := "nothing"
		if m != nil {
			what = kindName(m)
		}
		d.errorf(k, joinField(path, "<<"), "merge a mapping: <<: *name, or a list of them: <<: [*a, *b]", "merge key needs a mapping, found %s", what)
		return out
	}
	if seen[m] {
		return out
	}
	seen[m] = true
	var nested []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		mk, mv := m.Content[i], m.Content[i+1]
		if isMerge(mk) {
			nested = append(nested, mk, mv)
			continue
		}
		if have[mk.Value] {
			continue
		}
		if d.mergeBudget <= 0 {
			if d.mergeBudget == 0 {
				d.errorf(k, joinField(path, "<<"), "merge fewer or smaller mappings", "merge keys copy more than %d fields in this file", defaultMergeBudget)
				d.mergeBudget = -1
			}
			return out
		}
		d.mergeBudget--
		have[mk.Value] = true
		out = append(out, field{name: mk.Value, k: mk, v: resolve(mv)})
	}
	for i := 0; i < len(nested); i += 2 {
		out = d.merge(out, have, seen, nested[i], nested[i+1], path)
	}
	return out
}

func joinField(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}
