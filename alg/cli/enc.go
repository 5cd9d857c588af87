package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/fieldgate/fieldgate/alg"
)

// encFlags are the flags of enc and dec (kcapi-enc's, plus -key/-provider).
type encFlags struct {
	*common
	keyFlags
	iv, aad, tag, ccmNonce string
	taglen                 int
	nounpad, nopad         bool
}

func newEncFlags(cmd string, e *env) *encFlags {
	f := &encFlags{common: newCommon(cmd, "-c NAME -key HEX|-keyfd FD [-iv HEX] [-aad HEX] [FLAGS] [FILE]", e)}
	f.keyFlags.register(f.fs)
	f.fs.StringVar(&f.iv, "iv", "", "IV or nonce in `hex` (ccm: the 16-byte counter block; see -ccm-nonce)")
	f.fs.StringVar(&f.aad, "aad", "", "AEAD associated data in `hex`")
	f.fs.StringVar(&f.ccmNonce, "ccm-nonce", "", "ccm(aes) nonce in `hex` (7 to 13 bytes) instead of -iv")
	f.fs.IntVar(&f.taglen, "taglen", 16, "AEAD tag length in `bytes`")
	if cmd == "dec" {
		f.fs.StringVar(&f.tag, "tag", "", "AEAD tag in `hex` (default: the input's last -taglen bytes)")
		f.fs.BoolVar(&f.nounpad, "nounpad", false, "keep the padding of the last block")
	} else {
		f.fs.BoolVar(&f.nopad, "nopad", false, "fail on input that is not whole blocks instead of padding it")
	}
	return f
}

func runEnc(ctx context.Context, e *env, args []string) error { return crypt(e, args, true) }
func runDec(ctx context.Context, e *env, args []string) error { return crypt(e, args, false) }

// kind says how the CLI drives name: "aead", "stream" or "block".
func kind(name string) string {
	mode := name
	if i := strings.IndexByte(name, '('); i > 0 {
		mode = name[:i]
	}
	switch mode {
	case "gcm", "ccm", "rfc4106", "rfc4309", "rfc7539", "rfc7539esp", "authenc", "generic-gcm-aesni":
		return "aead"
	case "ctr", "rfc3686", "chacha20", "xchacha20", "xchacha12", "ofb", "cfb", "lrw", "cts", "salsa20":
		if mode == "lrw" || mode == "cts" {
			return "block"
		}
		return "stream"
	}
	if algs, err := alg.ReadProcCrypto(); err == nil {
		if a := alg.Lookup(algs, name, ""); a != nil {
			switch {
			case a.SocketType() == "aead":
				return "aead"
			case a.SocketType() == "skcipher" && a.BlockSize == 1:
				return "stream"
			}
		}
	}
	return "block"
}

func crypt(e *env, args []string, encrypt bool) error {
	cmd := map[bool]string{true: "enc", false: "dec"}[encrypt]
	f := newEncFlags(cmd, e)
	if err := f.parse(args); err != nil {
		return err
	}
	if err := f.requireName(); err != nil {
		return err
	}
	p, err := f.prov()
	if err != nil {
		return err
	}
	key, serial, err := f.key()
	if err != nil {
		return err
	}
	iv, err := decodeHex("-iv", f.iv)
	if err != nil {
		return err
	}
	in, done, err := f.input(e)
	if err != nil {
		return err
	}
	defer done()
	data, err := io.ReadAll(in)
	if err != nil {
		return fmt.Errorf("%s: %w", orStdin(f.in), err)
	}
	cfg := &alg.Config{Provider: p, SizeHint: len(data)}
	switch kind(f.name) {
	case "aead":
		return cryptAEAD(e, f, cfg, key, serial, iv, data, encrypt)
	case "stream":
		if serial >= 0 {
			return usageError{errors.New("-keyring is supported for hmac and AEADs only")}
		}
		s, err := cfg.NewStream(f.name, key, iv)
		if err != nil {
			return err
		}
		defer s.Close()
		f.report(e, f.name, s)
		s.XORKeyStream(data, data)
		return f.output(e, data)
	}
	if serial >= 0 {
		return usageError{errors.New("-keyring is supported for hmac and AEADs only")}
	}
	newMode := cfg.NewDecrypter
	if encrypt {
		newMode = cfg.NewEncrypter
	}
	m, err := newMode(f.name, key, iv)
	if err != nil {
		return err
	}
	defer m.Close()
	f.report(e, f.name, m)
	bs := m.BlockSize()
	if encrypt && len(data)%bs != 0 {
		if f.nopad {
			return fmt.Errorf("%s: %d bytes is not a multiple of the %d-byte block (-nopad)", orStdin(f.in), len(data), bs)
		}
		data = pad(data, bs)
	}
	if !encrypt && len(data)%bs != 0 {
		return fmt.Errorf("%s: ciphertext of %d bytes is not a multiple of the %d-byte block", orStdin(f.in), len(data), bs)
	}
	m.CryptBlocks(data, data)
	if !encrypt && !f.nounpad {
		data = unpad(data, bs)
	}
	return f.output(e, data)
}

