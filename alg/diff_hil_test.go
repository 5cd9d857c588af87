//go:build hil

package alg

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"
)

// Differential tests: for random keys, IVs, AAD and sizes from 0 bytes to
// several pages, the kernel path equals Go's crypto.

// diffSize picks a size in [0, 5 pages], favouring edges.
func diffSize(r *rand.Rand, unit int) int {
	var n int
	switch r.IntN(4) {
	case 0:
		n = []int{0, 1, 15, 16, 17, 63, 64, 65, 4095, 4096, 4097, 8192, 16384}[r.IntN(13)]
	case 1:
		n = r.IntN(5 * 4096)
	default:
		n = r.IntN(300)
	}
	return n / unit * unit
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	fill(r, b)
	return b
}

// nCases scales a case count by FG_ALG_CASES (a multiplier, default 1),
// for longer runs than the rig's per-package budget allows.
func nCases(n int) int {
	m := 1
	if v := os.Getenv("FG_ALG_CASES"); v != "" {
		fmt.Sscan(v, &m)
	}
	return n * max(m, 1)
}

// seed makes failures reproducible: FG_ALG_SEED overrides it.
func seed(t *testing.T) uint64 {
	s := uint64(time.Now().UnixNano())
	if v := os.Getenv("FG_ALG_SEED"); v != "" {
		fmt.Sscan(v, &s)
	}
	t.Logf("seed %d (set FG_ALG_SEED to repeat)", s)
	return s
}

func TestDifferentialHash(t *testing.T) {
	r := rand.New(rand.NewPCG(seed(t), 1))
	names := []string{"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3-256", "hmac(sha1)", "hmac(sha256)", "hmac(sha512)"}
	cases := 0
	for _, name := range names {
		for i := 0; i < nCases(80); i++ {
			var key []byte
			if strings.HasPrefix(name, "hmac(") {
				key = randBytes(r, r.IntN(200))
			}
			k, err := NewHash(name, key, ProviderKernel)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			g, _ := NewHash(name, key, ProviderGo)
			data := randBytes(r, diffSize(r, 1))
			for off := 0; off < len(data); {
				n := min(len(data)-off, 1+r.IntN(5000))
				k.Write(data[off : off+n])
				g.Write(data[off : off+n])
				off += n
				if r.IntN(4) == 0 && !bytes.Equal(k.Sum(nil), g.Sum(nil)) {
					t.Fatalf("%s: intermediate Sum differs after %d bytes", name, off)
				}
			}
			if !bytes.Equal(k.Sum(nil), g.Sum(nil)) {
				t.Fatalf("%s key %d bytes data %d bytes: kernel %x != go %x", name, len(key), len(data), k.Sum(nil), g.Sum(nil))
			}
			k.Close()
			cases++
		}
	}
	t.Logf("%d hash cases", cases)
}

func TestDifferentialSkcipher(t *testing.T) {
	r := rand.New(rand.NewPCG(seed(t), 2))
	type spec struct {
		name  string
		keys  []int
		bs    int
		calls bool // several CryptBlocks calls chain
	}
	specs := []spec{
		{"cbc(aes)", []int{16, 24, 32}, 16, true},
		{"ecb(aes)", []int{16, 24, 32}, 16, true},
		{"xts(aes)", []int{32, 64}, 16, false},
		{"cbc(des3_ede)", []int{24}, 8, true},
	}
	cases := 0
	for _, s := range specs {
		for i := 0; i < nCases(80); i++ {
			key := randBytes(r, s.keys[r.IntN(len(s.keys))])
			if s.name == "xts(aes)" {
				// The kernel rejects xts keys with equal halves only
				// in FIPS mode; random keys never have them.
			}
			ivLen := s.bs
			if s.name[:3] == "ecb" {
				ivLen = 0
			}
			iv := randBytes(r, ivLen)
			data := randBytes(r, diffSize(r, s.bs))
			for _, enc := range []bool{true, false} {
				newf := NewDecrypter
				if enc {
					newf = NewEncrypter
				}
				k, err := newf(s.name, key, iv, ProviderKernel)
				if err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				g, err := newf(s.name, key, iv, ProviderGo)
				if err != nil {
					t.Fatalf("%s go: %v", s.name, err)
				}
				kout, gout := make([]byte, len(data)), make([]byte, len(data))
				if s.calls {
					for off := 0; off < len(data); {
						n := min(len(data)-off, s.bs*(1+r.IntN(300)))
						k.CryptBlocks(kout[off:off+n], data[off:off+n])
						g.CryptBlocks(gout[off:off+n], data[off:off+n])
						off += n
					}
				} else {
					k.CryptBlocks(kout, data)
					g.CryptBlocks(gout, data)
				}
				if !bytes.Equal(kout, gout) {
					t.Fatalf("%s enc=%v key %d data %d: kernel != go", s.name, enc, len(key), len(data))
				}
				k.Close()
				cases++
			}
		}
	}
	// ctr(aes) as a Stream with arbitrary splits.
	for i := 0; i < nCases(120); i++ {
		key := randBytes(r, []int{16, 24, 32}[r.IntN(3)])
		iv := randBytes(r, 16)
		if i%5 == 0 {
			copy(iv[8:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}) // counter carry
		}
		data := randBytes(r, diffSize(r, 1))
		k, err := NewStream("ctr(aes)", key, iv, ProviderKernel)
		if err != nil {
			t.Fatal(err)
		}
		g, _ := NewStream("ctr(aes)", key, iv, ProviderGo)
		kout, gout := make([]byte, len(data)), make([]byte, len(data))
		for off := 0; off < len(data); {
			n := min(len(data)-off, 1+r.IntN(3000))
			k.XORKeyStream(kout[off:off+n], data[off:off+n])
			g.XORKeyStream(gout[off:off+n], data[off:off+n])
			off += n
		}
		if !bytes.Equal(kout, gout) {
			t.Fatalf("ctr(aes) key %d data %d: kernel != go", len(key), len(data))
		}
		k.Close()
		cases++
	}
	t.Logf("%d skcipher cases", cases)
}

