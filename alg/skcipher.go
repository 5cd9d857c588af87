package alg

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"fmt"
	"io"
	"strings"
)

// A BlockMode is a block cipher mode (cbc, ecb, xts, ...) computed by a
// provider. Successive CryptBlocks calls continue one message (the IV is
// chained), except for xts, where each call is one data unit (sector)
// encrypted under the current IV. SetIV starts a new message.
type BlockMode interface {
	cipher.BlockMode
	// SetIV starts a new message (or xts data unit) with iv.
	SetIV(iv []byte) error
	Provider() Provider
	Driver() string
	Reason() string
	io.Closer
}

// A Stream is a stream cipher or stream mode (ctr(aes), chacha20, ...)
// computed by a provider. XORKeyStream may be called with any lengths; the
// keystream continues across calls.
type Stream interface {
	cipher.Stream
	Provider() Provider
	Driver() string
	Reason() string
	io.Closer
}

// NewEncrypter returns a BlockMode that encrypts with the skcipher name
// ("cbc(aes)", "ecb(aes)", "xts(aes)", "cbc(des3_ede)", ...).
func NewEncrypter(name string, key, iv []byte, p Provider) (BlockMode, error) {
	return newBlockMode(name, key, iv, true, p, 0)
}

// NewEncrypter is the package-level NewEncrypter with c's settings.
func (c *Config) NewEncrypter(name string, key, iv []byte) (BlockMode, error) {
	p, hint := c.get()
	return newBlockMode(name, key, iv, true, p, hint)
}

// NewDecrypter is the package-level NewDecrypter with c's settings.
func (c *Config) NewDecrypter(name string, key, iv []byte) (BlockMode, error) {
	p, hint := c.get()
	return newBlockMode(name, key, iv, false, p, hint)
}

// NewDecrypter returns a BlockMode that decrypts with the skcipher name.
func NewDecrypter(name string, key, iv []byte, p Provider) (BlockMode, error) {
	return newBlockMode(name, key, iv, false, p, 0)
}

// NewStream returns a Stream for the skcipher name ("ctr(aes)", ...).
// Encryption and decryption are the same operation.
func NewStream(name string, key, iv []byte, p Provider) (Stream, error) {
	return (&Config{Provider: p}).NewStream(name, key, iv)
}

// NewStream is the package-level NewStream with c's settings.
func (cfg *Config) NewStream(name string, key, iv []byte) (Stream, error) {
	p, hint := cfg.get()
	mode, inner := splitMode(name)
	newBlock, hasBlock := goBlockCiphers[inner]
	hasGo := mode == "ctr" && hasBlock
	c, err := resolve(p, "skcipher", name, hasGo, hint)
	if err != nil {
		return nil, err
	}
	if c.Provider == ProviderKernel {
		s, err := newKernelStream(name, key, iv)
		if err != nil {
			return nil, err
		}
		s.init(c, "skcipher", name, "")
		return s, nil
	}
	b, err := newBlock(key)
	if err != nil {
		return nil, &Error{Op: "new", Alg: name, Provider: ProviderGo, Err: err}
	}
	if len(iv) != b.BlockSize() {
		return nil, &Error{Op: "new", Alg: name, Provider: ProviderGo, Err: ivSizeError(len(iv), b.BlockSize())}
	}
	s := &goStream{Stream: cipher.NewCTR(b, iv)}
	s.init(c, "skcipher", name, "go:crypto/cipher.NewCTR("+inner+")")
	return s, nil
}

func ivSizeError(got, want int) error {
	return fmt.Errorf("IV of %d bytes, the cipher needs %d", got, want)
}

// goBlockCiphers are the block ciphers Go provides, by kernel name.
var goBlockCiphers = map[string]func(key []byte) (cipher.Block, error){
	"aes": func(k []byte) (cipher.Block, error) {
		switch len(k) {
		case 16, 24, 32:
			return aes.NewCipher(k)
		}
		return nil, fmt.Errorf("key of %d bytes is not valid for aes (16, 24 or 32)", len(k))
	},
	"des3_ede": func(k []byte) (cipher.Block, error) {
		if len(k) != 24 {
			return nil, fmt.Errorf("key of %d bytes is not valid for des3_ede (24)", len(k))
		}
		return des.NewTripleDESCipher(k)
	},
	"des": func(k []byte) (cipher.Block, error) {
		if len(k) != 8 {
			return nil, fmt.Errorf("key of %d bytes is not valid for des (8)", len(k))
		}
		return des.NewCipher(k)
	},
}

