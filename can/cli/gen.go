package cli

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/fieldgate/fieldgate/can"
)

// genMode is a cangen -I/-L/-D argument: r (random), i (increment) or a fixed value.
type genMode struct {
	kind  byte // 'r', 'i' or 'f'
	value uint64
	data  []byte
}

func parseGenMode(flagName, s string, parseFixed func(string) (uint64, []byte, error)) (genMode, error) {
	switch s {
	case "r":
		return genMode{kind: 'r'}, nil
	case "i":
		return genMode{kind: 'i'}, nil
	}
	v, d, err := parseFixed(s)
	if err != nil {
		return genMode{}, usagef("gen: -%s %q: %v", flagName, s, err)
	}
	return genMode{kind: 'f', value: v, data: d}, nil
}

func genMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	gap := fs.Float64("g", 200, "gap between frames in `ms` (0 = as fast as the interface takes them)")
	idArg := fs.String("I", "r", "identifier: r (random), i (increment) or a hex `ID`")
	lenArg := fs.String("L", "r", "length: r (random), i (increment) or a decimal `LEN`")
	dataArg := fs.String("D", "r", "payload: r (random), i (increment) or `HEX` bytes")
	ext := fs.Bool("e", false, "extended (29-bit) identifiers")
	fd := fs.Bool("f", false, "CAN FD frames")
	brs := fs.Bool("b", false, "CAN FD frames with bit rate switch (implies -f)")
	rtr := fs.Bool("R", false, "remote requests")
	count := fs.Int("n", 0, "stop after `COUNT` frames (0 = never)")
	batch := fs.Int("B", 0, "frames per send system call, 1..64 (default 64 with -g 0, else 1)")
	seed := fs.Uint64("seed", 0, "random seed (0 = time based)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: fieldgate can gen [flags] IFACE\nflags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usagef("gen: want exactly one IFACE argument, got %d", fs.NArg())
	}
	if *brs {
		*fd = true
	}
	if *gap < 0 {
		return usagef("gen: -g %v: want a gap >= 0 ms", *gap)
	}
	if *count < 0 {
		return usagef("gen: -n %d: want a count >= 0", *count)
	}
	if *fd && *rtr {
		return usagef("gen: -R: CAN FD frames (-f/-b) have no remote requests")
	}
	maxLen := can.MaxLen
	if *fd {
		maxLen = can.FDMaxLen
	}
	maxID := uint64(can.SFFMask)
	if *ext {
		maxID = uint64(can.EFFMask)
	}
	idMode, err := parseGenMode("I", *idArg, func(s string) (uint64, []byte, error) {
		v, err := strconv.ParseUint(s, 16, 32)
		if err != nil || v > maxID {
			return 0, nil, fmt.Errorf("want r, i or a hex identifier up to %X", maxID)
		}
		return v, nil, nil
	})
	if err != nil {
		return err
	}
	lenMode, err := parseGenMode("L", *lenArg, func(s string) (uint64, []byte, error) {
		v, err := strconv.ParseUint(s, 10, 8)
		if err != nil || int(v) > maxLen {
			return 0, nil, fmt.Errorf("want r, i or a decimal length 0..%d", maxLen)
		}
		return v, nil, nil
	})
	if err != nil {
		return err
	}
	dataMode, err := parseGenMode("D", *dataArg, func(s string) (uint64, []byte, error) {
		d, err := hex.DecodeString(strings.ReplaceAll(s, ".", ""))
		if err != nil || len(d) > maxLen {
			return 0, nil, fmt.Errorf("want r, i or up to %d hex bytes", maxLen)
		}
		return 0, d, nil
	})
	if err != nil {
		return err
	}
	if dataMode.kind == 'f' && lenMode.kind != 'f' {
		lenMode = genMode{kind: 'f', value: uint64(len(dataMode.data))}
	}
	b := *batch
	if b == 0 {
		b = 1
		if *gap == 0 {
			b = can.MaxBatch
		}
	}
	if b < 1 || b > can.MaxBatch {
		return usagef("gen: -B %d: want 1..%d", b, can.MaxBatch)
	}
	s := *seed
	if s == 0 {
		s = uint64(time.Now().UnixNano())
	}
	rng := rand.New(rand.NewPCG(s, s>>1|1))
	c, err := can.ListenRaw(fs.Arg(0), &can.RawConfig{FD: *fd, Filters: []can.Filter{}})
	if err != nil {
		return err
	}
	defer c.Close()

	frames := make([]can.FDFrame, b)
	var seq uint64
	fdLens := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64}
	next := func(f *can.FDFrame) {
		*f = can.FDFrame{Extended: *ext, Remote: *rtr}
		switch idMode.kind {
		case 'r':
			f.ID = uint32(rng.Uint64N(maxID + 1))
		case 'i':
			f.ID = uint32(seq % (maxID + 1))
		default:
			f.ID = uint32(idMode.value)
		}
		var n int
		switch lenMode.kind {
		case 'r':
			if *fd {
				n = fdLens[rng.IntN(len(fdLens))]
			} else {
				n = rng.IntN(maxLen + 1)
			}
		case 'i':
			if *fd {
				n = fdLens[seq%uint64(len(fdLens))]
			} else {
				n = int(seq % uint64(maxLen+1))
			}
		default:
			n = int(lenMode.value)
		}
		f.Len = uint8(n)
		if *fd {
			f.Flags = can.FDF
			if *brs {
				f.Flags |= can.BRS
			}
		}
		if !*rtr {
			switch dataMode.kind {
			case 'r':
				for i := 0; i < n; i += 8 {
					v := rng.Uint64()
					for j := i; j < n && j < i+8; j++ {
						f.Data[j] = byte(v >> (8 * (j - i)))
					}
				}
			case 'i':
				for i := range n {
					f.Data[i] = byte(seq)
				}
			default:
				copy(f.Data[:n], dataMode.data)
			}
		}
		seq++
	}
	sent := 0
	interval := time.Duration(*gap * float64(time.Millisecond))
	tick := time.Now()
	for *count == 0 || sent < *count {
		n := b
		if *count > 0 {
			n = min(n, *count-sent)
		}
		for i := range n {
			next(&frames[i])
		}
		for off := 0; off < n; {
			k, err := c.WriteBatch(ctx, frames[off:n])
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			off += k
		}
		sent += n
		if interval > 0 {
			tick = tick.Add(interval * time.Duration(n))
			if d := time.Until(tick); d > 0 {
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(d):
				}
			} else if d < -time.Second {
				tick = time.Now()
			}
		} else if ctx.Err() != nil {
			return nil
		}
	}
	return nil
}