func TestDifferentialAEAD(t *testing.T) {
	r := rand.New(rand.NewPCG(seed(t), 3))
	type spec struct {
		name  string
		keys  []int
		tags  []int
		nonce []int // ccm nonce sizes
		aad   []int // fixed AAD sizes (rfc4106)
	}
	specs := []spec{
		{"gcm(aes)", []int{16, 24, 32}, []int{12, 13, 14, 15, 16}, nil, nil},
		{"ccm(aes)", []int{16, 24, 32}, []int{4, 6, 8, 10, 12, 14, 16}, []int{7, 8, 10, 11, 12, 13}, nil},
		{"rfc4106(gcm(aes))", []int{20, 28, 36}, []int{12, 16}, nil, []int{8, 12}},
		{"rfc7539(chacha20,poly1305)", []int{32}, []int{16}, nil, nil},
	}
	cases, forged := 0, 0
	for _, s := range specs {
		for i := 0; i < nCases(120); i++ {
			key := randBytes(r, s.keys[r.IntN(len(s.keys))])
			tag := s.tags[r.IntN(len(s.tags))]
			var k, g AEAD
			var err error
			if s.nonce != nil {
				n := s.nonce[r.IntN(len(s.nonce))]
				k, err = NewCCM(key, tag, n, ProviderKernel)
				if err == nil {
					g, err = NewCCM(key, tag, n, ProviderGo)
				}
			} else {
				k, err = NewAEAD(s.name, key, tag, ProviderKernel)
				if err == nil {
					g, err = NewAEAD(s.name, key, tag, ProviderGo)
				}
			}
			if err != nil {
				t.Fatalf("%s key %d tag %d: %v", s.name, len(key), tag, err)
			}
			nonce := randBytes(r, k.NonceSize())
			aadLen := r.IntN(70)
			if s.aad != nil {
				aadLen = s.aad[r.IntN(len(s.aad))]
			}
			aad := randBytes(r, aadLen)
			pt := randBytes(r, diffSize(r, 1))
			kc := k.Seal(nil, nonce, pt, aad)
			gc := g.Seal(nil, nonce, pt, aad)
			if !bytes.Equal(kc, gc) {
				t.Fatalf("%s key %d tag %d aad %d pt %d: kernel Seal != go Seal", s.name, len(key), tag, len(aad), len(pt))
			}
			if out, err := k.Open(nil, nonce, gc, aad); err != nil || !bytes.Equal(out, pt) {
				t.Fatalf("%s: kernel cannot open Go's ciphertext: %v", s.name, err)
			}
			if out, err := g.Open(nil, nonce, kc, aad); err != nil || !bytes.Equal(out, pt) {
				t.Fatalf("%s: Go cannot open the kernel's ciphertext: %v", s.name, err)
			}
			// Forge: flip a bit in the ciphertext, tag or AAD.
			bad, badAAD := bytes.Clone(kc), bytes.Clone(aad)
			if len(aad) > 0 && r.IntN(3) == 0 {
				badAAD[r.IntN(len(aad))] ^= 1 << r.IntN(8)
			} else {
				bad[r.IntN(len(bad))] ^= 1 << r.IntN(8)
			}
			if out, err := k.Open(nil, nonce, bad, badAAD); !errors.Is(err, ErrAuthentication) || out != nil {
				t.Fatalf("%s: forged message: %d bytes, %v", s.name, len(out), err)
			}
			if _, err := g.Open(nil, nonce, bad, badAAD); !errors.Is(err, ErrAuthentication) {
				t.Fatalf("%s: Go accepted a forged message: %v", s.name, err)
			}
			forged++
			k.Close()
			cases++
		}
	}
	t.Logf("%d AEAD cases, %d forgeries rejected by both", cases, forged)
}