// knownSkcipher returns the IV size, block size and chunk size of the
// modes this package knows, sparing a /proc/crypto read.
func knownSkcipher(name string) (ivsize, bsize, chunk int, ok bool) {
	mode, inner := splitMode(name)
	bs := map[string]int{"aes": 16, "des3_ede": 8, "des": 8}[inner]
	if bs == 0 {
		return 0, 0, 0, false
	}
	switch mode {
	case "cbc":
		return bs, bs, bs, true
	case "xts":
		return bs, bs, bs, bs == 16
	case "ecb":
		return 0, bs, bs, true
	case "ctr":
		return bs, 1, bs, true
	}
	return 0, 0, 0, false
}

// splitMode splits "mode(inner)"; a name without a template is returned as
// inner with an empty mode.
func splitMode(name string) (mode, inner string) {
	i := strings.IndexByte(name, '(')
	if i <= 0 || !strings.HasSuffix(name, ")") {
		return "", name
	}
	return name[:i], name[i+1 : len(name)-1]
}

func newBlockMode(name string, key, iv []byte, encrypt bool, p Provider, hint int) (BlockMode, error) {
	mode, inner := splitMode(name)
	newBlock, hasBlock := goBlockCiphers[inner]
	hasGo := hasBlock && (mode == "cbc" || mode == "ecb" || mode == "xts")
	c, err := resolve(p, "skcipher", name, hasGo, hint)
	if err != nil {
		return nil, err
	}
	if c.Provider == ProviderKernel {
		m, err := newKernelBlockMode(name, key, iv, encrypt, mode == "xts")
		if err != nil {
			return nil, err
		}
		m.init(c, "skcipher", name, "")
		return m, nil
	}
	gerr := func(err error) error { return &Error{Op: "new", Alg: name, Provider: ProviderGo, Err: err} }
	var m goBlockMode
	m.encrypt = encrypt
	m.mode = mode
	switch mode {
	case "xts":
		if len(key)%2 != 0 {
			return nil, gerr(fmt.Errorf("xts key of %d bytes is not two equal halves", len(key)))
		}
		k1, err := newBlock(key[:len(key)/2])
		if err != nil {
			return nil, gerr(fmt.Errorf("xts key of %d bytes: %w", len(key), err))
		}
		k2, _ := newBlock(key[len(key)/2:])
		if k1.BlockSize() != 16 {
			return nil, gerr(fmt.Errorf("xts needs a 16-byte block cipher"))
		}
		m.xts = &xts{k1: k1, k2: k2}
		m.block = k1
	default:
		b, err := newBlock(key)
		if err != nil {
			return nil, gerr(err)
		}
		m.block = b
	}
	if err := m.SetIV(iv); err != nil {
		return nil, gerr(err)
	}
	m.init(c, "skcipher", name, "go:crypto/cipher("+name+")")
	return &m, nil
}

// goBlockMode is the Go provider's BlockMode: crypto/cipher's CBC, or this
// package's ECB and XTS.
type goBlockMode struct {
	describer
	encrypt bool
	mode    string
	block   cipher.Block
	cbc     cipher.BlockMode
	xts     *xts
	iv      []byte
}

var _ BlockMode = (*goBlockMode)(nil)

func (m *goBlockMode) SetIV(iv []byte) error {
	bs := m.block.BlockSize()
	switch m.mode {
	case "ecb":
		if len(iv) != 0 {
			return ivSizeError(len(iv), 0)
		}
		return nil
	case "cbc", "xts":
		if len(iv) != bs {
			return ivSizeError(len(iv), bs)
		}
	}
	m.iv = append(m.iv[:0], iv...)
	if m.mode == "cbc" {
		if m.encrypt {
			m.cbc = cipher.NewCBCEncrypter(m.block, iv)
		} else {
			m.cbc = cipher.NewCBCDecrypter(m.block, iv)
		}
	}
	return nil
}

func (m *goBlockMode) BlockSize() int { return m.block.BlockSize() }

func (m *goBlockMode) CryptBlocks(dst, src []byte) {
	bs := m.block.BlockSize()
	if len(src)%bs != 0 {
		panic("alg: input not full blocks")
	}
	if len(dst) < len(src) {
		panic("alg: output smaller than input")
	}
	switch m.mode {
	case "cbc":
		m.cbc.CryptBlocks(dst, src)
	case "xts":
		m.xts.crypt(dst, src, m.iv, m.encrypt)
	default:
		for i := 0; i < len(src); i += bs {
			if m.encrypt {
				m.block.Encrypt(dst[i:i+bs], src[i:i+bs])
			} else {
				m.block.Decrypt(dst[i:i+bs], src[i:i+bs])
			}
		}
	}
}

func (m *goBlockMode) Close() error { return nil }

// goStream is the Go provider's Stream.
type goStream struct {
	cipher.Stream
	describer
}

func (s *goStream) Close() error { return nil }
