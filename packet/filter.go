package packet

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/net/bpf"
)

// maxFilterLen bounds the expression length.
const maxFilterLen = 64 << 10

// FilterOptions configures CompileFilter. A nil *FilterOptions means
// Ethernet, snap length 262144, frames with VLAN tags inline.
type FilterOptions struct {
	// LinkType is the link type of the packets; only LinkTypeEthernet is
	// supported (the link type of every Ethernet packet socket and of
	// pcap files from Ethernet interfaces).
	LinkType LinkType
	// SnapLen is the accept return value (bytes kept per packet); 0 means
	// 262144, as tcpdump.
	SnapLen uint32
	// Kernel compiles for attaching to a live packet socket (Config.Filter,
	// Conn.SetBPF): the kernel strips the outer VLAN tag before socket
	// filters run, so "vlan" and "vlan N" test the tag through the BPF
	// ancillary loads (SKF_AD_VLAN_TAG_PRESENT, SKF_AD_VLAN_TAG) as well as
	// inline, offsets after "vlan" are not shifted for a stripped tag, and
	// protocol tests before any "vlan" require that no tag was stripped,
	// so the verdicts equal those of tcpdump -r on the frames as they were
	// on the wire (checked by TestKernelFilterMatchesTcpdump). Limits:
	// explicit ether[k] loads at k >= 12 see the frame without its
	// stripped outer tag, and after a stripped outer tag an inner inline
	// tag (QinQ) needs a second "vlan".
	// Without Kernel the program matches frames with their tags inline
	// (files, frames from a Conn with tags restored), as tcpdump -r does.
	Kernel bool
}

// CompileFilter compiles a tcpdump/pcap-filter(7) expression into a classic
// BPF program. The empty expression accepts everything.
//
// Supported: and/or/not (&&, ||, !) and parentheses; protocols ether, ip,
// ip6, arp, rarp, tcp, udp, icmp, icmp6, sctp, igmp; "ip proto N",
// "ip6 proto N", "proto N", "ether proto N" (numbers or ip/ip6/arp/rarp);
// [src|dst|src or dst|src and dst] host/net/port/portrange with IPv4,
// IPv6 and MAC addresses, CIDR and "mask" nets, qualifier inheritance
// ("port 80 or 443"); ether host/src/dst, broadcast, multicast, ip/ip6
// multicast; greater/less; vlan [ID]; inbound/outbound (Kernel only, from
// the packet type, as libpcap does on Linux); and relations over arithmetic
// (+ - * / % & | ^ << >>, len, proto[expr:size] loads, named offsets and
// values tcpflags, tcp-syn..., icmptype, icmp-echo...). Host names are
// not resolved: write addresses. The semantics (which headers guard a
// load, IPv4 fragments, the IPv6 fragment header for protocol tests) are
// libpcap's, checked against tcpdump's verdicts in the tests.
func CompileFilter(expr string, opts *FilterOptions) ([]bpf.Instruction, error) {
	o := FilterOptions{LinkType: LinkTypeEthernet, SnapLen: defaultSnapLen}
	if opts != nil {
		o = *opts
		if o.SnapLen == 0 {
			o.SnapLen = defaultSnapLen
		}
	}
	if o.LinkType != LinkTypeEthernet {
		return nil, fmt.Errorf("filter: link type %d not supported (only Ethernet)", o.LinkType)
	}
	if len(expr) > maxFilterLen {
		return nil, fmt.Errorf("filter: expression of %d bytes exceeds %d", len(expr), maxFilterLen)
	}
	if strings.TrimSpace(expr) == "" {
		return []bpf.Instruction{bpf.RetConstant{Val: o.SnapLen}}, nil
	}
	toks, err := lexFilter(expr)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, expr: expr, kernel: o.Kernel, linkOff: 12}
	c, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		return nil, p.errf("unexpected %q", p.toks[p.i].s)
	}
	g := &gen{}
	t, f := g.label(), g.label()
	if err := c(g, t, f); err != nil {
		return nil, err
	}
	g.place(t)
	g.emit(bpf.RetConstant{Val: o.SnapLen})
	g.place(f)
	g.emit(bpf.RetConstant{Val: 0})
	prog, err := g.assemble()
	if err != nil {
		return nil, err
	}
	return prog, nil
}

