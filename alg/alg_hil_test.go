//go:build hil

package alg

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Kernel-only tests: they need AF_ALG, which only the rig's kernel has.

// TestRawHashStream is CPython's test: "a", "b", "c" sent with MSG_MORE,
// then an empty final send, then one read, on the socket layer itself.
func TestRawHashStream(t *testing.T) {
	tfm, err := kernelSocket("hash", "sha256")
	if err != nil {
		t.Fatal(err)
	}
	defer tfm.Close()
	op, err := tfm.accept()
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	for _, s := range []string{"a", "b", "c"} {
		if n, err := op.send([]byte(s), unix.MSG_MORE); n != 1 || err != nil {
			t.Fatalf("send %q: %d, %v", s, n, err)
		}
	}
	if _, err := op.send(nil, 0); err != nil {
		t.Fatal(err)
	}
	d := make([]byte, 32)
	if n, err := op.read(d); n != 32 || err != nil {
		t.Fatalf("read: %d, %v", n, err)
	}
	if got := string(hexs(d)); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("sha256(abc) = %s", got)
	}
}

func hexs(b []byte) []byte {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return out
}

// TestCBC1024Blocks is CPython's long-message case: 1024 blocks encrypt
// and decrypt back, on the kernel and equal to Go.
func TestCBC1024Blocks(t *testing.T) {
	key := mustHex("06a9214036b8a15b512e03d534120006")
	iv := mustHex("3dafba429d9eb430b422da802c9fac41")
	msg := bytes.Repeat([]byte("Single block msg"), 1024)
	e, err := NewEncrypter("cbc(aes)", key, iv, ProviderKernel)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ct := make([]byte, len(msg))
	e.CryptBlocks(ct, msg)
	g, _ := NewEncrypter("cbc(aes)", key, iv, ProviderGo)
	want := make([]byte, len(msg))
	g.CryptBlocks(want, msg)
	if !bytes.Equal(ct, want) {
		t.Fatal("kernel cbc(aes) of 1024 blocks differs from Go")
	}
	d, err := NewDecrypter("cbc(aes)", key, iv, ProviderKernel)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.CryptBlocks(ct, ct)
	if !bytes.Equal(ct, msg) {
		t.Fatal("1024 blocks do not decrypt back")
	}
}

func TestKernelErrors(t *testing.T) {
	// sockaddr_alg limits: 13/63 bytes reach the kernel (ENOENT), 14/64
	// are rejected before it.
	_, err := kernelSocket(strings.Repeat("t", 13), "sha256")
	if !errors.Is(err, unix.ENOENT) {
		t.Errorf("13-byte unknown type: %v, want ENOENT", err)
	}
	_, err = kernelSocket("hash", strings.Repeat("n", 63))
	if !errors.Is(err, unix.ENOENT) || !errors.Is(err, ErrUnknownAlgorithm) {
		t.Errorf("63-byte unknown name: %v, want ENOENT/ErrUnknownAlgorithm", err)
	}
	if _, err = kernelSocket(strings.Repeat("t", 14), "sha256"); err == nil || errors.Is(err, unix.ENOENT) || !strings.Contains(err.Error(), "limit is 13") {
		t.Errorf("14-byte type: %v", err)
	}
	if _, err = NewHash(strings.Repeat("n", 64), nil, ProviderKernel); err == nil || !strings.Contains(err.Error(), "limit is 63") {
		t.Errorf("64-byte name: %v", err)
	}
	for _, tc := range []struct {
		name string
		f    func() error
		is   error
		want string
	}{
		{"unknown hash", func() error { _, err := NewHash("nosuchhash", nil, ProviderKernel); return err }, ErrUnknownAlgorithm, `hash algorithm "nosuchhash" not known to the kernel`},
		{"aes key", func() error {
			_, err := NewEncrypter("cbc(aes)", make([]byte, 15), make([]byte, 16), ProviderKernel)
			return err
		}, unix.EINVAL, "key of 15 bytes is not valid for cbc(aes)"},
		{"gcm key", func() error { _, err := NewAEAD("gcm(aes)", make([]byte, 17), 16, ProviderKernel); return err }, unix.EINVAL, "key of 17 bytes"},
		{"xts key", func() error {
			_, err := NewEncrypter("xts(aes)", make([]byte, 40), make([]byte, 16), ProviderKernel)
			return err
		}, unix.EINVAL, "key of 40 bytes"},
		{"iv size", func() error {
			_, err := NewEncrypter("cbc(aes)", make([]byte, 16), make([]byte, 12), ProviderKernel)
			return err
		}, nil, "IV of 12 bytes, the cipher needs 16"},
		{"hmac without key", func() error { _, err := NewHash("hmac(sha256)", nil, ProviderKernel); return err }, nil, ""},
		{"authencesn", func() error {
			_, err := NewAEAD("authencesn(hmac(sha256),cbc(aes))", make([]byte, 64), 16, ProviderKernel)
			return err
		}, ErrRefused, "CVE-2026-31431"},
	} {
		err := tc.f()
		if tc.name == "hmac without key" {
			// An empty key is a valid HMAC key.
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || (tc.is != nil && !errors.Is(err, tc.is)) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want %v and %q", tc.name, err, tc.is, tc.want)
		}
	}
}

