package cli

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"syscall"
	"time"

	"github.com/fieldgate/fieldgate/can"
)

// cangen's generation modes.
const (
	genRandom = iota
	genIncrement
	genFix
)

// genOptions are cangen's options plus fieldgate's long-only extras.
type genOptions struct {
	gap         float64 // ms
	ext         bool
	fd, brs     bool
	esi         bool
	rtr         bool
	mix         bool
	idMode      int
	id          uint32
	lenMode     int
	length      int
	dataMode    int
	data        [can.FDMaxLen]byte
	pollTimeout int // -p ms; 0 = off
	count       int
	ignore      bool // -i
	noLoopback  bool // -x
	burst       int  // -c
	verbose     int
	seed        uint64
	batch       int
}

const genSynopsis = `usage: fieldgate can gen [options] IFACE
cangen's options and behaviour. Generation modes (-I, -L, -D):
  r          random values (default)
  i          increment values
  HEXVALUE   a fixed value (-L takes a decimal length)
When incrementing the data the length is at least 1.`

func (o *genOptions) optSet() *optSet {
	s := &optSet{name: "gen", synopsis: genSynopsis, trailer: `
Examples: fieldgate can gen vcan0 -g 4 -I 42A -L 1 -D i -v -v
          fieldgate can gen vcan0 -e -L i -v -v -v
          fieldgate can gen vcan0 -D 11223344DEADBEEF -L 8
          fieldgate can gen vcan0 -g 0 -i -x`}
	s.fn('g', "", "MS", "gap between bursts in milliseconds (default 200; 0 = as fast as possible)", func(v string) error {
		g, err := strconv.ParseFloat(v, 64)
		if err != nil || g < 0 || g > 1e9 {
			return errors.New("want milliseconds >= 0")
		}
		o.gap = g
		return nil
	})
	s.flag('e', "", "extended (29-bit) identifiers", &o.ext)
	s.flag('f', "", "CAN FD frames", &o.fd)
	s.fn('b', "", "", "CAN FD frames with bit rate switch (BRS)", func(string) error { o.brs, o.fd = true, true; return nil })
	s.fn('E', "", "", "CAN FD frames with error state indicator (ESI)", func(string) error { o.esi, o.fd = true, true; return nil })
	s.flag('R', "", "remote requests (classic frames)", &o.rtr)
	s.fn('m', "", "", "mix -e -f -b -E -R frames at random", func(string) error { o.mix, o.fd = true, true; return nil })
	s.fn('I', "", "MODE", "identifier: r, i or a hex ID", func(v string) error {
		switch v {
		case "r":
			o.idMode = genRandom
		case "i":
			o.idMode = genIncrement
		default:
			id, err := strconv.ParseUint(v, 16, 32)
			if err != nil || id > uint64(can.EFFMask) {
				return errors.New("want r, i or a hex identifier up to 1FFFFFFF")
			}
			o.idMode, o.id = genFix, uint32(id)
		}
		return nil
	})
	s.fn('L', "", "MODE", "length: r, i or a decimal length (cut to 8, or to a CAN FD length)", func(v string) error {
		switch v {
		case "r":
			o.lenMode = genRandom
		case "i":
			o.lenMode = genIncrement
		default:
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 255 {
				return errors.New("want r, i or a decimal length 0..64")
			}
			o.lenMode, o.length = genFix, n
		}
		return nil
	})
	s.fn('D', "", "MODE", "payload: r, i or HEX bytes (up to 64)", func(v string) error {
		switch v {
		case "r":
			o.dataMode = genRandom
		case "i":
			o.dataMode = genIncrement
		default:
			b, err := hex.DecodeString(v)
			if err != nil || len(b) == 0 || len(b) > can.FDMaxLen {
				return errors.New("want r, i or 1..64 hex bytes (an even number of hex digits)")
			}
			o.dataMode = genFix
			o.data = [can.FDMaxLen]byte{}
			copy(o.data[:], b)
		}
		return nil
	})
	s.intOpt('p', "", "MS", "on ENOBUFS wait up to MS milliseconds for room and retry", &o.pollTimeout, 1, 1<<31-1)
	s.intOpt('n', "", "COUNT", "stop after COUNT frames (default: never)", &o.count, 1, 1<<31-1)
	s.flag('i', "", "ignore ENOBUFS from the interface (count and drop the frame)", &o.ignore)
	s.flag('x', "", "disable local loopback of the generated frames", &o.noLoopback)
	s.intOpt('c', "", "COUNT", "frames per burst (default 1)", &o.burst, 1, 1<<31-1)
	s.counter('v', "", "print sent frames (-v compact, -vv table, -vvv table with ASCII)", &o.verbose)
	s.fn(0, "seed", "N", "seed of the random values (default: time based)", func(v string) error {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return errors.New("want a whole number")
		}
		o.seed = n
		return nil
	})
	s.intOpt(0, "batch", "N", fmt.Sprintf("frames per send system call with -g 0, 1..%d", can.MaxBatch), &o.batch, 1, can.MaxBatch)
	return s
}