// AssembleFilter compiles expr and assembles it for Config.Filter or
// Conn.SetBPF (with opts.Kernel forced on).
func AssembleFilter(expr string, opts *FilterOptions) ([]bpf.RawInstruction, error) {
	o := FilterOptions{}
	if opts != nil {
		o = *opts
	}
	if o.LinkType == 0 {
		o.LinkType = LinkTypeEthernet
	}
	o.Kernel = true
	prog, err := CompileFilter(expr, &o)
	if err != nil {
		return nil, err
	}
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("filter: assemble: %w", err)
	}
	return raw, nil
}

// quals are the qualifiers of a primitive, inherited by a following bare
// value ("host a or b").
type quals struct {
	proto string // ether, ip, ip6, arp, rarp, tcp, udp, sctp, ...
	dir   string // src, dst, "src or dst", "src and dst"
	typ   string // host, net, port, portrange
}

type parser struct {
	toks     []token
	i        int
	expr     string
	kernel   bool
	linkOff  uint32 // offset of the ethertype; +4 after each "vlan"
	vlanSeen bool   // a "vlan" primitive was parsed (kernel mode)
	last     *quals
}

func (p *parser) nlOff() uint32 { return p.linkOff + 2 }

func (p *parser) errf(format string, args ...any) error {
	pos := len(p.expr)
	if p.i < len(p.toks) {
		pos = p.toks[p.i].pos
	}
	return fmt.Errorf("filter: offset %d: %s", pos, fmt.Sprintf(format, args...))
}

func (p *parser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i].s
	}
	return ""
}

func (p *parser) peekAt(n int) string {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n].s
	}
	return ""
}

func (p *parser) accept(s ...string) bool {
	for _, x := range s {
		if p.peek() == x && p.i < len(p.toks) {
			p.i++
			return true
		}
	}
	return false
}

func (p *parser) next() (string, error) {
	if p.i >= len(p.toks) {
		return "", p.errf("unexpected end of expression")
	}
	p.i++
	return p.toks[p.i-1].s, nil
}

// parseOr parses a chain of and/or: in pcap-filter they have equal
// precedence and associate to the left ("a or b and c" is "(a or b) and c").
func (p *parser) parseOr() (cond, error) {
	c, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case p.accept("or", "||"):
			d, err := p.parseNot()
			if err != nil {
				return nil, err
			}
			c = or(c, d)
		case p.accept("and", "&&"):
			d, err := p.parseNot()
			if err != nil {
				return nil, err
			}
			c = and(c, d)
		default:
			return c, nil
		}
	}
}

func (p *parser) parseNot() (cond, error) {
	if p.accept("not", "!") {
		c, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return not(c), nil
	}
	return p.parsePrimary()
}

var protoNames = map[string]bool{"ether": true, "link": true, "ip": true, "ip6": true, "arp": true, "rarp": true,
	"tcp": true, "udp": true, "icmp": true, "icmp6": true, "sctp": true, "igmp": true}

var ipProtoNumbers = map[string]uint32{"tcp": 6, "udp": 17, "icmp": 1, "icmp6": 58, "sctp": 132, "igmp": 2}

