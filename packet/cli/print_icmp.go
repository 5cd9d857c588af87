package cli

import "encoding/binary"

var unreachFmt = [...]struct{ pre, post string }{
	0: {"net ", " unreachable"}, 1: {"host ", " unreachable"},
	5: {"", " unreachable - source route failed"}, 6: {"net ", " unreachable - unknown"},
	7: {"host ", " unreachable - unknown"}, 8: {"", " unreachable - source host isolated"},
	9: {"net ", " unreachable - admin prohibited"}, 10: {"host ", " unreachable - admin prohibited"},
	11: {"net ", " unreachable - tos prohibited"}, 12: {"host ", " unreachable - tos prohibited"},
	13: {"host ", " unreachable - admin prohibited filter"}, 14: {"host ", " unreachable - host precedence violation"},
	15: {"host ", " unreachable - precedence cutoff"},
}

func icmpName(t uint8) string {
	switch t {
	case 0:
		return "echo reply"
	case 4:
		return "source quench"
	case 8:
		return "echo request"
	case 10:
		return "router solicitation"
	case 13:
		return "time stamp request"
	case 14:
		return "time stamp reply"
	case 15:
		return "information request"
	case 16:
		return "information reply"
	case 17:
		return "address mask request"
	}
	return ""
}

// icmp is tcpdump's icmp_print for the common types.
func (pr *printer) icmp(h *ipHdr, b []byte, length int) {
	if len(b) < 4 {
		pr.str("[|icmp]")
		return
	}
	typ, code := b[0], b[1]
	pr.str("ICMP ")
	trunc := func() { pr.str("[|icmp]") }
	switch typ {
	case 0, 8:
		if len(b) < 8 {
			trunc()
			return
		}
		if typ == 8 {
			pr.str("echo request, id ")
		} else {
			pr.str("echo reply, id ")
		}
		pr.u(uint64(binary.BigEndian.Uint16(b[4:])))
		pr.str(", seq ")
		pr.u(uint64(binary.BigEndian.Uint16(b[6:])))
	case 3:
		if len(b) < 28 {
			trunc()
			return
		}
		dst := b[24:28]
		switch code {
		case 2:
			pr.ip4(dst)
			pr.str(" protocol ")
			pr.u(uint64(b[17]))
			pr.str(" unreachable")
		case 3:
			hl := int(b[8]&0xf) * 4
			if len(b) < 8+hl+4 {
				trunc()
				return
			}
			dport := uint64(binary.BigEndian.Uint16(b[8+hl+2:]))
			pr.ip4(dst)
			switch b[17] {
			case 6:
				pr.str(" tcp port ")
				pr.u(dport)
			case 17:
				pr.str(" udp port ")
				pr.u(dport)
			default:
				pr.str(" protocol ")
				pr.u(uint64(b[17]))
				pr.str(" port ")
				pr.u(dport)
			}
			pr.str(" unreachable")
		case 4:
			pr.ip4(dst)
			pr.str(" unreachable - need to frag")
			if mtu := binary.BigEndian.Uint16(b[6:]); mtu != 0 {
				pr.str(" (mtu ")
				pr.u(uint64(mtu))
				pr.b = append(pr.b, ')')
			}
		default:
			if int(code) < len(unreachFmt) && unreachFmt[code].post != "" {
				pr.str(unreachFmt[code].pre)
				pr.ip4(dst)
				pr.str(unreachFmt[code].post)
			} else {
				pr.b = append(pr.b, '#')
				pr.u(uint64(code))
				pr.b = append(pr.b, ' ')
				pr.ip4(dst)
				pr.str(" unreachable")
			}
		}
	case 5:
		if len(b) < 28 {
			trunc()
			return
		}
		switch code {
		case 0:
			pr.str("redirect ")
		case 1:
			pr.str("redirect ")
		case 2, 3:
			pr.str("redirect-tos ")
		default:
			pr.str("redirect-#")
			pr.u(uint64(code))
			pr.b = append(pr.b, ' ')
		}
		pr.ip4(b[24:28])
		if code == 1 || code == 3 {
			pr.str(" to host ")
		} else {
			pr.str(" to net ")
		}
		pr.ip4(b[4:8])
	case 11:
		switch code {
		case 0:
			pr.str("time exceeded in-transit")
		case 1:
			pr.str("ip reassembly time exceeded")
		default:
			pr.str("time exceeded-#")
			pr.u(uint64(code))
		}
	case 12:
		if len(b) < 5 {
			trunc()
			return
		}
		if code != 0 {
			pr.str("parameter problem - code ")
			pr.u(uint64(code))
		} else {
			pr.str("parameter problem - octet ")
			pr.u(uint64(b[4]))
		}
	default:
		if n := icmpName(typ); n != "" {
			pr.str(n)
		} else {
			pr.str("type-#")
			pr.u(uint64(typ))
		}
	}
	pr.str(", length ")
	pr.u(uint64(length))
	if pr.v > 0 && !h.frag && len(b) >= length {
		if fold(sum16(b[:length], 0)) != 0 {
			pr.str(" (wrong icmp cksum ")
			pr.hexv(uint64(binary.BigEndian.Uint16(b[2:])))
			pr.str(" (->")
			pr.hexv(uint64(shouldBe(b[:length], 2, 0)))
			pr.str(")!)")
		}
	}
	if pr.v > 0 && (typ == 3 || typ == 4 || typ == 5 || typ == 11 || typ == 12) && len(b) >= 8+20 {
		inner := b[8:]
		n := int(binary.BigEndian.Uint16(inner[2:]))
		if len(inner) > n {
			inner = inner[:n]
		}
		pr.str("\n\t")
		pr.ipv4(inner, n, true)
	}
}

