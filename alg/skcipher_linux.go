//go:build linux

package alg

import (
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// skChunk is how much one sendmsg+read pair of a chained skcipher carries:
// 16 pages, libkcapi's ALG_MAX_PAGES, well inside the socket buffers.
const skChunk = 16 * 4096

// kernelSkcipher drives one AF_ALG "skcipher" operation socket. The first
// send of a message carries ALG_SET_OP and ALG_SET_IV; every send has
// MSG_MORE, so the kernel keeps the chained IV (ctx->iv) between calls.
type kernelSkcipher struct {
	describer
	mu      sync.Mutex
	tfm, op *fd
	encrypt bool
	perCall bool // xts: every call is one data unit under the current IV
	iv      []byte
	ivsize  int
	bsize   int
	chunk   int // stream granularity (/proc/crypto chunksize)
	fresh   bool
}

func (k *kernelSkcipher) open(name string, key, iv []byte, encrypt bool) error {
	tfm, err := kernelSocket("skcipher", name)
	if err != nil {
		return err
	}
	kerr := func(op string, err error) error {
		tfm.Close()
		return &Error{Op: op, Alg: name, Provider: ProviderKernel, Err: err}
	}
	if err := tfm.setBytes(unix.ALG_SET_KEY, key); err != nil {
		return kerr("setkey", keyError(name, len(key), err))
	}
	k.tfm, k.encrypt, k.ivsize, k.name = tfm, encrypt, -1, name
	if iv, bs, chunk, ok := knownSkcipher(name); ok {
		k.ivsize, k.bsize, k.chunk = iv, bs, chunk
	} else if algs, err := ReadProcCrypto(); err == nil {
		if a := Lookup(algs, name, "skcipher"); a != nil {
			k.ivsize, k.bsize, k.chunk = a.IVSize, a.BlockSize, a.ChunkSize
		}
	}
	if k.bsize == 0 {
		k.bsize = 1
	}
	if k.chunk < k.bsize {
		k.chunk = k.bsize
	}
	if err := k.setIV(iv); err != nil {
		return kerr("new", err)
	}
	op, err := tfm.accept()
	if err != nil {
		return kerr("accept", err)
	}
	op.setBuffers(4 << 20)
	k.op = op
	return nil
}

func (k *kernelSkcipher) setIV(iv []byte) error {
	if k.ivsize >= 0 && len(iv) != k.ivsize {
		return ivSizeError(len(iv), k.ivsize)
	}
	k.iv = append(k.iv[:0], iv...)
	k.fresh = true
	return nil
}

// crypt runs len(src) bytes (a multiple of the block size) through the
// kernel into dst. dst and src may be the same slice.
func (k *kernelSkcipher) crypt(dst, src []byte) error {
	if k.op == nil {
		return errors.New("use of closed cipher")
	}
	chunk := skChunk
	if k.perCall {
		chunk = len(src)
	}
	for off := 0; off < len(src); {
		n := min(chunk, len(src)-off)
		var oob []byte
		if k.fresh || k.perCall {
			op := uint32(unix.ALG_OP_DECRYPT)
			if k.encrypt {
				op = unix.ALG_OP_ENCRYPT
			}
			var iv []byte
			if len(k.iv) > 0 {
				iv = k.iv
			}
			oob = control(op, iv, -1)
		}
		sent := 0
		for sent < n {
			m, err := k.op.sendmsg([][]byte{src[off+sent : off+n]}, oob, unix.MSG_MORE)
			if err != nil {
				return &Error{Op: "sendmsg", Alg: k.name, Provider: ProviderKernel, Err: err}
			}
			oob = nil
			k.fresh = false
			sent += m
		}
		got := 0
		for got < n {
			m, err := k.op.read(dst[off+got : off+n])
			if err != nil {
				return &Error{Op: "recvmsg", Alg: k.name, Provider: ProviderKernel, Err: err}
			}
			if m == 0 {
				return &Error{Op: "recvmsg", Alg: k.name, Provider: ProviderKernel, Err: fmt.Errorf("kernel returned %d of %d bytes", got, n)}
			}
			got += m
		}
		off += n
	}
	return nil
}

func (k *kernelSkcipher) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.op != nil {
		k.op.Close()
		k.op = nil
	}
	if k.tfm != nil {
		err := k.tfm.Close()
		k.tfm = nil
		return err
	}
	return nil
}

// kernelBlockMode is a BlockMode on AF_ALG.
type kernelBlockMode struct{ kernelSkcipher }

var _ BlockMode = (*kernelBlockMode)(nil)

func newKernelBlockMode(name string, key, iv []byte, encrypt, perCall bool) (*kernelBlockMode, error) {
	m := &kernelBlockMode{}
	if err := m.open(name, key, iv, encrypt); err != nil {
		return nil, err
	}
	m.perCall = perCall
	return m, nil
}

func (m *kernelBlockMode) BlockSize() int { return m.bsize }

func (m *kernelBlockMode) SetIV(iv []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.setIV(iv)
}

// CryptBlocks panics on input that is not whole blocks (as crypto/cipher
// does) and on a kernel failure, since cipher.BlockMode has no error.
func (m *kernelBlockMode) CryptBlocks(dst, src []byte) {
	if len(src)%m.bsize != 0 {
		panic("alg: input not full blocks")
	}
	if len(dst) < len(src) {
		panic("alg: output smaller than input")
	}
	if len(src) == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.crypt(dst[:len(src)], src); err != nil {
		panic(err)
	}
}

// kernelStream is a Stream on AF_ALG. Only whole chunks go to the kernel;
// a partial tail is XORed with a keystream chunk (the encryption of zeros),
// whose unused bytes serve the next call.
type kernelStream struct {
	kernelSkcipher
	ks   []byte // keystream left over from a partial chunk
	zero []byte
}

var _ Stream = (*kernelStream)(nil)

func newKernelStream(name string, key, iv []byte) (*kernelStream, error) {
	s := &kernelStream{}
	if err := s.open(name, key, iv, true); err != nil {
		return nil, err
	}
	if s.chunk < 16 && s.ivsize >= 16 {
		// Counter modes advance per cipher block even with blocksize 1.
		s.chunk = s.ivsize
	}
	s.zero = make([]byte, s.chunk)
	return s, nil
}

func (s *kernelStream) XORKeyStream(dst, src []byte) {
	if len(dst) < len(src) {
		panic("alg: output smaller than input")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(src) > 0 && len(s.ks) > 0 {
		dst[0] = src[0] ^ s.ks[0]
		dst, src, s.ks = dst[1:], src[1:], s.ks[1:]
	}
	whole := len(src) - len(src)%s.chunk
	if whole > 0 {
		if err := s.crypt(dst[:whole], src[:whole]); err != nil {
			panic(err)
		}
		dst, src = dst[whole:], src[whole:]
	}
	if len(src) > 0 {
		ks := make([]byte, s.chunk)
		if err := s.crypt(ks, s.zero); err != nil {
			panic(err)
		}
		for i := range src {
			dst[i] = src[i] ^ ks[i]
		}
		s.ks = ks[len(src):]
	}
}
