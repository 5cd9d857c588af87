package alg

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
	"slices"

	"golang.org/x/crypto/chacha20poly1305"
)

// An AEAD is authenticated encryption with associated data computed by a
// provider. Open returns an error matching ErrAuthentication (and no
// plaintext) when the tag does not verify.
type AEAD interface {
	cipher.AEAD
	// Provider reports who computes: ProviderKernel or ProviderGo.
	Provider() Provider
	// Driver names the implementation (kernel driver or Go package).
	Driver() string
	// Reason says why the provider was chosen.
	Reason() string
	io.Closer
}

// aeadKind is what this package knows about one AEAD name: its nonce, how
// a nonce becomes the kernel's IV, which tag sizes are valid.
type aeadKind struct {
	name      string
	nonceSize int   // 0: the kernel's ivsize
	tags      []int // valid tag sizes, nil: the kernel decides
	ccm       bool  // kernel IV is the CCM counter block A_0
	ivInAAD   bool  // rfc4106: the IV follows the AAD (assoclen + 8)
	aadSizes  []int // rfc4106: 8 or 12 (IPsec ESP)
	saltSize  int   // rfc4106: key ends with a 4-byte salt
	newGo     func(key []byte, tag, nonce int) (cipher.AEAD, error)
}

var gcmTags = []int{4, 8, 12, 13, 14, 15, 16}

func aeadKinds(name string, nonceSize int) aeadKind {
	switch name {
	case "gcm(aes)":
		return aeadKind{name: name, nonceSize: 12, tags: gcmTags, newGo: newGoGCM}
	case "ccm(aes)":
		return aeadKind{name: name, nonceSize: nonceSize, tags: []int{4, 6, 8, 10, 12, 14, 16}, ccm: true, newGo: newGoCCM}
	case "rfc4106(gcm(aes))":
		return aeadKind{name: name, nonceSize: 8, tags: []int{8, 12, 16}, ivInAAD: true, aadSizes: []int{8, 12}, saltSize: 4, newGo: newGoRFC4106}
	case "rfc7539(chacha20,poly1305)":
		return aeadKind{name: name, nonceSize: 12, tags: []int{16}, newGo: newGoChaChaPoly}
	}
	return aeadKind{name: name}
}

// NewAEAD returns the AEAD name with key and tagSize (0 means 16):
// "gcm(aes)" (nonce 12), "ccm(aes)" (nonce 12; see NewCCM for others),
// "rfc4106(gcm(aes))" (key ‖ 4-byte salt, nonce 8, associated data of 8 or
// 12 bytes as in IPsec ESP), "rfc7539(chacha20,poly1305)" (nonce 12, tag
// 16), or, with the kernel provider, any other AEAD in /proc/crypto (the
// nonce is then the kernel's IV as is). authencesn is refused.
func NewAEAD(name string, key []byte, tagSize int, p Provider) (AEAD, error) {
	return newAEAD(aeadKinds(name, 12), key, tagSize, p, 0)
}

// NewAEAD is the package-level NewAEAD with the provider and size hint of c.
func (c *Config) NewAEAD(name string, key []byte, tagSize int) (AEAD, error) {
	p, hint := c.get()
	return newAEAD(aeadKinds(name, 12), key, tagSize, p, hint)
}

// NewCCM returns ccm(aes) with a nonce of nonceSize bytes (7 to 13; the
// length field takes the other 15-nonceSize bytes of the counter block).
func NewCCM(key []byte, tagSize, nonceSize int, p Provider) (AEAD, error) {
	if nonceSize < 7 || nonceSize > 13 {
		return nil, &Error{Op: "new", Alg: "ccm(aes)", Err: fmt.Errorf("ccm nonce size %d is not in 7..13", nonceSize)}
	}
	return newAEAD(aeadKinds("ccm(aes)", nonceSize), key, tagSize, p, 0)
}

func newAEAD(k aeadKind, key []byte, tagSize int, p Provider, hint int) (AEAD, error) {
	if tagSize == 0 {
		tagSize = 16
	}
	if tagSize < 0 || (k.tags != nil && !slices.Contains(k.tags, tagSize)) {
		return nil, &Error{Op: "new", Alg: k.name, Err: fmt.Errorf("tag size %d is not valid (want one of %v)", tagSize, k.tags)}
	}
	c, err := resolve(p, "aead", k.name, k.newGo != nil, hint)
	if err != nil {
		return nil, err
	}
	if c.Provider == ProviderKernel {
		a, err := newKernelAEAD(k, key, tagSize)
		if err != nil {
			return nil, err
		}
		a.init(c, "aead", k.name, "")
		return a, nil
	}
	g, err := k.newGo(key, tagSize, k.nonceSize)
	if err != nil {
		return nil, &Error{Op: "new", Alg: k.name, Provider: ProviderGo, Err: err}
	}
	a := &goAEAD{AEAD: g, kind: k}
	a.init(c, "aead", k.name, fmt.Sprintf("go:%T", g))
	return a, nil
}

