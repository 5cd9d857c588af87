package packet

import (
	"golang.org/x/net/bpf"
)

// arith is an arithmetic expression of a relation: a constant, or code
// that leaves the value in A, plus the protocol tests that must hold for
// its loads to make sense (libpcap ANDs them with the relation).
type arith struct {
	isConst bool
	k       uint32
	gen     func(g *gen) error
	guards  []guard
}

type guard struct {
	key string
	c   cond
}

func constArith(k uint32) arith { return arith{isConst: true, k: k} }

func (a arith) emit(g *gen) error {
	if a.isConst {
		g.emit(bpf.LoadConstant{Dst: bpf.RegA, Val: a.k})
		return nil
	}
	return a.gen(g)
}

func mergeGuards(a, b []guard) []guard {
	out := append([]guard(nil), a...)
next:
	for _, x := range b {
		for _, y := range out {
			if x.key == y.key {
				continue next
			}
		}
		out = append(out, x)
	}
	return out
}

// Named values of pcap-filter(7).
var filterConstants = map[string]uint32{
	"tcpflags": 13, "tcp-fin": 0x01, "tcp-syn": 0x02, "tcp-rst": 0x04, "tcp-push": 0x08, "tcp-ack": 0x10,
	"tcp-urg": 0x20, "tcp-ece": 0x40, "tcp-cwr": 0x80,
	"icmptype": 0, "icmpcode": 1, "icmp-echoreply": 0, "icmp-unreach": 3, "icmp-sourcequench": 4,
	"icmp-redirect": 5, "icmp-echo": 8, "icmp-routeradvert": 9, "icmp-routersolicit": 10, "icmp-timxceed": 11,
	"icmp-paramprob": 12, "icmp-tstamp": 13, "icmp-tstampreply": 14, "icmp-ireq": 15, "icmp-ireqreply": 16,
	"icmp-maskreq": 17, "icmp-maskreply": 18,
	"icmp6type": 0, "icmp6code": 1, "icmp6-destinationunreach": 1, "icmp6-packettoobig": 2, "icmp6-timeexceeded": 3,
	"icmp6-parameterproblem": 4, "icmp6-echo": 128, "icmp6-echoreply": 129, "icmp6-multicastlistenerquery": 130,
	"icmp6-multicastlistenerreportv1": 131, "icmp6-multicastlistenerdone": 132, "icmp6-routersolicit": 133,
	"icmp6-routeradvert": 134, "icmp6-neighborsolicit": 135, "icmp6-neighboradvert": 136, "icmp6-redirect": 137,
}

var relOps = map[string]struct {
	c   bpf.JumpTest
	neg bool
}{
	"=": {bpf.JumpEqual, false}, "==": {bpf.JumpEqual, false}, "!=": {bpf.JumpEqual, true},
	">": {bpf.JumpGreaterThan, false}, ">=": {bpf.JumpGreaterOrEqual, false},
	"<": {bpf.JumpGreaterOrEqual, true}, "<=": {bpf.JumpGreaterThan, true},
}

func (p *parser) parseRelation() (cond, error) {
	l, err := p.parseArith(0)
	if err != nil {
		return nil, err
	}
	opTok := p.peek()
	rel, ok := relOps[opTok]
	if !ok {
		return nil, p.errf("expected a comparison (=, !=, <, <=, >, >=), got %q", opTok)
	}
	p.i++
	r, err := p.parseArith(0)
	if err != nil {
		return nil, err
	}
	cmp := func(g *gen, t, f int) error {
		if rel.neg {
			t, f = f, t
		}
		if l.isConst && r.isConst {
			var v bool
			switch rel.c {
			case bpf.JumpEqual:
				v = l.k == r.k
			case bpf.JumpGreaterThan:
				v = l.k > r.k
			case bpf.JumpGreaterOrEqual:
				v = l.k >= r.k
			}
			to := f
			if v {
				to = t
			}
			g.ops = append(g.ops, op{kind: opJA, t: to})
			return nil
		}
		if r.isConst {
			if err := l.emit(g); err != nil {
				return err
			}
			g.jump(rel.c, r.k, t, f)
			return nil
		}
		m, err := g.alloc()
		if err != nil {
			return err
		}
		if err := r.emit(g); err != nil {
			return err
		}
		g.emit(bpf.StoreScratch{Src: bpf.RegA, N: m})
		if err := l.emit(g); err != nil {
			return err
		}
		g.emit(bpf.LoadScratch{Dst: bpf.RegX, N: m})
		g.free()
		g.jumpX(rel.c, t, f)
		return nil
	}
	var c cond = cmp
	gs := mergeGuards(l.guards, r.guards)
	for i := len(gs) - 1; i >= 0; i-- {
		c = and(gs[i].c, c)
	}
	return c, nil
}