func icmp6Name(t uint8) string {
	switch t {
	case 1:
		return "destination unreachable"
	case 2:
		return "packet too big"
	case 3:
		return "time exceeded in-transit"
	case 4:
		return "parameter problem"
	case 128:
		return "echo request"
	case 129:
		return "echo reply"
	case 130:
		return "multicast listener query"
	case 131:
		return "multicast listener report"
	case 132:
		return "multicast listener done"
	case 133:
		return "router solicitation"
	case 134:
		return "router advertisement"
	case 135:
		return "neighbor solicitation"
	case 136:
		return "neighbor advertisement"
	case 137:
		return "redirect"
	case 138:
		return "router renumbering"
	case 139:
		return "node information query"
	case 140:
		return "node information reply"
	case 141:
		return "inverse neighbor solicitation"
	case 142:
		return "inverse neighbor advertisement"
	case 143:
		return "multicast listener report v2"
	}
	return ""
}

var unreach6 = [...]string{"unreachable route", "unreachable prohibited", "beyond scope", "unreachable address", "unreachable port"}

// icmp6 is tcpdump's icmp6_print for the common types.
func (pr *printer) icmp6(h *ipHdr, b []byte, length int) {
	if len(b) < 4 {
		pr.str("[|icmp6]")
		return
	}
	typ, code := b[0], b[1]
	if pr.v > 0 && !h.frag && len(b) >= length {
		ph := h.pseudo(58, length)
		if fold(sum16(b[:length], ph)) != 0 {
			pr.str("[bad icmp6 cksum 0x")
			pr.hexN(uint64(binary.BigEndian.Uint16(b[2:])), 4)
			pr.str(" -> 0x")
			pr.hexN(uint64(shouldBe(b[:length], 2, ph)), 4)
			pr.str("!] ")
		} else {
			pr.str("[icmp6 sum ok] ")
		}
	}
	pr.str("ICMP6, ")
	name := icmp6Name(typ)
	if name == "" {
		pr.str("unknown icmp6 type (")
		pr.u(uint64(typ))
		pr.b = append(pr.b, ')')
	} else {
		pr.str(name)
	}
	if pr.v > 0 && (typ == 133 || typ == 134 || typ == 135 || typ == 136 || typ == 137) {
		pr.str(", length ")
		pr.u(uint64(length))
	}
	trunc := func() { pr.str("[|icmp6]") }
	switch typ {
	case 1:
		if int(code) < len(unreach6) {
			pr.str(", ")
			pr.str(unreach6[code])
		} else {
			pr.str(", unknown unreach code (")
			pr.u(uint64(code))
			pr.b = append(pr.b, ')')
		}
		if len(b) < 8+40 {
			trunc()
			return
		}
		in := b[8:]
		switch code {
		case 0, 1, 2, 3:
			pr.b = append(pr.b, ' ')
			pr.ip6(in[24:40])
		case 4:
			nh := in[6]
			if len(in) < 40+4 {
				trunc()
				return
			}
			dport := uint64(binary.BigEndian.Uint16(in[42:]))
			pr.str(", ")
			pr.ip6(in[24:40])
			switch nh {
			case 6:
				pr.str(" tcp port ")
				pr.u(dport)
			case 17:
				pr.str(" udp port ")
				pr.u(dport)
			default:
				pr.str(" protocol ")
				pr.u(uint64(nh))
				pr.str(" port ")
				pr.u(dport)
				pr.str(" unreachable")
			}
		}
	case 2:
		if len(b) < 8 {
			trunc()
			return
		}
		pr.str(", mtu ")
		pr.u(uint64(binary.BigEndian.Uint32(b[4:])))
	case 3:
		switch code {
		case 0:
			if len(b) < 8+40 {
				trunc()
				return
			}
			pr.str(" for ")
			pr.ip6(b[8+24 : 8+40])
		case 1:
			pr.str(" (reassembly)")
		default:
			pr.str(", unknown code (")
			pr.u(uint64(code))
			pr.b = append(pr.b, ')')
		}
	case 128, 129:
		if len(b) < 8 {
			trunc()
			return
		}
		pr.str(", id ")
		pr.u(uint64(binary.BigEndian.Uint16(b[4:])))
		pr.str(", seq ")
		pr.u(uint64(binary.BigEndian.Uint16(b[6:])))
	case 131, 132:
		if len(b) < 24 {
			trunc()
			return
		}
		pr.str("max resp delay: ")
		pr.u(uint64(binary.BigEndian.Uint16(b[4:])))
		pr.str(" addr: ")
		pr.ip6(b[8:24])
	case 143:
		if len(b) < 8 {
			trunc()
			return
		}
		pr.str(", ")
		pr.u(uint64(binary.BigEndian.Uint16(b[6:])))
		pr.str(" group record(s)")
	case 133:
		if pr.v > 0 && !pr.ndOpts(b, 8, length) {
			return
		}
	case 135, 136:
		if len(b) < 24 {
			trunc()
			return
		}
		if typ == 135 {
			pr.str(", who has ")
		} else {
			pr.str(", tgt is ")
		}
		pr.ip6(b[8:24])
		if pr.v > 0 {
			if typ == 136 {
				pr.str(", Flags [")
				sep := ""
				for _, f := range []struct {
					bit  uint8
					name string
				}{{0x80, "router"}, {0x40, "solicited"}, {0x20, "override"}} {
					if b[4]&f.bit != 0 {
						pr.str(sep)
						pr.str(f.name)
						sep = ", "
					}
				}
				if sep == "" {
					pr.str("none")
				}
				pr.b = append(pr.b, ']')
			}
			if !pr.ndOpts(b, 24, length) {
				return
			}
		}
	case 130, 134, 137:
	default:
		pr.str(", length ")
		pr.u(uint64(length))
		if pr.v <= 1 {
			pr.hexASCII("\n\t", b[:min(len(b), length)])
		}
		return
	}
	if pr.v == 0 {
		pr.str(", length ")
		pr.u(uint64(length))
	}
}