func (p *parser) parsePrimary() (cond, error) {
	tok := p.peek()
	if tok == "" {
		return nil, p.errf("unexpected end of expression")
	}
	// Relations first: they may start with "(", a number, len, proto[.
	// A "(" opens an arithmetic group when the token after its matching
	// ")" continues arithmetic or compares; otherwise it groups booleans.
	// Deciding by looking ahead (not by backtracking) keeps parsing linear
	// in the nesting depth.
	if p.startsArith() && (tok != "(" || p.parenIsArith()) {
		return p.parseRelation()
	}
	if p.accept("(") {
		c, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if !p.accept(")") {
			return nil, p.errf("missing )")
		}
		return c, nil
	}
	switch tok {
	case "vlan":
		p.i++
		return p.parseVLAN()
	case "greater", "less":
		p.i++
		n, err := p.number()
		if err != nil {
			return nil, err
		}
		if tok == "greater" {
			return loadCmp(bpf.LoadExtension{Num: bpf.ExtLen}, 0, bpf.JumpGreaterOrEqual, n), nil
		}
		return not(loadCmp(bpf.LoadExtension{Num: bpf.ExtLen}, 0, bpf.JumpGreaterThan, n)), nil
	case "broadcast", "multicast":
		p.i++
		return p.linkCast(tok), nil
	case "inbound", "outbound":
		p.i++
		if !p.kernel {
			return nil, p.errf("%s needs the packet direction, which only a live socket has (FilterOptions.Kernel)", tok)
		}
		out := loadCmp(bpf.LoadExtension{Num: bpf.ExtType}, 0, bpf.JumpEqual, uint32(Outgoing))
		if tok == "inbound" {
			return not(out), nil
		}
		return out, nil
	case "gateway", "mpls", "pppoed", "pppoes", "geneve", "ifname", "on", "rnr", "reason", "rset", "srnr", "subrule", "action":
		return nil, p.errf("primitive %q is not supported", tok)
	}
	q := quals{}
	explicit := false
	if protoNames[tok] {
		q.proto = tok
		p.i++
		explicit = true
		switch p.peek() {
		case "proto":
			p.i++
			return p.parseProto(q.proto)
		case "broadcast", "multicast":
			k, _ := p.next()
			return p.protoCast(q.proto, k)
		case "host", "net", "port", "portrange", "src", "dst":
		default:
			if q.proto == "ether" || q.proto == "link" {
				return nil, p.errf("ether needs host, src, dst, proto, broadcast or multicast")
			}
			p.last = nil
			return p.protoCond(q.proto)
		}
	}
	if tok == "proto" {
		p.i++
		return p.parseProto("")
	}
	if p.peek() == "src" || p.peek() == "dst" {
		q.dir, _ = p.next()
		explicit = true
		if (p.peek() == "or" || p.peek() == "and") && (p.peekAt(1) == "src" || p.peekAt(1) == "dst") {
			q.dir = "src " + p.peek() + " dst"
			p.i += 2
		}
	}
	switch p.peek() {
	case "host", "net", "port", "portrange":
		q.typ, _ = p.next()
		explicit = true
	}
	if !explicit {
		// A bare value: inherit the previous primitive's qualifiers.
		if p.last != nil {
			q = *p.last
		} else {
			q.typ = "host"
		}
	}
	if q.typ == "" {
		q.typ = "host"
	}
	id, err := p.next()
	if err != nil {
		return nil, err
	}
	p.last = &q
	return p.qualified(q, id)
}

// parenIsArith reports whether the "(" at p.i is followed, after its
// matching ")", by an arithmetic or comparison operator.
func (p *parser) parenIsArith() bool {
	depth := 0
	for j := p.i; j < len(p.toks); j++ {
		switch p.toks[j].s {
		case "(":
			depth++
		case ")":
			depth--
			if depth == 0 {
				if j+1 >= len(p.toks) || !p.toks[j+1].op {
					return false
				}
				_, rel := relOps[p.toks[j+1].s]
				_, alu := aluOps[p.toks[j+1].s]
				return rel || alu
			}
		}
	}
	return false
}

func (p *parser) startsArith() bool {
	tok := p.peek()
	switch {
	case tok == "(" || tok == "len" || tok == "-":
		return true
	case protoNames[tok] || tok == "vlan":
		return p.peekAt(1) == "["
	}
	_, err := parseNum(tok)
	if err != nil || strings.ContainsAny(tok, ".:/") {
		return false
	}
	// A bare number ending a primitive inherits qualifiers ("port 80 or 53").
	switch p.peekAt(1) {
	case "", "and", "or", "&&", "||", ")":
		return false
	}
	return true
}

func (p *parser) number() (uint32, error) {
	tok, err := p.next()
	if err != nil {
		return 0, err
	}
	n, err := parseNum(tok)
	if err != nil {
		p.i--
		return 0, p.errf("%q is not a number", tok)
	}
	return n, nil
}

