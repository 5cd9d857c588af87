package alg

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A vector is one line of a testdata/*.txt vector file.
type vector struct {
	where                string // file:line
	alg                  string
	key, iv, aad, pt, ct []byte
}

// loadVectors reads every testdata/*.txt vector file.
func loadVectors(t testing.TB) []vector {
	t.Helper()
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no vector files: %v", err)
	}
	var out []vector
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "proc-crypto") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for line := 1; sc.Scan(); line++ {
			text := strings.TrimSpace(sc.Text())
			if text == "" || text[0] == '#' {
				continue
			}
			v := vector{where: f + ":" + itoa(line)}
			for _, field := range strings.Fields(text) {
				k, val, ok := strings.Cut(field, "=")
				if !ok {
					t.Fatalf("%s: field %q has no '='", v.where, field)
				}
				if k == "alg" {
					v.alg = val
					continue
				}
				raw, err := hex.DecodeString(val)
				if err != nil {
					t.Fatalf("%s: field %s: %v", v.where, k, err)
				}
				switch k {
				case "key":
					v.key = raw
				case "iv":
					v.iv = raw
				case "aad":
					v.aad = raw
				case "pt":
					v.pt = raw
				case "ct":
					v.ct = raw
				default:
					t.Fatalf("%s: unknown field %q", v.where, k)
				}
			}
			if v.alg == "" || v.ct == nil {
				t.Fatalf("%s: alg and ct are required", v.where)
			}
			out = append(out, v)
		}
	}
	return out
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// vectorKind classifies an algorithm name for the harness.
func vectorKind(name string) string {
	mode, _ := splitMode(name)
	switch mode {
	case "gcm", "ccm", "rfc4106", "rfc7539":
		return "aead"
	case "ctr":
		return "stream"
	case "cbc", "ecb", "xts":
		return "blockmode"
	}
	return "hash"
}

// checkVector runs v on provider p and reports mismatches.
func checkVector(t *testing.T, v vector, p Provider) {
	t.Helper()
	switch vectorKind(v.alg) {
	case "hash":
		h, err := NewHash(v.alg, v.key, p)
		if err != nil {
			t.Fatalf("%s: NewHash: %v", v.where, err)
		}
		defer h.Close()
		h.Write(v.pt)
		if got := h.Sum(nil); !bytes.Equal(got, v.ct) {
			t.Errorf("%s: %s one-shot = %x, want %x", v.where, v.alg, got, v.ct)
		}
		// Sum does not finalise: again, then byte by byte after Reset.
		if got := h.Sum(nil); !bytes.Equal(got, v.ct) {
			t.Errorf("%s: %s second Sum = %x, want %x", v.where, v.alg, got, v.ct)
		}
		h.Reset()
		for i := range v.pt {
			h.Write(v.pt[i : i+1])
		}
		h.Write(nil)
		if got := h.Sum([]byte{0xee}); !bytes.Equal(got, append([]byte{0xee}, v.ct...)) {
			t.Errorf("%s: %s streamed = %x, want ee%x", v.where, v.alg, got, v.ct)
		}
		if h.Size() != len(v.ct) {
			t.Errorf("%s: Size() = %d, want %d", v.where, h.Size(), len(v.ct))
		}
	case "aead":
		tag := len(v.ct) - len(v.pt)
		var a AEAD
		var err error
		if v.alg == "ccm(aes)" {
			a, err = NewCCM(v.key, tag, len(v.iv), p)
		} else {
			a, err = NewAEAD(v.alg, v.key, tag, p)
		}
		if err != nil {
			t.Fatalf("%s: NewAEAD: %v", v.where, err)
		}
		defer a.Close()
		if got := a.Seal([]byte{1, 2}, v.iv, v.pt, v.aad); !bytes.Equal(got, append([]byte{1, 2}, v.ct...)) {
			t.Errorf("%s: %s Seal = %x, want 0102%x", v.where, v.alg, got, v.ct)
		}
		got, err := a.Open(nil, v.iv, v.ct, v.aad)
		if err != nil || !bytes.Equal(got, v.pt) {
			t.Errorf("%s: %s Open = %x, %v; want %x", v.where, v.alg, got, err, v.pt)
		}
		bad := bytes.Clone(v.ct)
		bad[len(bad)-1] ^= 1
		got, err = a.Open(nil, v.iv, bad, v.aad)
		if !errors.Is(err, ErrAuthentication) || got != nil {
			t.Errorf("%s: %s Open(wrong tag) = %x, %v; want nil, ErrAuthentication", v.where, v.alg, got, err)
		}
	case "stream":
		s, err := NewStream(v.alg, v.key, v.iv, p)
		if err != nil {
			t.Fatalf("%s: NewStream: %v", v.where, err)
		}
		defer s.Close()
		got := make([]byte, len(v.pt))
		// Odd splits exercise the keystream carry between calls.
		for off, step := 0, 1; off < len(v.pt); off, step = off+step, step+6 {
			end := min(len(v.pt), off+step)
			s.XORKeyStream(got[off:end], v.pt[off:end])
		}
		if !bytes.Equal(got, v.ct) {
			t.Errorf("%s: %s = %x, want %x", v.where, v.alg, got, v.ct)
		}
	case "blockmode":
		e, err := NewEncrypter(v.alg, v.key, v.iv, p)
		if err != nil {
			t.Fatalf("%s: NewEncrypter: %v", v.where, err)
		}
		defer e.Close()
		got := make([]byte, len(v.pt))
		e.CryptBlocks(got, v.pt)
		if !bytes.Equal(got, v.ct) {
			t.Errorf("%s: %s encrypt = %x, want %x", v.where, v.alg, got, v.ct)
		}
		d, err := NewDecrypter(v.alg, v.key, v.iv, p)
		if err != nil {
			t.Fatalf("%s: NewDecrypter: %v", v.where, err)
		}
		defer d.Close()
		// In place, and (except xts) in two calls that chain the IV.
		buf := bytes.Clone(v.ct)
		half := len(buf) / 2 / d.BlockSize() * d.BlockSize()
		if v.alg[:3] == "xts" {
			half = len(buf)
		}
		d.CryptBlocks(buf[:half], buf[:half])
		d.CryptBlocks(buf[half:], buf[half:])
		if !bytes.Equal(buf, v.pt) {
			t.Errorf("%s: %s decrypt = %x, want %x", v.where, v.alg, buf, v.pt)
		}
	}
}

func TestVectorsGo(t *testing.T) {
	vs := loadVectors(t)
	if len(vs) < 60 {
		t.Fatalf("only %d vectors loaded", len(vs))
	}
	for _, v := range vs {
		checkVector(t, v, ProviderGo)
	}
}