func newGoGCM(key []byte, tag, _ int) (cipher.AEAD, error) {
	b, err := goBlockCiphers["aes"](key)
	if err != nil {
		return nil, err
	}
	if tag < 12 {
		return nil, fmt.Errorf("Go's GCM supports tag sizes 12 to 16; tag size %d needs the kernel provider", tag)
	}
	return cipher.NewGCMWithTagSize(b, tag)
}

func newGoCCM(key []byte, tag, nonce int) (cipher.AEAD, error) {
	b, err := goBlockCiphers["aes"](key)
	if err != nil {
		return nil, err
	}
	return newCCM(b, tag, nonce)
}

func newGoChaChaPoly(key []byte, tag, _ int) (cipher.AEAD, error) {
	if len(key) != chacha20poly1305.KeySize {
		return nil, fmt.Errorf("key of %d bytes is not valid for chacha20-poly1305 (32)", len(key))
	}
	return chacha20poly1305.New(key)
}

// rfc4106 is GCM with a 4-byte salt from the key and an 8-byte nonce.
type rfc4106 struct {
	gcm  cipher.AEAD
	salt [4]byte
}

func newGoRFC4106(key []byte, tag, _ int) (cipher.AEAD, error) {
	if len(key) != 20 && len(key) != 28 && len(key) != 36 {
		return nil, fmt.Errorf("key of %d bytes is not valid for rfc4106 (an aes key of 16, 24 or 32 bytes and a 4-byte salt)", len(key))
	}
	b, _ := aes.NewCipher(key[:len(key)-4])
	g, err := cipher.NewGCMWithTagSize(b, max(tag, 12))
	if err != nil {
		return nil, err
	}
	if tag < 12 {
		return nil, fmt.Errorf("Go's GCM supports tag sizes 12 to 16; tag size %d needs the kernel provider", tag)
	}
	r := &rfc4106{gcm: g}
	copy(r.salt[:], key[len(key)-4:])
	return r, nil
}

func (r *rfc4106) NonceSize() int { return 8 }
func (r *rfc4106) Overhead() int  { return r.gcm.Overhead() }
func (r *rfc4106) nonce(n []byte) []byte {
	if len(n) != 8 {
		panic("alg: incorrect nonce length given to rfc4106")
	}
	return append(r.salt[:4:4], n...)
}
func (r *rfc4106) Seal(dst, nonce, plaintext, aad []byte) []byte {
	return r.gcm.Seal(dst, r.nonce(nonce), plaintext, aad)
}
func (r *rfc4106) Open(dst, nonce, ciphertext, aad []byte) ([]byte, error) {
	return r.gcm.Open(dst, r.nonce(nonce), ciphertext, aad)
}

// goAEAD is the Go provider's AEAD: checks the package's rules (rfc4106's
// AAD sizes) and maps authentication failures to ErrAuthentication.
type goAEAD struct {
	cipher.AEAD
	describer
	kind aeadKind
}

var _ AEAD = (*goAEAD)(nil)

func (a *goAEAD) Seal(dst, nonce, plaintext, aad []byte) []byte {
	if a.kind.aadSizes != nil && !slices.Contains(a.kind.aadSizes, len(aad)) {
		panic(fmt.Sprintf("alg: %s needs associated data of %v bytes, got %d", a.kind.name, a.kind.aadSizes, len(aad)))
	}
	return a.AEAD.Seal(dst, nonce, plaintext, aad)
}

func (a *goAEAD) Open(dst, nonce, ciphertext, aad []byte) ([]byte, error) {
	if a.kind.aadSizes != nil && !slices.Contains(a.kind.aadSizes, len(aad)) {
		return nil, &Error{Op: "open", Alg: a.kind.name, Provider: ProviderGo, Err: fmt.Errorf("associated data of %d bytes, want one of %v", len(aad), a.kind.aadSizes)}
	}
	out, err := a.AEAD.Open(dst, nonce, ciphertext, aad)
	if err != nil {
		if errors.Is(err, ErrAuthentication) || err.Error() == "cipher: message authentication failed" || err.Error() == "chacha20poly1305: message authentication failed" {
			return nil, &Error{Op: "open", Alg: a.kind.name, Provider: ProviderGo, Err: ErrAuthentication}
		}
		return nil, &Error{Op: "open", Alg: a.kind.name, Provider: ProviderGo, Err: err}
	}
	return out, nil
}

func (a *goAEAD) Close() error { return nil }
