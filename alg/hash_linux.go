//go:build linux

package alg

import (
	"errors"
	"fmt"
	"hash"
	"sync"

	"golang.org/x/sys/unix"
)

// kernelHash is a hash.Hash on an AF_ALG "hash" socket. Writes go to the
// operation socket with MSG_MORE; Sum accepts on the operation socket, which
// clones the running state and finalises the original, which Reset reuses.
type kernelHash struct {
	describer
	mu  sync.Mutex
	tfm *fd
	op  *fd // nil until the first Write after New or Reset
	// fresh is an operation socket in its initial state, left over from
	// Sum (which finalises the current socket after cloning it): Reset
	// switches to it instead of accepting a new one.
	fresh *fd
	size  int
	bsize int
	err   error // sticky kernel failure, reported by Write
}

var _ Hash = (*kernelHash)(nil)

func newKernelHash(name string, key []byte, keyed bool, size, bsize int) (*kernelHash, error) {
	tfm, err := kernelSocket("hash", name)
	if err != nil {
		return nil, err
	}
	if keyed {
		if err := tfm.setBytes(unix.ALG_SET_KEY, key); err != nil {
			tfm.Close()
			return nil, &Error{Op: "setkey", Alg: name, Provider: ProviderKernel, Err: keyError(name, len(key), err)}
		}
	}
	return finishKernelHash(tfm, name, size, bsize)
}

// newKernelHashKeyring is newKernelHash with the key taken from a keyring.
func newKernelHashKeyring(name string, serial int32) (*kernelHash, error) {
	tfm, err := kernelSocket("hash", name)
	if err != nil {
		return nil, err
	}
	if err := tfm.setKeySerial(serial); err != nil {
		tfm.Close()
		return nil, &Error{Op: "setkey", Alg: name, Provider: ProviderKernel, Err: keySerialError(err)}
	}
	return finishKernelHash(tfm, name, 0, 0)
}

func finishKernelHash(tfm *fd, name string, size, bsize int) (*kernelHash, error) {
	h := &kernelHash{tfm: tfm, size: size, bsize: bsize}
	if size == 0 {
		if algs, err := ReadProcCrypto(); err == nil {
			if a := Lookup(algs, name, "hash"); a != nil {
				h.size, h.bsize = a.DigestSize, a.BlockSize
			}
		}
	}
	if h.size == 0 {
		// Not listed: measure by reading a digest of nothing with a
		// buffer large enough for any digest.
		op, err := tfm.accept()
		if err != nil {
			tfm.Close()
			return nil, &Error{Op: "accept", Alg: name, Provider: ProviderKernel, Err: err}
		}
		buf := make([]byte, 256)
		n, err := op.read(buf)
		op.Close()
		if err != nil {
			tfm.Close()
			return nil, &Error{Op: "recvmsg", Alg: name, Provider: ProviderKernel, Err: err}
		}
		h.size = n
	}
	if h.bsize == 0 {
		h.bsize = 1
	}
	// Fail at construction (ENOKEY for keyed hashes without a key, ...)
	// rather than on the first Write.
	op, err := tfm.accept()
	if err != nil {
		tfm.Close()
		return nil, &Error{Op: "accept", Alg: name, Provider: ProviderKernel, Err: err}
	}
	h.op = op
	return h, nil
}

// keyError explains a setkey failure.
func keyError(name string, n int, err error) error {
	if errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("key of %d bytes is not valid for %s: %w", n, name, err)
	}
	return err
}

// keySerialError explains a ALG_SET_KEY_BY_KEY_SERIAL failure.
func keySerialError(err error) error {
	if errors.Is(err, unix.ENOPROTOOPT) {
		return fmt.Errorf("kernel lacks ALG_SET_KEY_BY_KEY_SERIAL (Linux 6.2 or later): %w", err)
	}
	if errors.Is(err, unix.ENOKEY) || errors.Is(err, unix.EKEYREVOKED) || errors.Is(err, unix.EKEYEXPIRED) {
		return fmt.Errorf("keyring key not usable: %w", err)
	}
	return err
}