// Binary operator precedence levels, loosest first (libpcap's grammar).
var arithLevels = [][]string{{"|", "^"}, {"&"}, {"<<", ">>"}, {"+", "-"}, {"*", "/", "%"}}

var aluOps = map[string]bpf.ALUOp{"|": bpf.ALUOpOr, "^": bpf.ALUOpXor, "&": bpf.ALUOpAnd, "<<": bpf.ALUOpShiftLeft,
	">>": bpf.ALUOpShiftRight, "+": bpf.ALUOpAdd, "-": bpf.ALUOpSub, "*": bpf.ALUOpMul, "/": bpf.ALUOpDiv, "%": bpf.ALUOpMod}

func (p *parser) parseArith(level int) (arith, error) {
	if level == len(arithLevels) {
		return p.parseAtom()
	}
	l, err := p.parseArith(level + 1)
	if err != nil {
		return arith{}, err
	}
	for {
		opTok := p.peek()
		found := false
		for _, o := range arithLevels[level] {
			if opTok == o && p.i < len(p.toks) && p.toks[p.i].op {
				found = true
			}
		}
		if !found {
			return l, nil
		}
		p.i++
		r, err := p.parseArith(level + 1)
		if err != nil {
			return arith{}, err
		}
		if l, err = p.binop(aluOps[opTok], opTok, l, r); err != nil {
			return arith{}, err
		}
	}
}

func (p *parser) binop(aop bpf.ALUOp, name string, l, r arith) (arith, error) {
	if (aop == bpf.ALUOpDiv || aop == bpf.ALUOpMod) && r.isConst && r.k == 0 {
		return arith{}, p.errf("division by zero")
	}
	if l.isConst && r.isConst {
		a, b := l.k, r.k
		var v uint32
		switch aop {
		case bpf.ALUOpOr:
			v = a | b
		case bpf.ALUOpXor:
			v = a ^ b
		case bpf.ALUOpAnd:
			v = a & b
		case bpf.ALUOpShiftLeft:
			v = a << (b & 31)
		case bpf.ALUOpShiftRight:
			v = a >> (b & 31)
		case bpf.ALUOpAdd:
			v = a + b
		case bpf.ALUOpSub:
			v = a - b
		case bpf.ALUOpMul:
			v = a * b
		case bpf.ALUOpDiv:
			v = a / b
		case bpf.ALUOpMod:
			v = a % b
		}
		return constArith(v), nil
	}
	out := arith{guards: mergeGuards(l.guards, r.guards)}
	out.gen = func(g *gen) error {
		if r.isConst {
			if err := l.emit(g); err != nil {
				return err
			}
			g.emit(bpf.ALUOpConstant{Op: aop, Val: r.k})
			return nil
		}
		m, err := g.alloc()
		if err != nil {
			return err
		}
		if err := r.emit(g); err != nil {
			return err
		}
		g.emit(bpf.StoreScratch{Src: bpf.RegA, N: m})
		if err := l.emit(g); err != nil {
			return err
		}
		g.emit(bpf.LoadScratch{Dst: bpf.RegX, N: m}, bpf.ALUOpX{Op: aop})
		g.free()
		return nil
	}
	return out, nil
}

