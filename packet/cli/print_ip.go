package cli

import (
	"encoding/binary"
	"net/netip"
)

// IP protocol names as tcpdump -v prints them ("proto TCP (6)").
func ipProtoName(p uint8) string {
	switch p {
	case 0:
		return "Options"
	case 1:
		return "ICMP"
	case 2:
		return "IGMP"
	case 4:
		return "IPIP"
	case 6:
		return "TCP"
	case 17:
		return "UDP"
	case 41:
		return "IPv6"
	case 43:
		return "Routing"
	case 44:
		return "Fragment"
	case 47:
		return "GRE"
	case 50:
		return "ESP"
	case 51:
		return "AH"
	case 58:
		return "ICMPv6"
	case 59:
		return "none"
	case 60:
		return "DSTOPTS"
	case 89:
		return "OSPF"
	case 103:
		return "PIM"
	case 112:
		return "VRRP"
	case 132:
		return "SCTP"
	}
	return "unknown"
}

func (pr *printer) ip4(a []byte) {
	pr.u(uint64(a[0]))
	for _, c := range a[1:4] {
		pr.b = append(pr.b, '.')
		pr.u(uint64(c))
	}
}

func (pr *printer) ip6(a []byte) {
	pr.b = netip.AddrFrom16([16]byte(a[:16])).AppendTo(pr.b)
}

// sum16 is the ones' complement sum of b added to sum, not folded.
func sum16(b []byte, sum uint32) uint32 {
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	return sum
}