func TestAEADAuthFailureReleasesNothing(t *testing.T) {
	a, err := NewAEAD("gcm(aes)", make([]byte, 16), 16, ProviderKernel)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	nonce := make([]byte, 12)
	pt := bytes.Repeat([]byte("secret!!"), 100)
	ct := a.Seal(nil, nonce, pt, []byte("hdr"))
	ct[5] ^= 1
	dst := make([]byte, 0, len(pt))
	out, err := a.Open(dst, nonce, ct, []byte("hdr"))
	if !errors.Is(err, ErrAuthentication) || !errors.Is(err, unix.EBADMSG) || out != nil {
		t.Fatalf("Open(tampered) = %d bytes, %v", len(out), err)
	}
	if bytes.Contains(dst[:len(pt)], []byte("secret")) {
		t.Fatal("plaintext of a forged message left in the caller's buffer")
	}
	// The socket stays usable after EBADMSG.
	ct[5] ^= 1
	if out, err := a.Open(nil, nonce, ct, []byte("hdr")); err != nil || !bytes.Equal(out, pt) {
		t.Fatalf("Open after failure: %v", err)
	}
	// Tag sizes only the kernel supports.
	for _, tag := range []int{4, 8} {
		k, err := NewAEAD("gcm(aes)", make([]byte, 16), tag, ProviderKernel)
		if err != nil {
			t.Fatalf("gcm tag %d: %v", tag, err)
		}
		c := k.Seal(nil, nonce, pt, nil)
		if len(c) != len(pt)+tag {
			t.Errorf("tag %d: %d bytes", tag, len(c))
		}
		if o, err := k.Open(nil, nonce, c, nil); err != nil || !bytes.Equal(o, pt) {
			t.Errorf("tag %d: open: %v", tag, err)
		}
		k.Close()
	}
}

