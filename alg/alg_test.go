package alg

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	xxts "golang.org/x/crypto/xts"
)

func TestCheckSockaddr(t *testing.T) {
	for _, tc := range []struct {
		typ, name string
		ok        bool
		want      string
	}{
		{strings.Repeat("t", 13), strings.Repeat("n", 63), true, ""},
		{strings.Repeat("t", 14), "sha256", false, "is 14 bytes, the limit is 13"},
		{"hash", strings.Repeat("n", 64), false, "is 64 bytes, the limit is 63"},
		{"", "sha256", false, "empty AF_ALG type"},
		{"hash", "", false, "empty algorithm name"},
		{"hash", "sha\x00256", false, "NUL byte"},
	} {
		err := checkSockaddr(tc.typ, tc.name)
		if tc.ok != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("checkSockaddr(%q, %q) = %v, want %q", tc.typ, tc.name, err, tc.want)
		}
	}
}

func TestRefusesAuthencesn(t *testing.T) {
	for _, p := range []Provider{ProviderKernel, ProviderAuto, ProviderGo} {
		_, err := NewAEAD("authencesn(hmac(sha256),cbc(aes))", make([]byte, 64), 16, p)
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "CVE-2026-31431") {
			t.Errorf("provider %s: authencesn not refused: %v", p, err)
		}
	}
}

func TestGoProviderErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func() error
		want string
	}{
		{"unknown hash", func() error { _, err := NewHash("whirlpool", nil, ProviderGo); return err }, `no Go implementation of hash algorithm "whirlpool"`},
		{"aes key", func() error {
			_, err := NewEncrypter("cbc(aes)", make([]byte, 15), make([]byte, 16), ProviderGo)
			return err
		}, "key of 15 bytes is not valid for aes"},
		{"iv size", func() error {
			_, err := NewEncrypter("cbc(aes)", make([]byte, 16), make([]byte, 8), ProviderGo)
			return err
		}, "IV of 8 bytes, the cipher needs 16"},
		{"gcm key", func() error { _, err := NewAEAD("gcm(aes)", make([]byte, 17), 16, ProviderGo); return err }, "key of 17 bytes is not valid for aes"},
		{"gcm tag", func() error { _, err := NewAEAD("gcm(aes)", make([]byte, 16), 7, ProviderGo); return err }, "tag size 7 is not valid"},
		{"gcm short tag", func() error { _, err := NewAEAD("gcm(aes)", make([]byte, 16), 8, ProviderGo); return err }, "needs the kernel provider"},
		{"chacha tag", func() error {
			_, err := NewAEAD("rfc7539(chacha20,poly1305)", make([]byte, 32), 12, ProviderGo)
			return err
		}, "tag size 12 is not valid"},
		{"rfc4106 key", func() error { _, err := NewAEAD("rfc4106(gcm(aes))", make([]byte, 16), 16, ProviderGo); return err }, "an aes key of 16, 24 or 32 bytes and a 4-byte salt"},
		{"xts key", func() error {
			_, err := NewEncrypter("xts(aes)", make([]byte, 33), make([]byte, 16), ProviderGo)
			return err
		}, "not two equal halves"},
		{"provider", func() error { _, err := NewHash("sha256", nil, "gpu"); return err }, `unknown provider "gpu"`},
		{"ccm nonce", func() error { _, err := NewCCM(make([]byte, 16), 16, 6, ProviderGo); return err }, "ccm nonce size 6"},
		{"rng seed", func() error { _, err := NewRNG("stdrng", &RNGConfig{Seed: []byte{1}}, ProviderGo); return err }, "no Go implementation"},
	} {
		err := tc.f()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestXTSMatchesXCrypto(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		key := make([]byte, []int{32, 64}[i%2])
		fill(r, key)
		sector := r.Uint64()
		data := make([]byte, 16*(1+r.IntN(64)))
		fill(r, data)
		ref, err := xxts.NewCipher(aes.NewCipher, key)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]byte, len(data))
		ref.Encrypt(want, data, sector)
		iv := make([]byte, 16)
		for j := 0; j < 8; j++ {
			iv[j] = byte(sector >> (8 * j))
		}
		e, err := NewEncrypter("xts(aes)", key, iv, ProviderGo)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(data))
		e.CryptBlocks(got, data)
		if !bytes.Equal(got, want) {
			t.Fatalf("xts case %d differs from x/crypto/xts", i)
		}
		d, _ := NewDecrypter("xts(aes)", key, iv, ProviderGo)
		d.CryptBlocks(got, got)
		if !bytes.Equal(got, data) {
			t.Fatalf("xts case %d does not decrypt", i)
		}
	}
}

func TestRFC4106IsSaltedGCM(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 100; i++ {
		key := make([]byte, 16+4)
		fill(r, key)
		nonce := make([]byte, 8)
		fill(r, nonce)
		aad := make([]byte, []int{8, 12}[i%2])
		fill(r, aad)
		pt := make([]byte, r.IntN(300))
		fill(r, pt)
		a, err := NewAEAD("rfc4106(gcm(aes))", key, 16, ProviderGo)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := aes.NewCipher(key[:16])
		g, _ := cipher.NewGCM(b)
		want := g.Seal(nil, append(key[16:20:20], nonce...), pt, aad)
		if got := a.Seal(nil, nonce, pt, aad); !bytes.Equal(got, want) {
			t.Fatalf("case %d: rfc4106 != gcm(salt||nonce)", i)
		}
		if _, err := a.Open(nil, nonce, want, aad[:4]); err == nil || !strings.Contains(err.Error(), "associated data of 4 bytes") {
			t.Fatalf("rfc4106 accepted 4 bytes of AAD: %v", err)
		}
	}
}

func TestCCMRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 300; i++ {
		key := make([]byte, []int{16, 24, 32}[i%3])
		fill(r, key)
		n := 7 + i%7
		tag := 4 + 2*(i%7)
		a, err := NewCCM(key, tag, n, ProviderGo)
		if err != nil {
			t.Fatal(err)
		}
		nonce := make([]byte, n)
		fill(r, nonce)
		aad := make([]byte, r.IntN(70000)*(i%5/4)+r.IntN(40))
		fill(r, aad)
		pt := make([]byte, r.IntN(600))
		fill(r, pt)
		ct := a.Seal(nil, nonce, pt, aad)
		if len(ct) != len(pt)+tag {
			t.Fatalf("ciphertext length %d", len(ct))
		}
		got, err := a.Open(nil, nonce, ct, aad)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("case %d: open: %v", i, err)
		}
		ct[r.IntN(len(ct))] ^= 0x80
		if got, err := a.Open(nil, nonce, ct, aad); !errors.Is(err, ErrAuthentication) || got != nil {
			t.Fatalf("case %d: tampered message opened: %v", i, err)
		}
	}
}

func TestHashCloneAndReset(t *testing.T) {
	h, err := NewHash("hmac(sha256)", []byte("k"), ProviderGo)
	if err != nil {
		t.Fatal(err)
	}
	h.Write([]byte("ab"))
	c, err := h.Clone()
	if err != nil {
		t.Fatal(err)
	}
	h.Write([]byte("c"))
	c.Write([]byte("c"))
	if !bytes.Equal(h.Sum(nil), c.Sum(nil)) {
		t.Error("clone diverged")
	}
	h.Reset()
	h.Write([]byte("abc"))
	if !bytes.Equal(h.Sum(nil), c.Sum(nil)) {
		t.Error("reset did not restart")
	}
}

func TestRNGGo(t *testing.T) {
	r, err := NewRNG("stdrng", nil, ProviderGo)
	if err != nil {
		t.Fatal(err)
	}
	a, b := make([]byte, 300), make([]byte, 300)
	if n, err := r.Read(a); n != 300 || err != nil {
		t.Fatalf("Read = %d, %v", n, err)
	}
	r.Read(b)
	if bytes.Equal(a, b) || bytes.Equal(a, make([]byte, 300)) {
		t.Error("RNG output repeats")
	}
}

func TestParseProvider(t *testing.T) {
	for in, want := range map[string]Provider{"kernel": ProviderKernel, "GO": ProviderGo, "": ProviderAuto, " auto": ProviderAuto} {
		if got, err := ParseProvider(in); err != nil || got != want {
			t.Errorf("ParseProvider(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseProvider("hw"); err == nil {
		t.Error("ParseProvider accepted hw")
	}
}

func TestPolicy(t *testing.T) {
	off := &Algorithm{Driver: "cbc-aes-ccp", Module: "ccp_crypto"}
	cpu := &Algorithm{Driver: "cbc-aes-aesni", Module: "aesni_intel"}
	gen := &Algorithm{Driver: "cbc(aes-generic)", Module: "kernel"}
	if c := policy("cbc(aes)", off, true, 0); c.Provider != ProviderKernel || c.Backing != BackingOffload {
		t.Errorf("offload: %+v", c)
	}
	if fipsEnabled() {
		t.Fatal("host in FIPS mode: the policy checks below assume it is not")
	}
	for _, tc := range []struct {
		name string
		info *Algorithm
		hint int
		want Provider
	}{
		{"cbc(aes)", cpu, 0, ProviderGo},
		{"cbc(aes)", gen, 4<<10 - 16, ProviderGo},
		{"cbc(aes)", gen, 4 << 10, ProviderKernel},
		{"cbc(aes)", gen, 1 << 20, ProviderKernel},
		{"sha256", gen, 2 << 10, ProviderKernel},
		{"sha256", gen, 2<<10 - 1, ProviderGo},
		{"gcm(aes)", gen, 1500, ProviderGo},
		{"gcm(aes)", gen, 2<<10 - 1, ProviderGo},
		{"gcm(aes)", gen, 2 << 10, ProviderKernel},
		{"sha512", gen, 1 << 30, ProviderGo},
		{"sha256", nil, 1 << 20, ProviderGo},
	} {
		if c := policy(tc.name, tc.info, true, tc.hint); c.Provider != tc.want || c.Reason == "" {
			t.Errorf("policy(%s, %v, hint %d) = %+v, want %s", tc.name, tc.info, tc.hint, c, tc.want)
		}
	}
	if c := policy("crc32c", gen, false, 0); c.Provider != ProviderKernel {
		t.Errorf("no Go: %+v", c)
	}
}

func fill(r *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(r.Uint32())
	}
}
