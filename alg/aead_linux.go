//go:build linux

package alg

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// kernelAEAD is an AEAD on one AF_ALG "aead" operation socket. Each Seal or
// Open is one sendmsg (ALG_SET_OP, ALG_SET_IV and ALG_SET_AEAD_ASSOCLEN
// control messages; AAD and text gathered) and one readv (the AAD space
// into scratch, the result straight into the caller's buffer).
type kernelAEAD struct {
	describer
	mu      sync.Mutex
	kind    aeadKind
	tfm, op *fd
	tag     int
	nonce   int
	scratch []byte
	maxMsg  int
}

var _ AEAD = (*kernelAEAD)(nil)

func newKernelAEAD(k aeadKind, key []byte, tag int) (*kernelAEAD, error) {
	return openKernelAEAD(k, tag, func(tfm *fd) error {
		if err := tfm.setBytes(unix.ALG_SET_KEY, key); err != nil {
			return keyError(k.name, len(key), err)
		}
		return nil
	})
}

func newKernelAEADKeyring(k aeadKind, serial int32, tag int) (*kernelAEAD, error) {
	return openKernelAEAD(k, tag, func(tfm *fd) error {
		if err := tfm.setKeySerial(serial); err != nil {
			return keySerialError(err)
		}
		return nil
	})
}

func openKernelAEAD(k aeadKind, tag int, setkey func(*fd) error) (*kernelAEAD, error) {
	tfm, err := kernelSocket("aead", k.name)
	if err != nil {
		return nil, err
	}
	kerr := func(op string, err error) error {
		tfm.Close()
		return &Error{Op: op, Alg: k.name, Provider: ProviderKernel, Err: err}
	}
	// Key and auth size go on the bound socket, before accept; the auth
	// size is the optlen of a NULL value.
	if err := setkey(tfm); err != nil {
		return nil, kerr("setkey", err)
	}
	if err := tfm.setNull(unix.ALG_SET_AEAD_AUTHSIZE, tag); err != nil {
		if errors.Is(err, unix.EINVAL) {
			err = fmt.Errorf("tag size %d is not valid for %s: %w", tag, k.name, err)
		}
		return nil, kerr("setauthsize", err)
	}
	a := &kernelAEAD{kind: k, tfm: tfm, tag: tag, nonce: k.nonceSize}
	if a.nonce == 0 {
		a.nonce = -1
		if algs, err := ReadProcCrypto(); err == nil {
			if info := Lookup(algs, k.name, "aead"); info != nil {
				a.nonce = info.IVSize
			}
		}
		if a.nonce < 0 {
			return nil, kerr("new", fmt.Errorf("IV size of %s not found in %s", k.name, ProcCryptoPath))
		}
	}
	op, err := tfm.accept()
	if err != nil {
		return nil, kerr("accept", err)
	}
	op.setBuffers(4 << 20)
	a.op = op
	// One message must fit the send buffer whole (no MSG_MORE: the kernel
	// needs all of it before it can run), less the kernel's page rounding,
	// and its scatterlists must fit the socket's option memory.
	a.maxMsg = min(op.sndbuf()/2-4096, optmemLimit())
	return a, nil
}

// optmemLimit estimates the largest AEAD message whose scatterlists fit
// net.core.optmem_max: about 4 KiB of sock_kmalloc per 504 KiB of input
// (af_alg_tsgl) plus 700 bytes per 64 KiB of output (af_alg_rsgl), taken
// twice for safety. With the default 20480 that is about 480 KiB; above it
// recvmsg fails with ENOMEM (measured on the rig at 1 MiB).
func optmemLimit() int {
	optmem := 20480
	if b, err := os.ReadFile("/proc/sys/net/core/optmem_max"); err == nil {
		if v, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && v > 0 {
			optmem = v
		}
	}
	perMiB := 2 * (4096*2 + 700*16) // bytes of optmem per MiB, doubled
	return (optmem - 2048) * (1 << 20) / perMiB
}

// MaxMessage is the largest AAD plus text one Seal or Open can carry on
// this socket; larger messages panic in Seal and fail in Open.
func (a *kernelAEAD) MaxMessage() int { return a.maxMsg }

func (a *kernelAEAD) NonceSize() int { return a.nonce }
func (a *kernelAEAD) Overhead() int  { return a.tag }

// iv converts a caller's nonce into the kernel's IV.
func (a *kernelAEAD) iv(nonce []byte) []byte {
	if len(nonce) != a.nonce {
		panic(fmt.Sprintf("alg: incorrect nonce length given to %s: %d, want %d", a.kind.name, len(nonce), a.nonce))
	}
	if a.kind.ccm {
		iv := ccmCounterBlock(nonce)
		return iv[:]
	}
	return nonce
}

func (a *kernelAEAD) checkAAD(aad []byte) error {
	if a.kind.aadSizes != nil && !slices.Contains(a.kind.aadSizes, len(aad)) {
		return fmt.Errorf("associated data of %d bytes, want one of %v", len(aad), a.kind.aadSizes)
	}
	return nil
}

