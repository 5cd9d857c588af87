// Package access holds the gateway's network access checks that several
// endpoint kinds share: the allow_peers list of IP addresses and prefixes.
package access

import "net/netip"

// Peers is a parsed allow_peers list. The empty list admits every peer.
type Peers []netip.Prefix

// ParsePeers parses IP addresses and CIDR prefixes; the configuration has
// validated them, so entries that do not parse are skipped.
func ParsePeers(list []string) Peers {
	var out Peers
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out
}

// Allowed reports whether a is admitted.
func (p Peers) Allowed(a netip.Addr) bool {
	if len(p) == 0 {
		return true
	}
	a = a.Unmap()
	for _, q := range p {
		if q.Contains(a) {
			return true
		}
	}
	return false
}