// genState is cangen's loop state: the frame it reuses and its counters.
type genState struct {
	o        *genOptions
	rng      *rand.Rand
	frame    can.FDFrame
	fd       bool // this frame is CAN FD (changes with -m)
	ext, rtr bool
	brs, esi bool
	incData  uint64
	incDLC   int
}

// newGenState sets up cangen's first frame from o.
func newGenState(o *genOptions) *genState {
	g := &genState{o: o, fd: o.fd, ext: o.ext, rtr: o.rtr, brs: o.brs, esi: o.esi}
	seed := o.seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	g.rng = rand.New(rand.NewPCG(seed, seed>>1|1))
	g.frame.ID = o.id
	if o.lenMode == genFix {
		g.frame.Len = uint8(min(o.length, can.FDMaxLen))
	}
	if o.fd {
		g.frame.Len = uint8(can.DLCToLen(can.LenToDLC(int(g.frame.Len))))
	} else if g.frame.Len > can.MaxLen {
		g.frame.Len = can.MaxLen
	}
	return g
}

// next fills the next frame as cangen's loop does.
func (g *genState) next() {
	o := g.o
	f := &g.frame
	f.Flags = 0
	maxLen := can.MaxLen
	if g.fd {
		maxLen = can.FDMaxLen
		f.Flags = can.FDF
		if g.brs {
			f.Flags |= can.BRS
		}
		if g.esi {
			f.Flags |= can.ESI
		}
	}
	if o.idMode == genRandom {
		f.ID = g.rng.Uint32() & 0x7FFFFFFF
	}
	if g.ext {
		f.ID &= can.EFFMask
	} else {
		f.ID &= can.SFFMask
	}
	f.Extended = g.ext
	f.Remote = g.rtr && !g.fd
	if o.lenMode == genRandom {
		r := g.rng.IntN(16)
		if g.fd {
			f.Len = uint8(can.DLCToLen(uint8(r)))
		} else {
			f.Len = uint8(r)
			if r&8 != 0 {
				f.Len = 8 // about half of the frames
			}
		}
	}
	if o.dataMode == genIncrement && f.Len == 0 {
		f.Len = 1
	}
	switch o.dataMode {
	case genRandom:
		v := g.rng.Uint64()
		for i := range 8 {
			f.Data[i] = byte(v >> (8 * i))
		}
		if g.fd && f.Len > 8 {
			copy(f.Data[8:16], f.Data[0:8])
			copy(f.Data[16:32], f.Data[0:16])
			copy(f.Data[32:64], f.Data[0:32])
		}
	case genFix:
		f.Data = o.data
	}
	if int(f.Len) < maxLen {
		clear(f.Data[f.Len:maxLen])
	}
}

// advance updates the state after a frame went out, as cangen does.
func (g *genState) advance() {
	o := g.o
	f := &g.frame
	if o.idMode == genIncrement {
		f.ID++
	}
	if o.lenMode == genIncrement {
		g.incDLC++
		if g.fd && !o.mix {
			g.incDLC &= 0xF
			f.Len = uint8(can.DLCToLen(uint8(g.incDLC)))
		} else {
			g.incDLC %= 9
			f.Len = uint8(g.incDLC)
		}
	}
	if o.dataMode == genIncrement {
		g.incData++
		for i := range 8 {
			f.Data[i] = byte(g.incData >> (8 * i))
		}
	}
	if o.mix {
		i := g.rng.Uint32() & 0x7FFFFFFF
		g.ext = i&1 != 0
		g.fd = i&2 != 0
		if g.fd {
			g.brs = i&4 != 0
			g.esi = i&8 != 0
		}
		g.rtr = i&24 == 24 // a quarter of the frames
	}
}

