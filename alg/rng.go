package alg

import (
	"crypto/rand"
	"io"
)

// An RNG is a random number generator computed by a provider: the
// kernel's DRBGs ("stdrng", "drbg_nopr_sha256", "drbg_pr_hmac_sha512",
// "jitterentropy_rng", ...) or Go's crypto/rand.
type RNG interface {
	io.Reader
	Provider() Provider
	Driver() string
	Reason() string
	io.Closer
}

// RNGConfig configures NewRNG. The zero value (or nil) means defaults.
type RNGConfig struct {
	// Seed is passed to the kernel's crypto_rng_reset (the DRBG's
	// personalisation string); nil means none, the DRBG seeds itself
	// from the kernel's entropy sources. Ignored by the Go provider.
	Seed []byte
	// Entropy is the DRBG's entropy input for tests (ALG_SET_DRBG_ENTROPY,
	// needs CONFIG_CRYPTO_USER_API_RNG_CAVP). Kernel provider only.
	Entropy []byte
}

// MaxRNGRead is the most the kernel returns from one read of an AF_ALG rng
// socket; Read splits larger requests.
const MaxRNGRead = 128

// NewRNG returns the random number generator name. The Go provider
// (crypto/rand) serves any name but takes no seed or entropy input; auto
// uses the kernel when it has name and is asked for a seed or entropy
// input, Go otherwise.
func NewRNG(name string, cfg *RNGConfig, p Provider) (RNG, error) {
	if cfg == nil {
		cfg = &RNGConfig{}
	}
	hasGo := cfg.Entropy == nil && cfg.Seed == nil
	c, err := resolve(p, "rng", name, hasGo, 0)
	if err != nil {
		return nil, err
	}
	if c.Provider == ProviderKernel {
		r, err := newKernelRNG(name, cfg)
		if err != nil {
			return nil, err
		}
		r.init(c, "rng", name, "")
		return r, nil
	}
	r := &goRNG{}
	r.init(c, "rng", name, "go:crypto/rand")
	return r, nil
}

type goRNG struct{ describer }

func (r *goRNG) Read(p []byte) (int, error) { return rand.Read(p) }
func (r *goRNG) Close() error               { return nil }
