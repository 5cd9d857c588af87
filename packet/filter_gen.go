package packet

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// The code generator works on labels: every boolean node is compiled with
// a true and a false label, leaves end in conditional jumps, and a final
// pass turns labels into the 8-bit relative offsets of classic BPF,
// inserting unconditional long jumps where a target is too far.

type opKind uint8

const (
	opIns   opKind = iota // plain instruction
	opCond                // conditional jump to labels t/f
	opJA                  // unconditional jump to label t
	opLabel               // marks label t here
)

type op struct {
	kind opKind
	ins  bpf.Instruction
	cond bpf.JumpTest // JumpEqual, JumpGreaterThan, JumpGreaterOrEqual, JumpBitsSet
	val  uint32
	useX bool
	t, f int
}

type gen struct {
	ops    []op
	labels int
	mem    int // scratch memory slots in use
}

// cond is a boolean node: it emits code that jumps to t when true and to
// f when false.
type cond func(g *gen, t, f int) error

func (g *gen) label() int  { g.labels++; return g.labels }
func (g *gen) place(l int) { g.ops = append(g.ops, op{kind: opLabel, t: l}) }
func (g *gen) emit(ins ...bpf.Instruction) {
	for _, in := range ins {
		g.ops = append(g.ops, op{kind: opIns, ins: in})
	}
}
func (g *gen) jump(c bpf.JumpTest, v uint32, t, f int) {
	g.ops = append(g.ops, op{kind: opCond, cond: c, val: v, t: t, f: f})
}
func (g *gen) jumpX(c bpf.JumpTest, t, f int) {
	g.ops = append(g.ops, op{kind: opCond, cond: c, useX: true, t: t, f: f})
}

func (g *gen) alloc() (int, error) {
	if g.mem >= 16 {
		return 0, fmt.Errorf("filter: expression too complex (more than 16 scratch values)")
	}
	g.mem++
	return g.mem - 1, nil
}
func (g *gen) free() { g.mem-- }

func and(a, b cond) cond {
	return func(g *gen, t, f int) error {
		mid := g.label()
		if err := a(g, mid, f); err != nil {
			return err
		}
		g.place(mid)
		return b(g, t, f)
	}
}

func or(a, b cond) cond {
	return func(g *gen, t, f int) error {
		mid := g.label()
		if err := a(g, t, mid); err != nil {
			return err
		}
		g.place(mid)
		return b(g, t, f)
	}
}

func not(a cond) cond {
	return func(g *gen, t, f int) error { return a(g, f, t) }
}

func anyOf(cs ...cond) cond {
	c := cs[0]
	for _, d := range cs[1:] {
		c = or(c, d)
	}
	return c
}

func allOf(cs ...cond) cond {
	c := cs[0]
	for _, d := range cs[1:] {
		c = and(c, d)
	}
	return c
}

// loadCmp loads a value with ins and compares it with v (after an optional
// mask).
func loadCmp(ins bpf.Instruction, mask uint32, c bpf.JumpTest, v uint32) cond {
	return func(g *gen, t, f int) error {
		g.emit(ins)
		if mask != 0 && mask != 0xffffffff {
			g.emit(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: mask})
		}
		g.jump(c, v, t, f)
		return nil
	}
}

// eqAny loads once and tests membership in vs.
func eqAny(ins bpf.Instruction, vs ...uint32) cond {
	return func(g *gen, t, f int) error {
		g.emit(ins)
		for i, v := range vs {
			next := f
			if i < len(vs)-1 {
				next = g.label()
			}
			g.jump(bpf.JumpEqual, v, t, next)
			if next != f {
				g.place(next)
			}
		}
		return nil
	}
}

func ldAbs(off uint32, size int) bpf.Instruction { return bpf.LoadAbsolute{Off: off, Size: size} }

// assemble resolves labels and returns the program.
func (g *gen) assemble() ([]bpf.Instruction, error) {
	ops := g.ops
	for round := 0; ; round++ {
		if round > 64 {
			return nil, fmt.Errorf("filter: cannot lay out jumps")
		}
		pos := make(map[int]int)
		n := 0
		for _, o := range ops {
			if o.kind == opLabel {
				pos[o.t] = n
			} else {
				n++
			}
		}
		if n > bpfMaxInsns {
			return nil, fmt.Errorf("filter: program of %d instructions exceeds the kernel's %d", n, bpfMaxInsns)
		}
		var out []op
		changed := false
		idx := 0
		for _, o := range ops {
			if o.kind != opCond {
				out = append(out, o)
				if o.kind != opLabel {
					idx++
				}
				continue
			}
			dt, df := pos[o.t]-idx-1, pos[o.f]-idx-1
			if dt <= 255 && df <= 255 {
				out = append(out, o)
				idx++
				continue
			}
			// Trampolines: the far side jumps to a JA right after.
			changed = true
			nt, nf := o.t, o.f
			var tramp []op
			if dt > 255 {
				l := g.label()
				tramp = append(tramp, op{kind: opLabel, t: l}, op{kind: opJA, t: o.t})
				nt = l
			}
			if df > 255 {
				l := g.label()
				tramp = append(tramp, op{kind: opLabel, t: l}, op{kind: opJA, t: o.f})
				nf = l
			}
			o.t, o.f = nt, nf
			skip := g.label()
			out = append(out, o, op{kind: opJA, t: skip})
			out = append(out, tramp...)
			out = append(out, op{kind: opLabel, t: skip})
			idx++
		}
		ops = out
		if changed {
			continue
		}
		// Final emission.
		prog := make([]bpf.Instruction, 0, n)
		for _, o := range ops {
			i := len(prog)
			switch o.kind {
			case opIns:
				prog = append(prog, o.ins)
			case opJA:
				prog = append(prog, bpf.Jump{Skip: uint32(pos[o.t] - i - 1)})
			case opCond:
				st, sf := uint8(pos[o.t]-i-1), uint8(pos[o.f]-i-1)
				if o.useX {
					prog = append(prog, bpf.JumpIfX{Cond: o.cond, SkipTrue: st, SkipFalse: sf})
				} else {
					prog = append(prog, bpf.JumpIf{Cond: o.cond, Val: o.val, SkipTrue: st, SkipFalse: sf})
				}
			}
		}
		return prog, nil
	}
}

// bpfMaxInsns is the kernel's BPF_MAXINSNS.
const bpfMaxInsns = 4096
