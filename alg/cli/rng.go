package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/fieldgate/fieldgate/alg"
)

func runRNG(ctx context.Context, e *env, args []string) error {
	c := newCommon("rng", "-b BYTES [-n NAME] [-seed HEX | -seed-stdin] [FLAGS]", e)
	var (
		n         int
		seed      string
		seedStdin bool
	)
	c.name = "stdrng"
	c.fs.StringVar(&c.name, "n", "stdrng", "DRNG `name` as in /proc/crypto")
	c.fs.StringVar(&c.name, "name", "stdrng", "same as -n")
	c.fs.IntVar(&n, "b", 0, "number of `bytes` to generate (required)")
	c.fs.IntVar(&n, "bytes", 0, "same as -b")
	c.fs.StringVar(&seed, "seed", "", "seed (personalisation string) in `hex`")
	c.fs.BoolVar(&seedStdin, "seed-stdin", false, "seed with the bytes on stdin (kcapi-rng does)")
	if err := c.parse(args); err != nil {
		return err
	}
	if n <= 0 {
		return usageError{fmt.Errorf("-b: need a positive byte count, got %d", n)}
	}
	if n > 1<<30 {
		return usageError{fmt.Errorf("-b: %d bytes is more than 1 GiB", n)}
	}
	p, err := c.prov()
	if err != nil {
		return err
	}
	cfg := &alg.RNGConfig{}
	if seed != "" {
		if cfg.Seed, err = decodeHex("-seed", seed); err != nil {
			return err
		}
	}
	if seedStdin {
		if cfg.Seed, err = io.ReadAll(io.LimitReader(e.stdin, 1<<16)); err != nil {
			return fmt.Errorf("stdin: %w", err)
		}
	}
	r, err := alg.NewRNG(c.name, cfg, p)
	if err != nil {
		return err
	}
	defer r.Close()
	c.report(e, c.name, r)
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return err
	}
	return c.output(e, buf)
}