// parseNum parses decimal, 0x hex and 0-prefixed octal as libpcap does.
func parseNum(s string) (uint32, error) {
	base := 10
	switch {
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		base, s = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, s = 8, s[1:]
	}
	v, err := strconv.ParseUint(s, base, 32)
	return uint32(v), err
}

// etherType tests the ethertype. In kernel mode, before any "vlan"
// primitive, it also requires that the kernel stripped no tag: in the
// frame as on the wire (and in a file) the ethertype of a tagged frame is
// the tag's TPID, so "ip" must not match a tagged IPv4 frame.
func (p *parser) etherType(v uint32) cond {
	c := loadCmp(ldAbs(p.linkOff, 2), 0, bpf.JumpEqual, v)
	if p.kernel && !p.vlanSeen {
		c = and(loadCmp(bpf.LoadExtension{Num: bpf.ExtVLANTagPresent}, 0, bpf.JumpEqual, 0), c)
	}
	return c
}

// ipv4Proto: ip and ip[9] == proto.
func (p *parser) ipv4Proto(proto uint32) cond {
	return and(p.etherType(0x0800), loadCmp(ldAbs(p.nlOff()+9, 1), 0, bpf.JumpEqual, proto))
}

// ipv6Proto: ip6 and (next header == proto or fragment header then proto).
func (p *parser) ipv6Proto(proto uint32) cond {
	nl := p.nlOff()
	return and(p.etherType(0x86dd), func(g *gen, t, f int) error {
		g.emit(ldAbs(nl+6, 1))
		frag := g.label()
		g.jump(bpf.JumpEqual, proto, t, frag)
		g.place(frag)
		inner := g.label()
		g.jump(bpf.JumpEqual, 44, inner, f)
		g.place(inner)
		g.emit(ldAbs(nl+40, 1))
		g.jump(bpf.JumpEqual, proto, t, f)
		return nil
	})
}

func (p *parser) protoCond(name string) (cond, error) {
	switch name {
	case "ip":
		return p.etherType(0x0800), nil
	case "ip6":
		return p.etherType(0x86dd), nil
	case "arp":
		return p.etherType(0x0806), nil
	case "rarp":
		return p.etherType(0x8035), nil
	case "icmp", "igmp":
		return p.ipv4Proto(ipProtoNumbers[name]), nil
	case "icmp6":
		return p.ipv6Proto(58), nil
	case "tcp", "udp", "sctp":
		n := ipProtoNumbers[name]
		return or(p.ipv6Proto(n), p.ipv4Proto(n)), nil
	}
	return nil, p.errf("protocol %q cannot stand alone", name)
}

func (p *parser) parseProto(proto string) (cond, error) {
	tok, err := p.next()
	if err != nil {
		return nil, err
	}
	tok = strings.TrimPrefix(tok, "\\")
	var n uint32
	if v, ok := ipProtoNumbers[tok]; ok && proto != "ether" {
		n = v
	} else if v, ok := map[string]uint32{"ip": 0x0800, "ip6": 0x86dd, "arp": 0x0806, "rarp": 0x8035}[tok]; ok && proto == "ether" {
		n = v
	} else if v, err := parseNum(tok); err == nil {
		n = v
	} else {
		p.i--
		return nil, p.errf("unknown protocol %q", tok)
	}
	switch proto {
	case "ether", "link":
		if n > 0xffff {
			return nil, p.errf("ether proto %d out of range", n)
		}
		return p.etherType(n), nil
	case "ip":
		return p.ipv4Proto(n), nil
	case "ip6":
		return p.ipv6Proto(n), nil
	case "":
		return or(p.ipv4Proto(n), p.ipv6Proto(n)), nil
	}
	return nil, p.errf("%s proto is not supported", proto)
}

func (p *parser) linkCast(kind string) cond {
	if kind == "broadcast" {
		return and(loadCmp(ldAbs(2, 4), 0, bpf.JumpEqual, 0xffffffff), loadCmp(ldAbs(0, 2), 0, bpf.JumpEqual, 0xffff))
	}
	return loadCmp(ldAbs(0, 1), 0, bpf.JumpBitsSet, 1)
}