func fold(sum uint32) uint16 {
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// shouldBe returns the checksum that the field at off of b should hold
// given the pseudo-header sum ph.
func shouldBe(b []byte, off int, ph uint32) uint16 {
	sum := sum16(b[:off], ph)
	sum = sum16(b[off+2:], sum)
	return fold(sum)
}

// ipHdr is what transport printers need of the enclosing IP header.
type ipHdr struct {
	v6       bool
	src, dst []byte
	ph       func(proto uint8, n int) uint32 // pseudo-header sum
	frag     bool                            // more fragments follow (first fragment)
	plenZero bool                            // IPv6 jumbogram
}

func (h *ipHdr) pseudo(proto uint8, n int) uint32 {
	sum := sum16(h.src, 0)
	sum = sum16(h.dst, sum)
	return sum + uint32(proto) + uint32(n)
}

func (pr *printer) addr(h *ipHdr, a []byte) {
	if h.v6 {
		pr.ip6(a)
	} else {
		pr.ip4(a)
	}
}

// ipv4 is tcpdump's ip_print; length is what the link layer carried.
func (pr *printer) ipv4(b []byte, length int, _ bool) {
	if len(b) < 1 {
		pr.str("[|ip]")
		return
	}
	if v := b[0] >> 4; v != 4 {
		if v == 6 {
			pr.str("IP6, wrong link-layer encapsulation (invalid)")
		} else {
			pr.str("IP")
			pr.u(uint64(v))
			pr.str(" (invalid)")
		}
		return
	}
	if !pr.e {
		pr.str("IP ")
	}
	if len(b) < 20 {
		pr.str("[|ip]")
		return
	}
	if length < 20 {
		pr.str("truncated-ip ")
		pr.u(uint64(length))
		return
	}
	hlen := int(b[0]&0xf) * 4
	if hlen < 20 {
		pr.str("bad-hlen ")
		pr.u(uint64(hlen))
		return
	}
	ipLen := int(binary.BigEndian.Uint16(b[2:]))
	if length < ipLen {
		pr.str("truncated-ip - ")
		pr.u(uint64(ipLen - length))
		pr.str(" bytes missing! ")
	}
	if ipLen < hlen {
		pr.str("bad-len ")
		pr.u(uint64(ipLen))
		return
	}
	if len(b) > ipLen {
		b = b[:ipLen]
	}
	plen := ipLen - hlen
	off := binary.BigEndian.Uint16(b[6:])
	proto := b[9]
	if pr.v > 0 {
		tos := b[1]
		pr.str("(tos 0x")
		pr.hexv(uint64(tos))
		switch tos & 3 {
		case 1:
			pr.str(",ECT(1)")
		case 2:
			pr.str(",ECT(0)")
		case 3:
			pr.str(",CE")
		}
		if b[8] >= 1 {
			pr.str(", ttl ")
			pr.u(uint64(b[8]))
		}
		pr.str(", id ")
		pr.u(uint64(binary.BigEndian.Uint16(b[4:])))
		pr.str(", offset ")
		pr.u(uint64(off&0x1fff) * 8)
		pr.str(", flags [")
		sep := ""
		for _, f := range []struct {
			bit  uint16
			name string
		}{{0x2000, "+"}, {0x4000, "DF"}, {0x8000, "rsvd"}} {
			if off&f.bit != 0 {
				pr.str(sep)
				pr.str(f.name)
				sep = ", "
			}
		}
		if sep == "" {
			pr.str("none")
		}
		pr.str("], proto ")
		pr.str(ipProtoName(proto))
		pr.str(" (")
		pr.u(uint64(proto))
		pr.str("), length ")
		pr.u(uint64(ipLen))
		if hlen > 20 {
			pr.str(", options (...)")
		}
		if len(b) >= hlen {
			if sum := fold(sum16(b[:hlen], 0)); sum != 0 {
				pr.str(", bad cksum ")
				pr.hexv(uint64(binary.BigEndian.Uint16(b[10:])))
				pr.str(" (->")
				pr.hexv(uint64(shouldBe(b[:hlen], 10, 0)))
				pr.str(")!")
			}
		}
		pr.str(")\n    ")
	}
	h := &ipHdr{src: b[12:16], dst: b[16:20], frag: off&0x2000 != 0}
	if off&0x1fff != 0 {
		pr.ip4(b[12:16])
		pr.str(" > ")
		pr.ip4(b[16:20])
		pr.str(": ip-proto-")
		pr.u(uint64(proto))
		return
	}
	if len(b) < hlen {
		pr.str("[|ip]")
		return
	}
	if proto != 6 && proto != 17 && proto != 132 && proto != 33 {
		pr.ip4(b[12:16])
		pr.str(" > ")
		pr.ip4(b[16:20])
		pr.str(": ")
	}
	pr.demux(h, proto, b[hlen:], plen)
}

// demux hands the transport header to its printer (ip_demux_print).
func (pr *printer) demux(h *ipHdr, proto uint8, b []byte, length int) {
	switch proto {
	case 6:
		pr.tcpSeg(h, b, length)
	case 17:
		pr.udp(h, b, length)
	case 1:
		if !h.v6 {
			pr.icmp(h, b, length)
			return
		}
		fallthrough
	case 58:
		if h.v6 {
			pr.icmp6(h, b, length)
			return
		}
		fallthrough
	case 4:
		if proto == 4 {
			pr.ipv4(b, length, true)
			return
		}
		fallthrough
	case 41:
		if proto == 41 {
			pr.ipv6(b, length)
			return
		}
		fallthrough
	default:
		pr.str(" ip-proto-")
		pr.u(uint64(proto))
		pr.b = append(pr.b, ' ')
		pr.u(uint64(length))
	}
}

// ipv6 is tcpdump's ip6_print.
func (pr *printer) ipv6(b []byte, length int) {
	if !pr.e {
		pr.str("IP6 ")
	}
	if len(b) < 40 {
		pr.str("[|ip6]")
		return
	}
	if v := b[0] >> 4; v != 6 {
		pr.str("version error: ")
		pr.u(uint64(v))
		pr.str(" != 6")
		return
	}
	plen := int(binary.BigEndian.Uint16(b[4:]))
	total := length
	if plen != 0 {
		total = plen + 40
		if total > length {
			pr.str("[header+payload length ")
			pr.u(uint64(total))
			pr.str(" > length ")
			pr.u(uint64(length))
			pr.str("] (invalid)")
			return
		}
	}
	nh := b[6]
	if pr.v > 0 {
		flow := binary.BigEndian.Uint32(b)
		pr.b = append(pr.b, '(')
		if flow&0x0ff00000 != 0 {
			pr.str("class 0x")
			pr.hexN(uint64(flow&0x0ff00000)>>20, 2)
			pr.str(", ")
		}
		if flow&0x000fffff != 0 {
			pr.str("flowlabel 0x")
			pr.hexN(uint64(flow&0x000fffff), 5)
			pr.str(", ")
		}
		pr.str("hlim ")
		pr.u(uint64(b[7]))
		pr.str(", next-header ")
		pr.str(ipProtoName(nh))
		pr.str(" (")
		pr.u(uint64(nh))
		pr.str(") payload length: ")
		pr.u(uint64(plen))
		pr.str(") ")
	}
	if len(b) > total {
		b = b[:total]
	}
	h := &ipHdr{v6: true, src: b[8:24], dst: b[24:40], plenZero: plen == 0}
	if nh != 6 && nh != 17 && nh != 33 && nh != 132 {
		pr.ip6(h.src)
		pr.str(" > ")
		pr.ip6(h.dst)
		pr.str(": ")
	}
	cp := 40
	rest := total - 40
	for {
		switch nh {
		case 0, 60: // hop-by-hop, destination options
			if len(b) < cp+2 {
				pr.str("[|ip6]")
				return
			}
			n := (int(b[cp+1]) + 1) * 8
			if len(b) < cp+n {
				pr.str("[|ip6]")
				return
			}
			if nh == 0 {
				pr.str("HBH ")
			} else {
				pr.str("DSTOPT ")
			}
			if pr.v > 0 {
				pr.ip6opts(b[cp+2 : cp+n])
			}
			nh = b[cp]
			cp += n
			rest -= n
		case 44: // fragment
			if len(b) < cp+8 {
				pr.str("[|frag6]")
				return
			}
			offlg := binary.BigEndian.Uint16(b[cp+2:])
			if pr.v > 0 {
				pr.str("frag (0x")
				pr.hexN(uint64(binary.BigEndian.Uint32(b[cp+4:])), 8)
				pr.b = append(pr.b, ':')
			} else {
				pr.str("frag (")
			}
			pr.u(uint64(offlg &^ 7))
			pr.b = append(pr.b, '|')
			pr.u(uint64(rest - 8))
			pr.str(") ")
			if offlg&^7 != 0 {
				return
			}
			h.frag = offlg&1 != 0
			nh = b[cp]
			cp += 8
			rest -= 8
		default:
			pr.demux(h, nh, b[cp:], rest)
			return
		}
	}
}

// ip6opts prints hop-by-hop and destination options (-v).
func (pr *printer) ip6opts(b []byte) {
	for i := 0; i < len(b); {
		t := b[i]
		if t == 0 {
			pr.str("(pad1)")
			i++
			continue
		}
		if i+1 >= len(b) {
			pr.str("[|ip6opt]")
			return
		}
		n := int(b[i+1]) + 2
		if i+n > len(b) {
			pr.str("[|ip6opt]")
			return
		}
		switch t {
		case 1:
			pr.str("(padn)")
		case 5:
			if n != 4 {
				pr.str("(rtalert: invalid len ")
				pr.u(uint64(n - 2))
				pr.b = append(pr.b, ')')
			} else {
				pr.str("(rtalert: 0x")
				pr.hexN(uint64(binary.BigEndian.Uint16(b[i+2:])), 4)
				pr.str(") ")
			}
		default:
			pr.str("(opt_type 0x")
			pr.hexN(uint64(t), 2)
			pr.str(": len=")
			pr.u(uint64(n - 2))
			pr.b = append(pr.b, ')')
		}
		i += n
	}
	pr.b = append(pr.b, ' ')
}

func (pr *printer) ports(h *ipHdr, sp, dp uint16) {
	pr.addr(h, h.src)
	pr.b = append(pr.b, '.')
	pr.u(uint64(sp))
	pr.str(" > ")
	pr.addr(h, h.dst)
	pr.b = append(pr.b, '.')
	pr.u(uint64(dp))
	pr.str(": ")
}

// udp is tcpdump's udp_print without the payload decoders.
func (pr *printer) udp(h *ipHdr, b []byte, length int) {
	if len(b) < 8 {
		pr.str("[|udp]")
		return
	}
	sp, dp := binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
	if length < 8 {
		pr.ports(h, sp, dp)
		pr.str("truncated-udp ")
		pr.u(uint64(length))
		return
	}
	ulen := int(binary.BigEndian.Uint16(b[4:]))
	if ulen == 0 && length > 65535 {
		ulen = length
	}
	pr.ports(h, sp, dp)
	if ulen < 8 {
		pr.str("truncated-udplength ")
		pr.u(uint64(ulen))
		return
	}
	ulen -= 8
	length -= 8
	if ulen < length {
		length = ulen
	}
	if pr.v > 0 && !h.frag && (h.v6 || pr.v > 1) && len(b) >= 8+length {
		seg := b[:8+length]
		csum := binary.BigEndian.Uint16(b[6:])
		if !h.v6 && csum == 0 {
			pr.str("[no cksum] ")
		} else if fold(sum16(seg, h.pseudo(17, len(seg)))) != 0 {
			pr.str("[bad udp cksum 0x")
			pr.hexN(uint64(csum), 4)
			pr.str(" -> 0x")
			pr.hexN(uint64(shouldBe(seg, 6, h.pseudo(17, len(seg)))), 4)
			pr.str("!] ")
		} else {
			pr.str("[udp sum ok] ")
		}
	}
	pr.str("UDP, length ")
	pr.u(uint64(ulen))
}

// tcpKey identifies a TCP conversation in both directions, as tcpdump's
// tcp_seq_hash does.
type tcpKey struct {
	src, dst [16]byte
	port     uint32
}

type tcpSeq struct{ seq, ack uint32 }

var tcpFlagChars = [8]struct {
	bit uint8
	c   byte
}{{0x01, 'F'}, {0x02, 'S'}, {0x04, 'R'}, {0x08, 'P'}, {0x10, '.'}, {0x20, 'U'}, {0x40, 'E'}, {0x80, 'W'}}

// tcpSeg is tcpdump's tcp_print without the payload decoders.
func (pr *printer) tcpSeg(h *ipHdr, b []byte, length int) {
	if len(b) < 4 {
		pr.addr(h, h.src)
		pr.str(" > ")
		pr.addr(h, h.dst)
		pr.str(": [|tcp]")
		return
	}
	sp, dp := binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
	pr.ports(h, sp, dp)
	if len(b) < 13 {
		pr.str("[|tcp]")
		return
	}
	hlen := int(b[12]>>4) * 4
	if hlen < 20 {
		pr.str(" tcp ")
		pr.u(uint64(length - hlen))
		pr.str(" [bad hdr length ")
		pr.u(uint64(hlen))
		pr.str(" - too short, < 20]")
		return
	}
	if len(b) < 20 {
		pr.str("[|tcp]")
		return
	}
	seq := binary.BigEndian.Uint32(b[4:])
	ack := binary.BigEndian.Uint32(b[8:])
	flags := b[13]
	win := binary.BigEndian.Uint16(b[14:])
	urp := binary.BigEndian.Uint16(b[18:])
	if pr.q {
		pr.str("tcp ")
		pr.u(uint64(length - hlen))
		if hlen > length {
			pr.str(" [bad hdr length ")
			pr.u(uint64(hlen))
			pr.str(" - too long, > ")
			pr.u(uint64(length))
			pr.b = append(pr.b, ']')
		}
		return
	}
	pr.str("Flags [")
	if flags == 0 {
		pr.str("none")
	}
	for _, f := range tcpFlagChars {
		if flags&f.bit != 0 {
			pr.b = append(pr.b, f.c)
		}
	}
	pr.b = append(pr.b, ']')
	var thseq, thack uint32
	rev := false
	if !pr.S && flags&0x10 != 0 {
		var k tcpKey
		src, dst := h.src, h.dst
		if sp > dp || sp == dp && string(src) > string(dst) {
			rev = true
		}
		if rev {
			copy(k.src[:], dst)
			copy(k.dst[:], src)
			k.port = uint32(dp)<<16 | uint32(sp)
		} else {
			copy(k.src[:], src)
			copy(k.dst[:], dst)
			k.port = uint32(sp)<<16 | uint32(dp)
		}
		if pr.tcp == nil {
			pr.tcp = map[tcpKey]*tcpSeq{}
		}
		th, ok := pr.tcp[k]
		if !ok || flags&0x02 != 0 {
			if !ok {
				th = &tcpSeq{}
				pr.tcp[k] = th
			}
			if rev {
				th.ack, th.seq = seq, ack-1
			} else {
				th.seq, th.ack = seq, ack-1
			}
		} else if rev {
			seq -= th.ack
			ack -= th.seq
		} else {
			seq -= th.seq
			ack -= th.ack
		}
		thseq, thack = th.seq, th.ack
	}
	if hlen > length {
		pr.str(" [bad hdr length ")
		pr.u(uint64(hlen))
		pr.str(" - too long, > ")
		pr.u(uint64(length))
		pr.b = append(pr.b, ']')
		return
	}
	if pr.v > 0 && !h.frag && (!h.v6 || !h.plenZero) && len(b) >= length {
		seg := b[:length]
		ph := h.pseudo(6, length)
		csum := binary.BigEndian.Uint16(b[16:])
		pr.str(", cksum 0x")
		pr.hexN(uint64(csum), 4)
		if fold(sum16(seg, ph)) != 0 {
			pr.str(" (incorrect -> 0x")
			pr.hexN(uint64(shouldBe(seg, 16, ph)), 4)
			pr.b = append(pr.b, ')')
		} else {
			pr.str(" (correct)")
		}
	}
	length -= hlen
	if pr.v > 1 || length > 0 || flags&0x07 != 0 {
		pr.str(", seq ")
		pr.u(uint64(seq))
		if length > 0 {
			pr.b = append(pr.b, ':')
			pr.u(uint64(seq + uint32(length)))
		}
	}
	if flags&0x10 != 0 {
		pr.str(", ack ")
		pr.u(uint64(ack))
	}
	pr.str(", win ")
	pr.u(uint64(win))
	if flags&0x20 != 0 {
		pr.str(", urg ")
		pr.u(uint64(urp))
	}
	if hlen > 20 {
		if len(b) < hlen {
			pr.str(", options [[|tcp]")
			return
		}
		if !pr.tcpOptions(b[20:hlen], rev, thseq, thack) {
			return
		}
	}
	pr.str(", length ")
	pr.u(uint64(length))
}

// tcpOptions prints ", options [...]"; false after a malformed option
// (tcpdump stops the line there).
func (pr *printer) tcpOptions(o []byte, rev bool, thseq, thack uint32) bool {
	pr.str(", options [")
	first := true
	for len(o) > 0 {
		if !first {
			pr.b = append(pr.b, ',')
		}
		first = false
		opt := o[0]
		o = o[1:]
		ln := 1
		if opt > 1 {
			if len(o) < 1 {
				pr.str("[|tcp]")
				return false
			}
			ln = int(o[0])
			o = o[1:]
			if ln < 2 || ln > len(o)+2 {
				pr.str("[bad opt]]")
				return false
			}
		}
		data := o
		dlen := 0
		if opt > 1 {
			dlen = ln - 2
			data = o[:dlen]
		}
		bad := func() bool {
			pr.str("[bad opt]]")
			return false
		}
		pr.str(tcpOptName(opt))
		switch opt {
		case 0, 1, 4: // eol, nop, sackOK
		case 2:
			if dlen < 2 {
				return bad()
			}
			pr.b = append(pr.b, ' ')
			pr.u(uint64(binary.BigEndian.Uint16(data)))
		case 3:
			if dlen < 1 {
				return bad()
			}
			pr.b = append(pr.b, ' ')
			pr.u(uint64(data[0]))
		case 5:
			if dlen%8 != 0 {
				pr.str(" invalid sack")
			} else {
				pr.b = append(pr.b, ' ')
				pr.u(uint64(dlen / 8))
				pr.b = append(pr.b, ' ')
				for i := 0; i < dlen; i += 8 {
					s := binary.BigEndian.Uint32(data[i:])
					e := binary.BigEndian.Uint32(data[i+4:])
					if rev {
						s -= thseq
						e -= thseq
					} else {
						s -= thack
						e -= thack
					}
					pr.b = append(pr.b, '{')
					pr.u(uint64(s))
					pr.b = append(pr.b, ':')
					pr.u(uint64(e))
					pr.b = append(pr.b, '}')
				}
			}
		case 8:
			if dlen < 8 {
				return bad()
			}
			pr.str(" val ")
			pr.u(uint64(binary.BigEndian.Uint32(data)))
			pr.str(" ecr ")
			pr.u(uint64(binary.BigEndian.Uint32(data[4:])))
		case 254:
			if dlen < 2 {
				return bad()
			}
			pr.b = append(pr.b, '-')
			pr.hexN(uint64(binary.BigEndian.Uint16(data)), 4)
		default:
			if dlen > 0 {
				pr.str(" 0x")
				for _, c := range data {
					pr.hexN(uint64(c), 2)
				}
			}
		}
		o = o[dlen:]
		if opt > 1 && dlen+2 != ln {
			pr.str("[len ")
			pr.u(uint64(ln))
			pr.b = append(pr.b, ']')
		}
		if opt == 0 {
			break
		}
	}
	pr.b = append(pr.b, ']')
	return true
}

func tcpOptName(o uint8) string {
	switch o {
	case 0:
		return "eol"
	case 1:
		return "nop"
	case 2:
		return "mss"
	case 3:
		return "wscale"
	case 4:
		return "sackOK"
	case 5:
		return "sack"
	case 8:
		return "TS"
	case 254:
		return "exp"
	}
	return "unknown-" + itoa(int(o))
}

func itoa(n int) string {
	var b [20]byte
	return string(appendInt(b[:0], n))
}

func appendInt(b []byte, n int) []byte {
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	var t [20]byte
	i := len(t)
	for {
		i--
		t[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(b, t[i:]...)
}