// appendVerbose appends cangen's -v line of f: "  IFACE  " and the frame.
func appendVerbose(b []byte, iface string, f *can.FDFrame, fd bool, verbose int) []byte {
	b = append(b, "  "...)
	b = append(b, iface...)
	b = append(b, "  "...)
	pf := *f
	pf.Flags &^= can.FDF // cangen's frames carry only BRS and ESI
	switch {
	case verbose > 2:
		b = appendLongFrame(b, &pf, fd, viewASCII)
	case verbose > 1:
		b = appendLongFrame(b, &pf, fd, 0)
	default:
		b = appendCompactFrameSep(b, &pf, fd)
	}
	return append(b, '\n')
}

func genMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := genOptions{gap: 200, burst: 1}
	set := o.optSet()
	operands, err := set.parse(args, stderr)
	if err != nil {
		return err
	}
	if len(operands) != 1 {
		return set.errorf("want exactly one IFACE argument, got %d", len(operands))
	}
	iface := operands[0]
	if o.idMode == genFix && o.id > can.SFFMask && !o.ext {
		return set.errorf("-I %X: the identifier is greater than 0x7FF and -e is not set", o.id)
	}
	g := newGenState(&o)
	cfg := &can.RawConfig{FD: o.fd, Filters: []can.Filter{}}
	if o.noLoopback {
		off := false
		cfg.Loopback = &off
	}
	c, err := can.ListenRaw(iface, cfg)
	if err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	defer c.Close()
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	batch := 1
	if o.gap == 0 && o.verbose == 0 {
		batch = can.MaxBatch
		if o.batch > 0 {
			batch = o.batch
		}
	}
	frames := make([]can.FDFrame, batch)
	fdOf := make([]bool, batch)
	var line []byte
	var enobufs uint64
	sent, inBurst := 0, 0
	interval := time.Duration(o.gap * float64(time.Millisecond))
	tick := time.Now()
	for o.count == 0 || sent < o.count {
		n := batch
		if o.count > 0 {
			n = min(n, o.count-sent)
		}
		if interval > 0 {
			n = min(n, o.burst-inBurst)
		}
		for i := range n {
			g.next()
			frames[i], fdOf[i] = g.frame, g.fd
			if o.verbose > 0 {
				line = appendVerbose(line[:0], iface, &frames[i], g.fd, o.verbose)
				w.Write(line)
			}
			g.advance()
		}
		if o.verbose > 0 {
			if err := w.Flush(); err != nil {
				return err
			}
		}
		dropped, err := genWrite(ctx, c, &o, frames[:n])
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return fmt.Errorf("gen: write %s: %w", iface, err)
		}
		enobufs += uint64(dropped)
		sent += n
		inBurst += n
		if interval > 0 && inBurst >= o.burst {
			inBurst = 0
			tick = tick.Add(interval)
			if d := time.Until(tick); d > 0 {
				select {
				case <-ctx.Done():
				case <-time.After(d):
				}
			} else if d < -time.Second {
				tick = time.Now()
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	if enobufs > 0 {
		fmt.Fprintf(w, "\nCounted %d ENOBUFS return values on write().\n\n", enobufs)
	}
	return w.Flush()
}

// frameWriter is the sending half of a *can.RawConn.
type frameWriter interface {
	WriteBatch(ctx context.Context, frames []can.FDFrame) (int, error)
	TryWriteBatch(frames []can.FDFrame) (int, error)
}

// genWrite sends frames as cangen does: a full interface queue (ENOBUFS)
// fails, is counted and skipped (-i), or is waited out (-p). It returns
// how many frames were skipped.
func genWrite(ctx context.Context, c frameWriter, o *genOptions, frames []can.FDFrame) (int, error) {
	skipped := 0
	for off := 0; off < len(frames); {
		if o.pollTimeout > 0 {
			k, err := c.WriteBatch(ctx, frames[off:]) // waits out ENOBUFS
			if err != nil {
				return skipped, err
			}
			off += k
			continue
		}
		k, err := c.TryWriteBatch(frames[off:])
		switch {
		case err == nil:
			off += k
		case errors.Is(err, syscall.ENOBUFS) && o.ignore:
			off++
			skipped++
		case errors.Is(err, syscall.EAGAIN):
			// The socket's send buffer is full: wait for room.
			k, err := c.WriteBatch(ctx, frames[off:off+1])
			if err != nil {
				return skipped, err
			}
			off += k
		default:
			return skipped, err
		}
	}
	return skipped, nil
}