func (p *parser) protoCast(proto, kind string) (cond, error) {
	switch {
	case proto == "ether" || proto == "link":
		return p.linkCast(kind), nil
	case proto == "ip" && kind == "multicast":
		return and(p.etherType(0x0800), loadCmp(ldAbs(p.nlOff()+16, 1), 0, bpf.JumpGreaterOrEqual, 224)), nil
	case proto == "ip6" && kind == "multicast":
		return and(p.etherType(0x86dd), loadCmp(ldAbs(p.nlOff()+24, 1), 0, bpf.JumpEqual, 255)), nil
	case proto == "ip" && kind == "broadcast":
		return nil, p.errf("ip broadcast needs the interface netmask, which a compiled filter does not know")
	}
	return nil, p.errf("%s %s is not supported", proto, kind)
}

func (p *parser) parseVLAN() (cond, error) {
	off := p.linkOff
	tpids := eqAny(ldAbs(off, 2), 0x8100, 0x88a8, 0x9100)
	var c cond = tpids
	var id uint32
	hasID := false
	if _, err := parseNum(p.peek()); err == nil && p.peek() != "" {
		id, _ = p.number()
		if id > 4095 {
			return nil, p.errf("VLAN id %d out of range 0-4095", id)
		}
		hasID = true
		c = and(tpids, loadCmp(ldAbs(off+2, 2), 0xfff, bpf.JumpEqual, id))
	}
	if !p.kernel {
		p.linkOff += 4
		return c, nil
	}
	p.vlanSeen = true
	present := loadCmp(bpf.LoadExtension{Num: bpf.ExtVLANTagPresent}, 0, bpf.JumpEqual, 1)
	if hasID {
		present = and(present, loadCmp(bpf.LoadExtension{Num: bpf.ExtVLANTag}, 0xfff, bpf.JumpEqual, id))
	}
	return or(present, c), nil
}

// qualified compiles host/net/port/portrange primitives.
func (p *parser) qualified(q quals, id string) (cond, error) {
	switch q.typ {
	case "host":
		if q.proto == "ether" || q.proto == "link" {
			mac, err := net.ParseMAC(id)
			if err != nil || len(mac) != 6 {
				return nil, p.errf("%q is not an Ethernet address", id)
			}
			return p.dirCond(q.dir, func(src bool) cond { return etherAddr(mac, src) })
		}
		if mac, err := net.ParseMAC(id); err == nil && len(mac) == 6 && strings.Count(id, ":") == 5 && q.proto == "" {
			return p.dirCond(q.dir, func(src bool) cond { return etherAddr(mac, src) })
		}
		a, err := netip.ParseAddr(id)
		if err != nil {
			return nil, p.errf("%q is not an address (host names are not resolved)", id)
		}
		return p.netCond(q, netip.PrefixFrom(a, a.BitLen()))
	case "net":
		pfx, err := p.parseNet(id)
		if err != nil {
			return nil, err
		}
		return p.netCond(q, pfx)
	case "port", "portrange":
		lo, hi, err := p.parsePorts(q.typ, id)
		if err != nil {
			return nil, err
		}
		return p.portCond(q, lo, hi)
	}
	return nil, p.errf("unknown qualifier %q", q.typ)
}

func etherAddr(mac net.HardwareAddr, src bool) cond {
	off := uint32(0)
	if src {
		off = 6
	}
	return and(loadCmp(ldAbs(off+2, 4), 0, bpf.JumpEqual, binary.BigEndian.Uint32(mac[2:])),
		loadCmp(ldAbs(off, 2), 0, bpf.JumpEqual, uint32(binary.BigEndian.Uint16(mac))))
}

// dirCond combines the src and dst forms of a primitive per direction.
func (p *parser) dirCond(dir string, f func(src bool) cond) (cond, error) {
	switch dir {
	case "src":
		return f(true), nil
	case "dst":
		return f(false), nil
	case "", "src or dst":
		return or(f(true), f(false)), nil
	case "src and dst":
		return and(f(true), f(false)), nil
	}
	return nil, p.errf("bad direction %q", dir)
}

