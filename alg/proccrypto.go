package alg

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// ProcCryptoPath is where the kernel lists its registered algorithms.
const ProcCryptoPath = "/proc/crypto"

// An Algorithm is one entry of /proc/crypto: one driver (implementation) of
// one algorithm name. Sizes the kernel does not print for the type are 0.
type Algorithm struct {
	Name     string // algorithm name, e.g. "cbc(aes)"
	Driver   string // implementation, e.g. "cbc(aes-aesni)" or "cbc-aes-aesni"
	Module   string // "kernel" when built in
	Priority int    // the kernel picks the highest-priority driver of a name
	RefCount int
	SelfTest string // "passed", "unknown" (not tested) or "failed"
	Internal bool   // internal-only, not reachable through AF_ALG
	FIPS     bool   // "fips : yes" (only printed in FIPS mode)
	Type     string // shash, ahash, skcipher, aead, cipher, rng, ...
	Async    bool

	BlockSize   int
	DigestSize  int
	MinKeySize  int
	MaxKeySize  int
	IVSize      int
	MaxAuthSize int
	ChunkSize   int
	WalkSize    int
	SeedSize    int
	GenIV       string

	// Line is the line of the entry's "name" field in the source.
	Line int
	// Extra holds fields this parser does not model, by key.
	Extra map[string]string
}

// SocketType returns the AF_ALG socket type that reaches this algorithm
// ("hash", "skcipher", "aead", "rng"), or "" if AF_ALG cannot use it.
func (a *Algorithm) SocketType() string {
	switch a.Type {
	case "shash", "ahash":
		return "hash"
	case "skcipher", "lskcipher", "ablkcipher", "blkcipher", "givcipher":
		return "skcipher"
	case "aead", "nivaead":
		return "aead"
	case "rng":
		return "rng"
	}
	return ""
}

// ReadProcCrypto parses the running kernel's /proc/crypto.
func ReadProcCrypto() ([]Algorithm, error) {
	f, err := os.Open(ProcCryptoPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseProcCrypto(f, ProcCryptoPath)
}

// maxProcCryptoLine bounds one line; real lines are under 100 bytes.
const maxProcCryptoLine = 4096

// ParseProcCrypto parses text in the format of /proc/crypto: blocks of
// "key : value" lines separated by blank lines, each starting with "name".
// file names the source in errors, which carry file:line and the field.
func ParseProcCrypto(r io.Reader, file string) ([]Algorithm, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), maxProcCryptoLine)
	var (
		out  []Algorithm
		cur  *Algorithm
		line int
	)
	flush := func() error {
		if cur == nil {
			return nil
		}
		if cur.Driver == "" {
			return fmt.Errorf("%s:%d: entry %q has no driver field", file, cur.Line, cur.Name)
		}
		if cur.Type == "" {
			return fmt.Errorf("%s:%d: entry %q has no type field", file, cur.Line, cur.Name)
		}
		out = append(out, *cur)
		cur = nil
		return nil
	}
	for sc.Scan() {
		line++
		text := sc.Text()
		if strings.TrimSpace(text) == "" {
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		}
		k, v, ok := strings.Cut(text, ":")
		if !ok {
			return nil, fmt.Errorf("%s:%d: line %q has no ':' separator", file, line, truncate(text))
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "" {
			return nil, fmt.Errorf("%s:%d: empty field name", file, line)
		}
		if k == "name" {
			if err := flush(); err != nil {
				return nil, err
			}
			if v == "" {
				return nil, fmt.Errorf("%s:%d: empty algorithm name", file, line)
			}
			cur = &Algorithm{Name: v, Line: line}
			continue
		}
		if cur == nil {
			return nil, fmt.Errorf("%s:%d: field %q before the first \"name\" field", file, line, k)
		}
		if err := cur.set(k, v); err != nil {
			return nil, fmt.Errorf("%s:%d: field %q: %w", file, line, k, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", file, line+1, err)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// set stores one field.
func (a *Algorithm) set(k, v string) error {
	num := func(dst *int) error {
		n, err := strconv.ParseUint(v, 10, 31)
		if err != nil {
			return fmt.Errorf("value %q is not a non-negative integer", truncate(v))
		}
		*dst = int(n)
		return nil
	}
	yesno := func(dst *bool) error {
		switch v {
		case "yes":
			*dst = true
		case "no":
			*dst = false
		default:
			return fmt.Errorf("value %q is neither yes nor no", truncate(v))
		}
		return nil
	}
	switch k {
	case "driver":
		a.Driver = v
	case "module":
		a.Module = v
	case "priority":
		return num(&a.Priority)
	case "refcnt":
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return fmt.Errorf("value %q is not an integer", truncate(v))
		}
		a.RefCount = int(n)
	case "selftest":
		a.SelfTest = v
	case "internal":
		return yesno(&a.Internal)
	case "fips":
		return yesno(&a.FIPS)
	case "type":
		a.Type = v
	case "async":
		return yesno(&a.Async)
	case "blocksize":
		return num(&a.BlockSize)
	case "digestsize":
		return num(&a.DigestSize)
	case "min keysize":
		return num(&a.MinKeySize)
	case "max keysize":
		return num(&a.MaxKeySize)
	case "ivsize":
		return num(&a.IVSize)
	case "maxauthsize":
		return num(&a.MaxAuthSize)
	case "chunksize":
		return num(&a.ChunkSize)
	case "walksize":
		return num(&a.WalkSize)
	case "seedsize":
		return num(&a.SeedSize)
	case "geniv":
		a.GenIV = v
	default:
		if a.Extra == nil {
			a.Extra = make(map[string]string)
		}
		a.Extra[k] = v
	}
	return nil
}

// Lookup returns the driver the kernel would pick for name (matched against
// both name and driver): the highest priority entry that is not internal,
// optionally restricted to one AF_ALG socket type. It returns nil if none.
func Lookup(algs []Algorithm, name, socketType string) *Algorithm {
	var best *Algorithm
	for i := range algs {
		a := &algs[i]
		if a.Name != name && a.Driver != name {
			continue
		}
		if a.Internal || a.SelfTest == "failed" {
			continue
		}
		if socketType != "" && a.SocketType() != socketType {
			continue
		}
		if a.Driver == name {
			return a
		}
		if best == nil || a.Priority > best.Priority {
			best = a
		}
	}
	return best
}