func (h *kernelHash) opSocket() (*fd, error) {
	if h.op != nil {
		return h.op, nil
	}
	if h.tfm == nil {
		return nil, errors.New("use of closed hash")
	}
	op, err := h.tfm.accept()
	if err != nil {
		return nil, &Error{Op: "accept", Alg: h.name, Provider: ProviderKernel, Err: err}
	}
	h.op = op
	return op, nil
}

// Write streams p into the kernel with MSG_MORE. Unlike Go's hashes it can
// fail, if the kernel does (out of memory); the error is also kept and
// returned by every later Write.
func (h *kernelHash) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err != nil {
		return 0, h.err
	}
	op, err := h.opSocket()
	if err != nil {
		h.err = err
		return 0, err
	}
	written := 0
	for written < len(p) {
		n, err := op.send(p[written:], unix.MSG_MORE)
		if err != nil {
			h.err = &Error{Op: "sendmsg", Alg: h.name, Provider: ProviderKernel, Err: err}
			return written, h.err
		}
		written += n
	}
	return written, nil
}

// Sum appends the digest of the data written so far to b, without ending
// the stream. It panics if the kernel fails (see Write), since hash.Hash
// gives Sum no error.
func (h *kernelHash) Sum(b []byte) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, err := h.sum()
	if err != nil {
		panic(err)
	}
	return append(b, d...)
}

// sum clones the running state (accept on the operation socket) and
// finalises the original, whose read returns the digest and leaves it in
// its initial state: the clone carries the stream on, the original is kept
// for the next Reset. Two system calls, where reading from the clone and
// closing it, then closing and re-accepting on Reset, would take four.
func (h *kernelHash) sum() ([]byte, error) {
	if h.err != nil {
		return nil, h.err
	}
	op, err := h.opSocket()
	if err != nil {
		return nil, err
	}
	clone, err := op.accept()
	if err != nil {
		return nil, &Error{Op: "accept (clone)", Alg: h.name, Provider: ProviderKernel, Err: err}
	}
	d := make([]byte, h.size)
	n, err := op.read(d)
	if err != nil {
		clone.Close()
		h.err = &Error{Op: "recvmsg", Alg: h.name, Provider: ProviderKernel, Err: err}
		return nil, h.err
	}
	h.op = clone
	if h.fresh != nil {
		h.fresh.Close()
	}
	h.fresh = op
	if n != h.size {
		return nil, &Error{Op: "recvmsg", Alg: h.name, Provider: ProviderKernel, Err: fmt.Errorf("digest of %d bytes, want %d", n, h.size)}
	}
	return d, nil
}

// Reset discards the state: the next Write starts a new operation socket.
func (h *kernelHash) Reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.op != nil {
		h.op.Close()
		h.op = nil
	}
	if h.fresh != nil {
		h.op, h.fresh = h.fresh, nil
	}
	if h.tfm != nil {
		h.err = nil
	}
}

func (h *kernelHash) Size() int      { return h.size }
func (h *kernelHash) BlockSize() int { return h.bsize }

// Clone returns an independent copy of the running state (accept on the
// operation socket), with its own duplicate of the transform socket.
func (h *kernelHash) Clone() (hash.Cloner, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err != nil {
		return nil, h.err
	}
	op, err := h.opSocket()
	if err != nil {
		return nil, err
	}
	nop, err := op.accept()
	if err != nil {
		return nil, &Error{Op: "accept (clone)", Alg: h.name, Provider: ProviderKernel, Err: err}
	}
	tfm, err := h.tfm.dup()
	if err != nil {
		nop.Close()
		return nil, &Error{Op: "dup", Alg: h.name, Provider: ProviderKernel, Err: err}
	}
	c := &kernelHash{tfm: tfm, op: nop, size: h.size, bsize: h.bsize}
	c.init(Choice{Provider: ProviderKernel, Reason: h.reason, Driver: h.Driver()}, h.typ, h.name, "")
	return c, nil
}

// Close releases the sockets.
func (h *kernelHash) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var err error
	if h.op != nil {
		h.op.Close()
		h.op = nil
	}
	if h.fresh != nil {
		h.fresh.Close()
		h.fresh = nil
	}
	if h.tfm != nil {
		err = h.tfm.Close()
		h.tfm = nil
	}
	h.err = errors.New("use of closed hash")
	return err
}