func (p *parser) parseNet(id string) (netip.Prefix, error) {
	if p.accept("mask") {
		m, err := p.next()
		if err != nil {
			return netip.Prefix{}, err
		}
		a, err1 := netip.ParseAddr(id)
		ma, err2 := netip.ParseAddr(m)
		if err1 != nil || err2 != nil || !a.Is4() || !ma.Is4() {
			return netip.Prefix{}, p.errf("net %s mask %s: want IPv4 address and mask", id, m)
		}
		mb := ma.As4()
		ones, bits := net.IPMask(mb[:]).Size()
		if bits == 0 {
			return netip.Prefix{}, p.errf("mask %s is not contiguous", m)
		}
		return p.checkNet(netip.PrefixFrom(a, ones), id)
	}
	if strings.Contains(id, "/") {
		pfx, err := netip.ParsePrefix(id)
		if err != nil {
			// libpcap accepts short IPv4 forms such as 10/8.
			addr, bitsS, _ := strings.Cut(id, "/")
			a, err2 := shortIPv4(addr)
			bits, err3 := strconv.Atoi(bitsS)
			if err2 != nil || err3 != nil || bits < 0 || bits > 32 {
				return netip.Prefix{}, p.errf("%q is not a network", id)
			}
			pfx = netip.PrefixFrom(a, bits)
		}
		return p.checkNet(pfx, id)
	}
	if a, err := netip.ParseAddr(id); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	// "10.1" means 10.1.0.0/16.
	a, err := shortIPv4(id)
	if err != nil {
		return netip.Prefix{}, p.errf("%q is not a network", id)
	}
	return netip.PrefixFrom(a, 8*(strings.Count(id, ".")+1)), nil
}

func (p *parser) checkNet(pfx netip.Prefix, id string) (netip.Prefix, error) {
	if pfx.Masked() != pfx {
		return netip.Prefix{}, p.errf("net %s: non-network bits set", id)
	}
	return pfx, nil
}

func shortIPv4(s string) (netip.Addr, error) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, fmt.Errorf("bad address")
	}
	var b [4]byte
	for i, x := range parts {
		v, err := strconv.ParseUint(x, 10, 8)
		if err != nil {
			return netip.Addr{}, err
		}
		b[i] = byte(v)
	}
	return netip.AddrFrom4(b), nil
}

// netCond matches an IPv4 or IPv6 prefix in the source and/or destination
// address: of IPv4, ARP and RARP for IPv4 without a protocol qualifier, as
// libpcap does.
func (p *parser) netCond(q quals, pfx netip.Prefix) (cond, error) {
	nl := p.nlOff()
	if pfx.Addr().Is4() {
		a := binary.BigEndian.Uint32(pfx.Addr().AsSlice())
		mask := uint32(0)
		if pfx.Bits() > 0 {
			mask = ^uint32(0) << (32 - pfx.Bits())
		}
		at := func(srcOff, dstOff uint32) (cond, error) {
			return p.dirCond(q.dir, func(src bool) cond {
				off := dstOff
				if src {
					off = srcOff
				}
				return loadCmp(ldAbs(nl+off, 4), mask, bpf.JumpEqual, a)
			})
		}
		ipc, err := at(12, 16)
		if err != nil {
			return nil, err
		}
		arpc, _ := at(14, 24)
		switch q.proto {
		case "":
			return or(and(p.etherType(0x0800), ipc), and(eqAny(ldAbs(p.linkOff, 2), 0x0806, 0x8035), arpc)), nil
		case "ip":
			return and(p.etherType(0x0800), ipc), nil
		case "arp":
			return and(p.etherType(0x0806), arpc), nil
		case "rarp":
			return and(p.etherType(0x8035), arpc), nil
		}
		return nil, p.errf("%s host/net is not valid", q.proto)
	}
	if q.proto != "" && q.proto != "ip6" {
		return nil, p.errf("%s host/net with an IPv6 address is not valid", q.proto)
	}
	b := pfx.Addr().As16()
	c, err := p.dirCond(q.dir, func(src bool) cond {
		off := nl + 24
		if src {
			off = nl + 8
		}
		var parts []cond
		for w := range 4 {
			bits := min(max(pfx.Bits()-32*w, 0), 32)
			if bits == 0 {
				break
			}
			mask := ^uint32(0) << (32 - bits)
			parts = append(parts, loadCmp(ldAbs(off+uint32(4*w), 4), mask, bpf.JumpEqual, binary.BigEndian.Uint32(b[4*w:])&mask))
		}
		if len(parts) == 0 {
			return loadCmp(ldAbs(off, 1), 0, bpf.JumpGreaterOrEqual, 0)
		}
		// libpcap compares the last word first; the verdict is the same.
		return allOf(parts...)
	})
	if err != nil {
		return nil, err
	}
	return and(p.etherType(0x86dd), c), nil
}