func TestRNGKernel(t *testing.T) {
	// CPython: drbg_pr_sha256 seeded with 32 bytes returns 32 bytes.
	r, err := NewRNG("drbg_pr_sha256", &RNGConfig{Seed: make([]byte, 32)}, ProviderKernel)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b := make([]byte, 32)
	if n, err := r.Read(b); n != 32 || err != nil {
		t.Fatalf("Read = %d, %v", n, err)
	}
	// More than 128 bytes is split into kernel-sized reads.
	big := make([]byte, 1000)
	if n, err := r.Read(big); n != 1000 || err != nil {
		t.Fatalf("Read(1000) = %d, %v", n, err)
	}
	if bytes.Equal(big[:128], big[128:256]) || bytes.Count(big, []byte{0}) > 40 {
		t.Error("RNG output repeats or is mostly zero")
	}
	s, err := NewRNG("stdrng", nil, ProviderKernel)
	if err != nil {
		t.Fatalf("stdrng without seed: %v", err)
	}
	s.Close()
	if _, err := NewRNG("drbg_nopr_sha256", &RNGConfig{Entropy: make([]byte, 32)}, ProviderKernel); err != nil &&
		!strings.Contains(err.Error(), "CONFIG_CRYPTO_USER_API_RNG_CAVP") {
		t.Errorf("entropy input: %v", err)
	}
	// Auto with a seed needs the kernel.
	a, err := NewRNG("stdrng", &RNGConfig{Seed: []byte("x")}, ProviderAuto)
	if err != nil || a.Provider() != ProviderKernel {
		t.Fatalf("auto seeded RNG: %v", err)
	}
	a.Close()
}

func TestKeyring(t *testing.T) {
	key := []byte("Jefe")
	serial, err := unix.AddKey("user", "fieldgate-alg-test", key, unix.KEY_SPEC_PROCESS_KEYRING)
	if err != nil {
		t.Fatalf("add_key: %v", err)
	}
	h, err := NewHashKeyring("hmac(sha256)", int32(serial))
	if err != nil {
		// Linux 6.1 (the rig) predates ALG_SET_KEY_BY_KEY_SERIAL.
		if !errors.Is(err, unix.ENOPROTOOPT) || !strings.Contains(err.Error(), "Linux 6.2") {
			t.Fatalf("keyring on a pre-6.2 kernel: %v", err)
		}
		t.Logf("keyring keys: %v", err)
		return
	}
	defer h.Close()
	h.Write([]byte("what do ya want for nothing?"))
	if got := string(hexs(h.Sum(nil))); got != "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" {
		t.Errorf("keyring hmac = %s", got)
	}
}

func TestAutoOnRig(t *testing.T) {
	a, err := NewAEAD("gcm(aes)", make([]byte, 16), 16, ProviderAuto)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	algs, err := ReadProcCrypto()
	if err != nil {
		t.Fatal(err)
	}
	info := Lookup(algs, "gcm(aes)", "aead")
	if info == nil {
		t.Fatal("gcm(aes) not listed after auto probed it")
	}
	want := policy("gcm(aes)", info, true, 0)
	if a.Provider() != want.Provider || a.Reason() != want.Reason {
		t.Errorf("auto chose %s (%s), policy says %s (%s)", a.Provider(), a.Reason(), want.Provider, want.Reason)
	}
	t.Logf("auto: %s, driver %s: %s", a.Provider(), a.Driver(), a.Reason())
	// No Go implementation: auto must use the kernel.
	h, err := NewHash("crc32c", nil, ProviderAuto)
	if err != nil || h.Provider() != ProviderKernel || h.Size() != 4 {
		t.Fatalf("auto crc32c: %v", err)
	}
	h.Close()
}

func TestHashCloneKernel(t *testing.T) {
	h, err := NewHash("sha256", nil, ProviderKernel)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	h.Write([]byte("ab"))
	c, err := h.Clone()
	if err != nil {
		t.Fatal(err)
	}
	defer c.(Hash).Close()
	h.Write([]byte("c"))
	c.Write([]byte("c"))
	want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if string(hexs(h.Sum(nil))) != want || string(hexs(c.Sum(nil))) != want {
		t.Error("clone diverged")
	}
	h.Reset()
	if got := string(hexs(h.Sum(nil))); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("after Reset: %s", got)
	}
}

func mustHex(s string) []byte {
	b := make([]byte, len(s)/2)
	for i := range b {
		b[i] = unhex(s[2*i])<<4 | unhex(s[2*i+1])
	}
	return b
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - '0'
}
