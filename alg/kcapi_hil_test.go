//go:build hil

package alg

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"
)

// kcapi runs one of libkcapi's tools with stdin and the key on fd 3
// (--keyfd 3), returning stdout.
func kcapi(t testing.TB, key, stdin []byte, tool string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(tool, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if key != nil {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		go func() { w.Write(key); w.Close() }()
		defer r.Close()
		cmd.ExtraFiles = []*os.File{r}
		cmd.Args = append(cmd.Args, "--keyfd", "3")
	}
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %q: %v: %s", tool, args, err, errb.String())
	}
	return out.Bytes()
}

// TestKcapiTools compares the kernel path and Go with libkcapi's tools on
// the same random input. Tens of cases: every case starts a process.
func TestKcapiTools(t *testing.T) {
	r := rand.New(rand.NewPCG(seed(t), 4))
	n := 0
	for i := 0; i < 4; i++ {
		data := randBytes(r, diffSize(r, 1))
		for _, name := range []string{"sha256", "hmac(sha256)"} {
			var key []byte
			if name != "sha256" {
				// kcapi-dgst reads at most 32 key bytes from --keyfd
				// (keybuf[32] in apps/kcapi-dgst.c): longer keys are
				// covered by the kernel == Go differential.
				key = randBytes(r, 1+r.IntN(32))
			}
			want := kcapi(t, key, data, "kcapi-dgst", "-c", name)
			for _, p := range []Provider{ProviderKernel, ProviderGo} {
				h, err := NewHash(name, key, p)
				if err != nil {
					t.Fatal(err)
				}
				h.Write(data)
				if got := h.Sum(nil); !bytes.Equal(got, want) {
					t.Fatalf("%s (%s) key %d bytes over %d bytes = %x, kcapi-dgst %x", name, p, len(key), len(data), got, want)
				}
				h.Close()
			}
			n++
		}
	}
	for i := 0; i < 3; i++ {
		key := randBytes(r, []int{16, 24, 32}[r.IntN(3)])
		iv := randBytes(r, 16)
		for _, name := range []string{"cbc(aes)", "ctr(aes)"} {
			unit := 16
			if name == "ctr(aes)" {
				unit = 1
			}
			data := randBytes(r, max(16, diffSize(r, unit)))
			want := kcapi(t, key, data, "kcapi-enc", "-c", name, "-e", "--iv", hex.EncodeToString(iv))
			for _, p := range []Provider{ProviderKernel, ProviderGo} {
				got := make([]byte, len(data))
				if name == "ctr(aes)" {
					s, err := NewStream(name, key, iv, p)
					if err != nil {
						t.Fatal(err)
					}
					s.XORKeyStream(got, data)
					s.Close()
				} else {
					m, err := NewEncrypter(name, key, iv, p)
					if err != nil {
						t.Fatal(err)
					}
					m.CryptBlocks(got, data)
					m.Close()
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("%s (%s) over %d bytes differs from kcapi-enc (%d bytes)", name, p, len(data), len(want))
				}
			}
			back := kcapi(t, key, want, "kcapi-enc", "-c", name, "-d", "--nounpad", "--iv", hex.EncodeToString(iv))
			if !bytes.Equal(back, data) {
				t.Fatalf("%s: kcapi-enc -d of our ciphertext differs", name)
			}
			n += 2
		}
	}
	for i := 0; i < 3; i++ {
		key := randBytes(r, []int{16, 32}[r.IntN(2)])
		nonce := randBytes(r, 12)
		aad := randBytes(r, 1+r.IntN(40))
		data := randBytes(r, 1+r.IntN(3000))
		want := kcapi(t, key, data, "kcapi-enc", "-c", "gcm(aes)", "-e", "--iv", hex.EncodeToString(nonce),
			"--aad", hex.EncodeToString(aad), "--taglen", "16")
		for _, p := range []Provider{ProviderKernel, ProviderGo} {
			a, err := NewAEAD("gcm(aes)", key, 16, p)
			if err != nil {
				t.Fatal(err)
			}
			// kcapi-enc writes AAD ‖ ciphertext ‖ tag.
			if got := a.Seal(bytes.Clone(aad), nonce, data, aad); !bytes.Equal(got, want) {
				t.Fatalf("gcm(aes) (%s): %d bytes differ from kcapi-enc's %d", p, len(got), len(want))
			}
			a.Close()
		}
		n++
	}
	t.Logf("%d cases against kcapi-dgst/kcapi-enc", n)
}
