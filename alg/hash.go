package alg

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"fmt"
	"hash"
	"io"
	"strings"
)

// A Hash is a message digest or MAC computed by a provider. Write streams
// (MSG_MORE on the kernel path), Sum does not finalise the stream (the
// kernel state is cloned through accept on the operation socket), Reset
// starts over, Clone copies the running state.
type Hash interface {
	hash.Cloner
	// Provider reports who computes: ProviderKernel or ProviderGo.
	Provider() Provider
	// Driver names the implementation (kernel driver or Go package).
	Driver() string
	// Reason says why the provider was chosen.
	Reason() string
	io.Closer
}

// NewHash returns the digest name ("sha256", "sha3-512", ...) or, with a
// key, the keyed hash name ("hmac(sha256)", "cmac(aes)", ...). Names are
// the kernel's (/proc/crypto); the Go provider knows md5, sha1, sha224,
// sha256, sha384, sha512, sha3-224/256/384/512 and hmac() of each.
func NewHash(name string, key []byte, p Provider) (Hash, error) {
	return (&Config{Provider: p}).NewHash(name, key)
}

// NewHash is the package-level NewHash with the provider and size hint of c.
func (c *Config) NewHash(name string, key []byte) (Hash, error) {
	p, hint := c.get()
	keyed := key != nil || strings.HasPrefix(name, "hmac(")
	gofn, gdrv, hasGo := goHash(name, key)
	ch, err := resolve(p, "hash", name, hasGo, hint)
	if err != nil {
		return nil, err
	}
	if ch.Provider == ProviderKernel {
		size, bs := 0, 0
		if hasGo {
			h := gofn()
			size, bs = h.Size(), h.BlockSize()
		}
		h, err := newKernelHash(name, key, keyed, size, bs)
		if err != nil {
			return nil, err
		}
		h.init(ch, "hash", name, "")
		return h, nil
	}
	h := &goHashT{Hash: gofn(), newf: gofn}
	h.init(ch, "hash", name, gdrv)
	return h, nil
}

// goDigests maps kernel digest names to Go's implementations.
var goDigests = map[string]func() hash.Hash{
	"md5":      md5.New,
	"sha1":     sha1.New,
	"sha224":   sha256.New224,
	"sha256":   sha256.New,
	"sha384":   sha512.New384,
	"sha512":   sha512.New,
	"sha3-224": func() hash.Hash { return sha3.New224() },
	"sha3-256": func() hash.Hash { return sha3.New256() },
	"sha3-384": func() hash.Hash { return sha3.New384() },
	"sha3-512": func() hash.Hash { return sha3.New512() },
}

// goHash returns a constructor for name from Go's crypto, if there is one.
func goHash(name string, key []byte) (func() hash.Hash, string, bool) {
	if inner, ok := template(name, "hmac"); ok {
		f, ok := goDigests[inner]
		if !ok {
			return nil, "", false
		}
		k := append([]byte(nil), key...)
		return func() hash.Hash { return hmac.New(f, k) }, "go:crypto/hmac(" + inner + ")", true
	}
	if key != nil {
		return nil, "", false
	}
	f, ok := goDigests[name]
	if !ok {
		return nil, "", false
	}
	return f, "go:crypto/" + name, true
}

// template splits "tmpl(inner)" and reports whether name uses tmpl.
func template(name, tmpl string) (string, bool) {
	if !strings.HasPrefix(name, tmpl+"(") || !strings.HasSuffix(name, ")") {
		return "", false
	}
	return name[len(tmpl)+1 : len(name)-1], true
}

// goHashT is the Go provider's Hash.
type goHashT struct {
	hash.Hash
	describer
	newf func() hash.Hash
}

var _ Hash = (*goHashT)(nil)

func (h *goHashT) Close() error { return nil }

// Clone returns an independent copy of the running state.
func (h *goHashT) Clone() (hash.Cloner, error) {
	c, ok := h.Hash.(hash.Cloner)
	if !ok {
		return nil, fmt.Errorf("alg: %s: Go hash cannot be cloned", h.name)
	}
	nh, err := c.Clone()
	if err != nil {
		return nil, err
	}
	out := &goHashT{Hash: nh, newf: h.newf}
	out.init(Choice{Provider: ProviderGo, Reason: h.reason}, h.typ, h.name, h.driver)
	return out, nil
}
