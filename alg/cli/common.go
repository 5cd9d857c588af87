package cli

import (
	"bufio"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/fieldgate/fieldgate/alg"
)

// common holds the flags every data command shares.
type common struct {
	fs       *flag.FlagSet
	name     string
	in, out  string
	hexOut   bool
	quiet    bool
	provider string
}

func newCommon(cmd, usage string, e *env) *common {
	c := &common{fs: flag.NewFlagSet("crypto "+cmd, flag.ContinueOnError)}
	c.fs.SetOutput(e.stderr)
	c.fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: fieldgate crypto %s %s\n\nflags (-x and --x are the same):\n", cmd, usage)
		c.fs.PrintDefaults()
	}
	c.fs.StringVar(&c.name, "c", "", "algorithm `name` as in /proc/crypto (kcapi's -c/--cipher)")
	c.fs.StringVar(&c.name, "cipher", "", "same as -c")
	c.fs.StringVar(&c.in, "i", "", "input `file` (default: the FILE argument, else stdin)")
	c.fs.StringVar(&c.in, "infile", "", "same as -i")
	c.fs.StringVar(&c.out, "o", "", "output `file` (default stdout)")
	c.fs.StringVar(&c.out, "outfile", "", "same as -o")
	c.fs.BoolVar(&c.hexOut, "hex", false, "write hexadecimal instead of raw bytes")
	c.fs.BoolVar(&c.quiet, "q", false, "do not report the provider on stderr")
	c.fs.BoolVar(&c.quiet, "quiet", false, "same as -q")
	c.fs.StringVar(&c.provider, "provider", "auto", "`provider`: kernel (AF_ALG), go, or auto")
	c.fs.StringVar(&c.provider, "p", "auto", "same as -provider")
	return c
}

// parse parses args; at most one positional FILE is allowed.
func (c *common) parse(args []string) error {
	if err := c.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	switch c.fs.NArg() {
	case 0:
	case 1:
		if c.in != "" {
			return usageError{fmt.Errorf("input given twice: -i %q and argument %q", c.in, c.fs.Arg(0))}
		}
		c.in = c.fs.Arg(0)
	default:
		return usageError{fmt.Errorf("unexpected argument %q (flags go before the FILE argument)", c.fs.Arg(1))}
	}
	return nil
}

func (c *common) prov() (alg.Provider, error) {
	p, err := alg.ParseProvider(c.provider)
	if err != nil {
		return "", usageError{fmt.Errorf("-provider: %w", err)}
	}
	return p, nil
}

func (c *common) requireName() error {
	if c.name == "" {
		return usageError{errors.New("missing -c NAME (the algorithm, e.g. sha256 or cbc(aes))")}
	}
	return nil
}

// input opens the input: the named file or stdin.
func (c *common) input(e *env) (io.Reader, func(), error) {
	if c.in == "" || c.in == "-" {
		return e.stdin, func() {}, nil
	}
	f, err := os.Open(c.in)
	if err != nil {
		return nil, nil, err
	}
	return bufio.NewReaderSize(f, 64<<10), func() { f.Close() }, nil
}

// output writes b (hex-encoded with -hex) to the named file or stdout.
func (c *common) output(e *env, b []byte) error {
	if c.hexOut {
		b = []byte(hex.EncodeToString(b) + "\n")
	}
	if c.out == "" || c.out == "-" {
		_, err := e.stdout.Write(b)
		return err
	}
	return os.WriteFile(c.out, b, 0o600)
}

// described is what every alg value reports.
type described interface {
	Provider() alg.Provider
	Driver() string
	Reason() string
}

// report prints which provider ran, unless -q.
func (c *common) report(e *env, name string, d described) {
	if c.quiet {
		return
	}
	fmt.Fprintf(e.stderr, "fieldgate crypto: %s: provider %s, driver %s (%s)\n", name, d.Provider(), orUnknown(d.Driver()), d.Reason())
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// keyFlags are the key sources: -key HEX, -keyfd FD, -keyring SERIAL.
type keyFlags struct {
	hexKey  string
	keyfd   int
	keyring string
}

func (k *keyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&k.hexKey, "key", "", "key in `hex`")
	fs.IntVar(&k.keyfd, "keyfd", -1, "read the raw key from file descriptor `FD` (kcapi's --keyfd)")
	fs.StringVar(&k.keyring, "keyring", "", "use the kernel keyring key `SERIAL` (kernel provider, Linux 6.2+)")
}

// key returns the key bytes, or the keyring serial (serial >= 0 then).
func (k *keyFlags) key() ([]byte, int32, error) {
	n := 0
	for _, set := range []bool{k.hexKey != "", k.keyfd >= 0, k.keyring != ""} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return nil, -1, usageError{errors.New("missing key: give -key HEX, -keyfd FD or -keyring SERIAL")}
	case n > 1:
		return nil, -1, usageError{errors.New("give only one of -key, -keyfd and -keyring")}
	case k.hexKey != "":
		b, err := decodeHex("-key", k.hexKey)
		return b, -1, err
	case k.keyfd >= 0:
		f := os.NewFile(uintptr(k.keyfd), "keyfd")
		if f == nil {
			return nil, -1, usageError{fmt.Errorf("-keyfd %d: not a valid descriptor", k.keyfd)}
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, 4097))
		if err != nil {
			return nil, -1, fmt.Errorf("-keyfd %d: %w", k.keyfd, err)
		}
		if len(b) > 4096 {
			return nil, -1, fmt.Errorf("-keyfd %d: key longer than 4096 bytes", k.keyfd)
		}
		return b, -1, nil
	default:
		s, err := strconv.ParseInt(k.keyring, 0, 32)
		if err != nil || s <= 0 {
			return nil, -1, usageError{fmt.Errorf("-keyring %q: not a positive key serial", k.keyring)}
		}
		return nil, int32(s), nil
	}
}

// decodeHex decodes a hex flag value, naming the flag on error.
func decodeHex(flagName, s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, usageError{fmt.Errorf("%s: not hexadecimal: %v", flagName, err)}
	}
	return b, nil
}
