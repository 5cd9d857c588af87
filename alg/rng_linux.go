//go:build linux

package alg

import (
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// kernelRNG reads an AF_ALG "rng" operation socket in chunks of at most
// MaxRNGRead bytes.
type kernelRNG struct {
	describer
	mu      sync.Mutex
	tfm, op *fd
}

var _ RNG = (*kernelRNG)(nil)

func newKernelRNG(name string, cfg *RNGConfig) (*kernelRNG, error) {
	tfm, err := kernelSocket("rng", name)
	if err != nil {
		return nil, err
	}
	kerr := func(op string, err error) error {
		tfm.Close()
		return &Error{Op: op, Alg: name, Provider: ProviderKernel, Err: err}
	}
	if cfg.Entropy != nil {
		if err := tfm.setBytes(unix.ALG_SET_DRBG_ENTROPY, cfg.Entropy); err != nil {
			if errors.Is(err, unix.ENOPROTOOPT) {
				err = fmt.Errorf("kernel lacks DRBG entropy input (CONFIG_CRYPTO_USER_API_RNG_CAVP): %w", err)
			}
			return nil, kerr("setentropy", err)
		}
	}
	// The seed (possibly empty) resets the RNG: crypto_rng_reset.
	if err := tfm.setBytes(unix.ALG_SET_KEY, cfg.Seed); err != nil {
		return nil, kerr("seed", fmt.Errorf("seed of %d bytes: %w", len(cfg.Seed), err))
	}
	op, err := tfm.accept()
	if err != nil {
		return nil, kerr("accept", err)
	}
	return &kernelRNG{tfm: tfm, op: op}, nil
}

func (r *kernelRNG) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.op == nil {
		return 0, errors.New("use of closed RNG")
	}
	n := 0
	for n < len(p) {
		m, err := r.op.read(p[n:min(len(p), n+MaxRNGRead)])
		if err != nil {
			return n, &Error{Op: "recvmsg", Alg: r.name, Provider: ProviderKernel, Err: err}
		}
		if m == 0 {
			return n, &Error{Op: "recvmsg", Alg: r.name, Provider: ProviderKernel, Err: errors.New("kernel returned no bytes")}
		}
		n += m
	}
	return n, nil
}

func (r *kernelRNG) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.op != nil {
		r.op.Close()
		r.op = nil
	}
	if r.tfm != nil {
		err := r.tfm.Close()
		r.tfm = nil
		return err
	}
	return nil
}
