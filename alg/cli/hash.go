package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fieldgate/fieldgate/alg"
)

func runHash(ctx context.Context, e *env, args []string) error {
	c := newCommon("hash", "-c NAME [FLAGS] [FILE]", e)
	var k keyFlags
	k.register(c.fs)
	if err := c.parse(args); err != nil {
		return err
	}
	var key []byte
	serial := int32(-1)
	if k.hexKey != "" || k.keyfd >= 0 || k.keyring != "" {
		var err error
		if key, serial, err = k.key(); err != nil {
			return err
		}
	}
	return digest(e, c, key, serial)
}

func runHMAC(ctx context.Context, e *env, args []string) error {
	c := newCommon("hmac", "-c NAME -key HEX|-keyfd FD|-keyring SERIAL [FLAGS] [FILE]", e)
	var k keyFlags
	k.register(c.fs)
	if err := c.parse(args); err != nil {
		return err
	}
	if err := c.requireName(); err != nil {
		return err
	}
	if !strings.HasPrefix(c.name, "hmac(") {
		c.name = "hmac(" + c.name + ")"
	}
	key, serial, err := k.key()
	if err != nil {
		return err
	}
	if key == nil {
		key = []byte{}
	}
	return digest(e, c, key, serial)
}

func digest(e *env, c *common, key []byte, serial int32) error {
	if err := c.requireName(); err != nil {
		return err
	}
	p, err := c.prov()
	if err != nil {
		return err
	}
	var h alg.Hash
	if serial >= 0 {
		if p == alg.ProviderGo {
			return usageError{fmt.Errorf("-keyring needs the kernel provider")}
		}
		h, err = alg.NewHashKeyring(c.name, serial)
	} else {
		cfg := &alg.Config{Provider: p}
		if c.in != "" && c.in != "-" {
			if st, err := os.Stat(c.in); err == nil && st.Mode().IsRegular() {
				cfg.SizeHint = int(min(st.Size(), 1<<40))
			}
		}
		h, err = cfg.NewHash(c.name, key)
	}
	if err != nil {
		return err
	}
	defer h.Close()
	c.report(e, c.name, h)
	in, done, err := c.input(e)
	if err != nil {
		return err
	}
	defer done()
	if _, err := io.Copy(h, in); err != nil {
		return fmt.Errorf("%s: %w", orStdin(c.in), err)
	}
	return c.output(e, h.Sum(nil))
}

func orStdin(s string) string {
	if s == "" || s == "-" {
		return "stdin"
	}
	return s
}