// pad pads to whole blocks with PKCS#7 bytes, as kcapi-enc does: only
// input that is not already whole blocks is padded.
func pad(b []byte, bs int) []byte {
	n := bs - len(b)%bs
	return append(b, bytes.Repeat([]byte{byte(n)}, n)...)
}

// unpad removes kcapi-enc style padding: a last byte v below the block
// size, repeated v times.
func unpad(b []byte, bs int) []byte {
	if len(b) == 0 {
		return b
	}
	v := int(b[len(b)-1])
	if v == 0 || v >= bs || v > len(b) {
		return b
	}
	for _, c := range b[len(b)-v:] {
		if int(c) != v {
			return b
		}
	}
	return b[:len(b)-v]
}

// cryptAEAD uses kcapi-enc's layout: encryption writes AAD ‖ ciphertext ‖
// tag; decryption reads AAD ‖ ciphertext ‖ tag (or AAD ‖ ciphertext with
// -tag) and writes the plaintext.
func cryptAEAD(e *env, f *encFlags, cfg *alg.Config, key []byte, serial int32, iv []byte, data []byte, encrypt bool) error {
	p := cfg.Provider
	aad, err := decodeHex("-aad", f.aad)
	if err != nil {
		return err
	}
	nonce := iv
	var a alg.AEAD
	switch {
	case f.name == "ccm(aes)":
		if f.ccmNonce != "" {
			if nonce, err = decodeHex("-ccm-nonce", f.ccmNonce); err != nil {
				return err
			}
		} else if len(iv) == 16 && iv[0] >= 1 && iv[0] <= 7 {
			nonce = iv[1 : 15-int(iv[0])]
		} else {
			return usageError{fmt.Errorf("ccm(aes) needs -ccm-nonce or a 16-byte -iv counter block (got %d bytes)", len(iv))}
		}
		if serial >= 0 {
			return usageError{errors.New("-keyring with ccm(aes) is not supported")}
		}
		a, err = alg.NewCCM(key, f.taglen, len(nonce), p)
	case serial >= 0:
		if p == alg.ProviderGo {
			return usageError{errors.New("-keyring needs the kernel provider")}
		}
		a, err = alg.NewAEADKeyring(f.name, serial, f.taglen)
	default:
		a, err = cfg.NewAEAD(f.name, key, f.taglen)
	}
	if err != nil {
		return err
	}
	defer a.Close()
	f.report(e, f.name, a)
	if len(nonce) != a.NonceSize() {
		return usageError{fmt.Errorf("nonce/IV of %d bytes, %s needs %d", len(nonce), f.name, a.NonceSize())}
	}
	if encrypt {
		out := a.Seal(bytes.Clone(aad), nonce, data, aad)
		return f.output(e, out)
	}
	if !bytes.HasPrefix(data, aad) {
		return fmt.Errorf("%s: input does not start with the -aad bytes (expected AAD ‖ ciphertext ‖ tag)", orStdin(f.in))
	}
	data = data[len(aad):]
	if f.tag != "" {
		tag, err := decodeHex("-tag", f.tag)
		if err != nil {
			return err
		}
		data = append(data, tag...)
	}
	pt, err := a.Open(nil, nonce, data, aad)
	if err != nil {
		return err
	}
	return f.output(e, pt)
}