// ndOpts prints neighbour discovery options from off (icmp6_opt_print).
func (pr *printer) ndOpts(b []byte, off, length int) bool {
	end := min(len(b), length)
	for cp := off; cp < end; {
		if cp+2 > end {
			pr.str("[|icmp6]")
			return false
		}
		t, n := b[cp], int(b[cp+1])
		if n == 0 || cp+n*8 > end {
			pr.str("[|icmp6]")
			return false
		}
		pr.str("\n\t  ")
		switch t {
		case 1:
			pr.str("source link-address")
		case 2:
			pr.str("destination link-address")
		case 3:
			pr.str("prefix info")
		case 5:
			pr.str("mtu")
		default:
			pr.str("unknown")
		}
		pr.str(" option (")
		pr.u(uint64(t))
		pr.str("), length ")
		pr.u(uint64(n * 8))
		pr.str(" (")
		pr.u(uint64(n))
		pr.str("): ")
		o := b[cp : cp+n*8]
		switch t {
		case 1, 2:
			pr.mac(o[2:])
		case 5:
			pr.b = append(pr.b, ' ')
			pr.u(uint64(binary.BigEndian.Uint32(o[4:])))
			if n != 1 {
				pr.str("bad option length")
			}
		default:
			if pr.v <= 1 {
				pr.hexASCII("\n\t  ", o[2:])
				return true
			}
		}
		cp += n * 8
	}
	return true
}