// run does one operation; out receives the result after the AAD region.
func (a *kernelAEAD) run(op uint32, nonce, aad, in, out []byte) error {
	if a.op == nil {
		return errors.New("use of closed AEAD")
	}
	iv := a.iv(nonce)
	bufs := [][]byte{aad, in}
	assoclen := len(aad)
	if a.kind.ivInAAD {
		bufs = [][]byte{aad, nonce, in}
		assoclen += len(nonce)
	}
	total := assoclen + len(in)
	if total > a.maxMsg {
		return fmt.Errorf("message of %d bytes exceeds the socket's %d-byte limit (raise net.core.optmem_max and net.core.wmem_max, or run with CAP_NET_ADMIN)", total, a.maxMsg)
	}
	n, err := a.op.sendmsg(bufs, control(op, iv, assoclen), unix.MSG_DONTWAIT)
	if err != nil {
		return &Error{Op: "sendmsg", Alg: a.kind.name, Provider: ProviderKernel, Err: err}
	}
	if n != total {
		return &Error{Op: "sendmsg", Alg: a.kind.name, Provider: ProviderKernel, Err: fmt.Errorf("kernel took %d of %d bytes", n, total)}
	}
	if cap(a.scratch) < assoclen {
		a.scratch = make([]byte, assoclen)
	}
	// A pad byte keeps the read non-empty when there is no AAD and no
	// output (empty plaintext): recvmsg with no buffer space returns 0
	// without running the operation, so the tag would go unchecked.
	// Only then: a larger buffer makes the kernel loop for more output.
	var pad []byte
	if assoclen+len(out) == 0 {
		pad = make([]byte, 1)
	}
	n, err = a.op.read(a.scratch[:assoclen], out, pad)
	if err != nil {
		return &Error{Op: "recvmsg", Alg: a.kind.name, Provider: ProviderKernel, Err: err}
	}
	if n != assoclen+len(out) {
		return &Error{Op: "recvmsg", Alg: a.kind.name, Provider: ProviderKernel, Err: fmt.Errorf("kernel returned %d bytes, want %d", n, assoclen+len(out))}
	}
	return nil
}

// Seal panics on misuse (wrong nonce length, rfc4106 AAD size) as
// crypto/cipher does, and on a kernel failure, since cipher.AEAD gives it
// no error.
func (a *kernelAEAD) Seal(dst, nonce, plaintext, aad []byte) []byte {
	if err := a.checkAAD(aad); err != nil {
		panic("alg: " + a.kind.name + ": " + err.Error())
	}
	ret, out := sliceForAppend(dst, len(plaintext)+a.tag)
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.run(unix.ALG_OP_ENCRYPT, nonce, aad, plaintext, out); err != nil {
		a.resetOp()
		panic(err)
	}
	return ret
}

// Open returns an error matching ErrAuthentication on a tag mismatch
// (EBADMSG); the output buffer is then wiped, since the kernel decrypts
// into it before it verifies.
func (a *kernelAEAD) Open(dst, nonce, ciphertext, aad []byte) ([]byte, error) {
	if err := a.checkAAD(aad); err != nil {
		return nil, &Error{Op: "open", Alg: a.kind.name, Provider: ProviderKernel, Err: err}
	}
	if len(ciphertext) < a.tag {
		return nil, &Error{Op: "open", Alg: a.kind.name, Provider: ProviderKernel, Err: fmt.Errorf("%w (ciphertext of %d bytes is shorter than the %d-byte tag)", ErrAuthentication, len(ciphertext), a.tag)}
	}
	ret, out := sliceForAppend(dst, len(ciphertext)-a.tag)
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.run(unix.ALG_OP_DECRYPT, nonce, aad, ciphertext, out); err != nil {
		clear(out)
		if isBadMsg(err) {
			return nil, &Error{Op: "open", Alg: a.kind.name, Provider: ProviderKernel, Err: authError{err}}
		}
		a.resetOp()
		return nil, err
	}
	return ret, nil
}

// resetOp replaces the operation socket after a failure, so data the
// kernel may still hold cannot leak into the next message.
func (a *kernelAEAD) resetOp() {
	if a.op == nil || a.tfm == nil {
		return
	}
	a.op.Close()
	a.op = nil
	if op, err := a.tfm.accept(); err == nil {
		op.setBuffers(4 << 20)
		a.op = op
	}
}

// authError is ErrAuthentication that also unwraps to the kernel's EBADMSG.
type authError struct{ errno error }

func (e authError) Error() string   { return ErrAuthentication.Error() }
func (e authError) Unwrap() []error { return []error{ErrAuthentication, e.errno} }

func (a *kernelAEAD) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.op != nil {
		a.op.Close()
		a.op = nil
	}
	if a.tfm != nil {
		err := a.tfm.Close()
		a.tfm = nil
		return err
	}
	return nil
}