var servicePorts = map[string]uint32{"ftp-data": 20, "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53,
	"bootps": 67, "bootpc": 68, "tftp": 69, "http": 80, "pop3": 110, "ntp": 123, "imap": 143, "snmp": 161,
	"snmptrap": 162, "bgp": 179, "ldap": 389, "https": 443, "syslog": 514, "mdns": 5353}

func (p *parser) port(s string) (uint32, error) {
	if v, ok := servicePorts[s]; ok {
		return v, nil
	}
	v, err := parseNum(s)
	if err != nil || v > 0xffff {
		return 0, p.errf("%q is not a port", s)
	}
	return v, nil
}

func (p *parser) parsePorts(typ, id string) (uint32, uint32, error) {
	if typ == "port" {
		v, err := p.port(id)
		return v, v, err
	}
	a, b, ok := strings.Cut(id, "-")
	if !ok {
		return 0, 0, p.errf("portrange %q: want LOW-HIGH", id)
	}
	lo, err := p.port(a)
	if err != nil {
		return 0, 0, err
	}
	hi, err := p.port(b)
	if err != nil {
		return 0, 0, err
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	return lo, hi, nil
}

func (p *parser) portCond(q quals, lo, hi uint32) (cond, error) {
	var protos []uint32
	switch q.proto {
	case "":
		protos = []uint32{132, 6, 17}
	case "tcp", "udp", "sctp":
		protos = []uint32{ipProtoNumbers[q.proto]}
	case "ip", "ip6":
		protos = []uint32{132, 6, 17}
	default:
		return nil, p.errf("%s port is not valid", q.proto)
	}
	nl := p.nlOff()
	inRange := func(ld bpf.Instruction) cond {
		if lo == hi {
			return loadCmp(ld, 0, bpf.JumpEqual, lo)
		}
		return and(loadCmp(ld, 0, bpf.JumpGreaterOrEqual, lo), not(loadCmp(ld, 0, bpf.JumpGreaterThan, hi)))
	}
	v6, err := p.dirCond(q.dir, func(src bool) cond {
		off := nl + 42
		if src {
			off = nl + 40
		}
		return inRange(ldAbs(off, 2))
	})
	if err != nil {
		return nil, err
	}
	v4ports, _ := p.dirCond(q.dir, func(src bool) cond {
		off := nl + 2
		if src {
			off = nl
		}
		ld := bpf.LoadIndirect{Off: off, Size: 2}
		return func(g *gen, t, f int) error {
			g.emit(bpf.LoadMemShift{Off: nl})
			return inRange(ld)(g, t, f)
		}
	})
	ipv6 := and(and(p.etherType(0x86dd), eqAny(ldAbs(nl+6, 1), protos...)), v6)
	ipv4 := allOf(p.etherType(0x0800), eqAny(ldAbs(nl+9, 1), protos...), p.notFragment(), v4ports)
	switch q.proto {
	case "ip":
		return ipv4, nil
	case "ip6":
		return ipv6, nil
	}
	return or(ipv6, ipv4), nil
}

// notFragment: ip[6:2] & 0x1fff == 0 (only the first fragment has ports).
func (p *parser) notFragment() cond {
	return not(loadCmp(ldAbs(p.nlOff()+6, 2), 0, bpf.JumpBitsSet, 0x1fff))
}