func (p *parser) parseAtom() (arith, error) {
	tok := p.peek()
	switch {
	case tok == "(":
		p.i++
		a, err := p.parseArith(0)
		if err != nil {
			return arith{}, err
		}
		if !p.accept(")") {
			return arith{}, p.errf("missing ) in arithmetic")
		}
		return a, nil
	case tok == "-":
		p.i++
		a, err := p.parseAtom()
		if err != nil {
			return arith{}, err
		}
		if a.isConst {
			return constArith(-a.k), nil
		}
		inner := a.gen
		a.gen = func(g *gen) error {
			if err := inner(g); err != nil {
				return err
			}
			// A = 0 - A (x/net/bpf's VM has no NegateA).
			g.emit(bpf.TAX{}, bpf.LoadConstant{Dst: bpf.RegA, Val: 0}, bpf.ALUOpX{Op: bpf.ALUOpSub})
			return nil
		}
		return a, nil
	case tok == "len":
		p.i++
		return arith{gen: func(g *gen) error { g.emit(bpf.LoadExtension{Num: bpf.ExtLen}); return nil }}, nil
	case (protoNames[tok]) && p.peekAt(1) == "[":
		p.i += 2
		return p.parseLoad(tok)
	}
	if v, ok := filterConstants[tok]; ok {
		p.i++
		return constArith(v), nil
	}
	if v, err := parseNum(tok); err == nil && tok != "" {
		p.i++
		return constArith(v), nil
	}
	if tok == "" {
		return arith{}, p.errf("unexpected end of expression")
	}
	return arith{}, p.errf("unexpected %q in arithmetic", tok)
}

// parseLoad parses "idx[:size]]" after "proto[".
func (p *parser) parseLoad(proto string) (arith, error) {
	idx, err := p.parseArith(0)
	if err != nil {
		return arith{}, err
	}
	size := 1
	if p.accept(":") {
		n, err := p.number()
		if err != nil {
			return arith{}, err
		}
		if n != 1 && n != 2 && n != 4 {
			p.i--
			return arith{}, p.errf("load size %d: must be 1, 2 or 4", n)
		}
		size = int(n)
	}
	if !p.accept("]") {
		return arith{}, p.errf("missing ] after %s[", proto)
	}
	nl := p.nlOff()
	var base uint32
	transport := false
	var guards []guard
	switch proto {
	case "ether", "link":
		base = 0
	case "ip":
		base, guards = nl, []guard{{"ip", p.etherType(0x0800)}}
	case "ip6":
		base, guards = nl, []guard{{"ip6", p.etherType(0x86dd)}}
	case "arp":
		base, guards = nl, []guard{{"arp", p.etherType(0x0806)}}
	case "rarp":
		base, guards = nl, []guard{{"rarp", p.etherType(0x8035)}}
	case "icmp6":
		base, guards = nl+40, []guard{{"icmp6", p.ipv6Proto(58)}}
	case "tcp", "udp", "sctp", "icmp", "igmp":
		base, transport = nl, true
		guards = []guard{{proto, and(p.ipv4Proto(ipProtoNumbers[proto]), p.notFragment())}}
	default:
		return arith{}, p.errf("%s[] is not supported", proto)
	}
	a := arith{guards: mergeGuards(guards, idx.guards)}
	switch {
	case idx.isConst && !transport:
		off := base + idx.k
		a.gen = func(g *gen) error { g.emit(ldAbs(off, size)); return nil }
	case idx.isConst:
		off := base + idx.k
		a.gen = func(g *gen) error {
			g.emit(bpf.LoadMemShift{Off: nl}, bpf.LoadIndirect{Off: off, Size: size})
			return nil
		}
	case !transport:
		a.gen = func(g *gen) error {
			if err := idx.emit(g); err != nil {
				return err
			}
			g.emit(bpf.TAX{}, bpf.LoadIndirect{Off: base, Size: size})
			return nil
		}
	default:
		a.gen = func(g *gen) error {
			m, err := g.alloc()
			if err != nil {
				return err
			}
			if err := idx.emit(g); err != nil {
				return err
			}
			g.emit(bpf.StoreScratch{Src: bpf.RegA, N: m}, bpf.LoadMemShift{Off: nl}, bpf.TXA{},
				bpf.LoadScratch{Dst: bpf.RegX, N: m}, bpf.ALUOpX{Op: bpf.ALUOpAdd}, bpf.TAX{},
				bpf.LoadIndirect{Off: base, Size: size})
			g.free()
			return nil
		}
	}
	return a, nil
}