// arp is tcpdump's arp_print for Ethernet/IPv4 ARP.
func (pr *printer) arp(b []byte, length int) {
	if len(b) < 8 {
		pr.str("[|ARP]")
		return
	}
	hrd := binary.BigEndian.Uint16(b)
	pro := binary.BigEndian.Uint16(b[2:])
	hln, pln := int(b[4]), int(b[5])
	op := binary.BigEndian.Uint16(b[6:])
	if len(b) < 8+2*hln+2*pln {
		pr.str("[|ARP]")
		pr.hexASCII("\n\t", b)
		return
	}
	if !pr.e {
		pr.str("ARP, ")
	}
	if pro != 0x0800 && pro != 0x1000 || pln != 4 || hln == 0 || pr.v > 0 {
		if hrd == 1 {
			pr.str("Ethernet")
		} else {
			pr.str("Unknown Hardware (")
			pr.u(uint64(hrd))
			pr.b = append(pr.b, ')')
		}
		pr.str(" (len ")
		pr.u(uint64(hln))
		pr.str("), ")
		if n := etherName(pro, ""); n != "" {
			pr.str(n)
		} else {
			pr.str("Unknown Protocol (0x")
			pr.hexN(uint64(pro), 4)
			pr.b = append(pr.b, ')')
		}
		pr.str(" (len ")
		pr.u(uint64(pln))
		pr.b = append(pr.b, ')')
		if pr.v == 0 {
			pr.str(", length ")
			pr.u(uint64(length))
			return
		}
		pr.str(", ")
	}
	sha := b[8 : 8+hln]
	spa := b[8+hln : 8+hln+pln]
	tha := b[8+hln+pln : 8+2*hln+pln]
	tpa := b[8+2*hln+pln : 8+2*hln+2*pln]
	paddr := func(a []byte) {
		if len(a) == 4 {
			pr.ip4(a)
		} else {
			pr.str("<wrong proto type>")
		}
	}
	switch op {
	case 1:
		pr.str("Request who-has ")
		paddr(tpa)
		nonzero := false
		for _, c := range tha {
			nonzero = nonzero || c != 0
		}
		if nonzero {
			pr.str(" (")
			pr.mac(tha)
			pr.b = append(pr.b, ')')
		}
		pr.str(" tell ")
		paddr(spa)
	case 2:
		pr.str("Reply ")
		paddr(spa)
		pr.str(" is-at ")
		pr.mac(sha)
	case 3:
		pr.str("Reverse Request who-is ")
		pr.mac(tha)
		pr.str(" tell ")
		pr.mac(sha)
	case 4:
		pr.str("Reverse Reply ")
		pr.mac(tha)
		pr.str(" at ")
		paddr(tpa)
	default:
		pr.str("Unknown (")
		pr.u(uint64(op))
		pr.str(") ")
		pr.hexASCII("\n\t", b)
		return
	}
	pr.str(", length ")
	pr.u(uint64(length))
}
