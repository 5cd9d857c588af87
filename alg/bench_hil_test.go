//go:build hil

package alg

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// BenchmarkThroughput measures, per algorithm and buffer size, our kernel
// path and Go's crypto (interleaved; ns/op and MB/s cover both), and in the
// same run libkcapi's tools (one kcapi-dgst/kcapi-enc process per buffer, so their figure
// includes process start-up) on the same buffers, reporting the ratios:
// kernel/go > 1 means Go is faster, kernel/kcapi < 1 means we are.
//
// The 1 MiB AEAD rows need more socket option memory than Linux's default
// net.core.optmem_max (20480) gives one AF_ALG socket; the benchmark raises
// it in the guest and restores it.
func BenchmarkThroughput(b *testing.B) {
	const optmem = "/proc/sys/net/core/optmem_max"
	if old, err := os.ReadFile(optmem); err == nil {
		if err := os.WriteFile(optmem, []byte("4194304"), 0); err != nil {
			b.Fatalf("raise %s: %v", optmem, err)
		}
		defer os.WriteFile(optmem, old, 0)
	}
	key := bytes.Repeat([]byte{0x42}, 16)
	iv := bytes.Repeat([]byte{0x24}, 16)
	nonce := iv[:12]
	aad := bytes.Repeat([]byte{0x11}, 16)
	for _, name := range []string{"sha256", "hmac(sha256)", "cbc(aes)", "gcm(aes)"} {
		for _, size := range []int{16, 1 << 10, 16 << 10, 1 << 20} {
			b.Run(fmt.Sprintf("%s/%s", name, sizeName(size)), func(b *testing.B) {
				buf := bytes.Repeat([]byte{0x5a}, size)
				kop, kclose := benchOp(b, name, key, iv, nonce, aad, buf, ProviderKernel)
				defer kclose()
				gop, gclose := benchOp(b, name, key, iv, nonce, aad, buf, ProviderGo)
				defer gclose()
				kop() // warm up (instantiation, first page faults)
				gop()
				// Kernel and Go operations alternate, so a change in
				// the host's load (TCG shares the machine) hits both.
				var kdur, gdur time.Duration
				b.SetBytes(int64(size))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					t0 := time.Now()
					kop()
					t1 := time.Now()
					gop()
					kdur += t1.Sub(t0)
					gdur += time.Since(t1)
				}
				b.StopTimer()
				kns := float64(kdur.Nanoseconds()) / float64(b.N)
				gns := float64(gdur.Nanoseconds()) / float64(b.N)
				b.ReportMetric(kns, "kernel-ns/op")
				b.ReportMetric(gns, "go-ns/op")
				b.ReportMetric(kns/gns, "kernel/go")
				runs := min(b.N, 3)
				start := time.Now()
				for i := 0; i < runs; i++ {
					if err := kcapiOp(name, key, iv, nonce, aad, buf); err != nil {
						b.Logf("kcapi peer failed, no kcapi figure for this row: %v", err)
						return
					}
				}
				cns := float64(time.Since(start).Nanoseconds()) / float64(runs)
				b.ReportMetric(cns, "kcapi-ns/op")
				b.ReportMetric(kns/cns, "kernel/kcapi")
			})
		}
	}
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// benchOp returns one operation over buf on provider p.
func benchOp(b testing.TB, name string, key, iv, nonce, aad, buf []byte, p Provider) (func(), func()) {
	switch name {
	case "sha256", "hmac(sha256)":
		var k []byte
		if name != "sha256" {
			k = key
		}
		h, err := NewHash(name, k, p)
		if err != nil {
			b.Fatal(err)
		}
		sum := make([]byte, 0, 64)
		return func() { h.Reset(); h.Write(buf); sum = h.Sum(sum[:0]) }, func() { h.Close() }
	case "cbc(aes)":
		m, err := NewEncrypter(name, key, iv, p)
		if err != nil {
			b.Fatal(err)
		}
		out := make([]byte, len(buf))
		return func() { m.CryptBlocks(out, buf) }, func() { m.Close() }
	default:
		a, err := NewAEAD(name, key, 16, p)
		if err != nil {
			b.Fatal(err)
		}
		out := make([]byte, 0, len(buf)+16)
		return func() { out = a.Seal(out[:0], nonce, buf, aad) }, func() { a.Close() }
	}
}

// kcapiOp runs the libkcapi tool once over buf.
func kcapiOp(name string, key, iv, nonce, aad, buf []byte) error {
	var cmd *exec.Cmd
	switch name {
	case "sha256":
		cmd = exec.Command("kcapi-dgst", "-c", name)
	case "hmac(sha256)":
		cmd = exec.Command("kcapi-dgst", "-c", name, "--keyfd", "3")
	case "cbc(aes)":
		cmd = exec.Command("kcapi-enc", "-c", name, "-e", "--iv", hex.EncodeToString(iv), "--keyfd", "3")
	default:
		cmd = exec.Command("kcapi-enc", "-c", name, "-e", "--iv", hex.EncodeToString(nonce), "--aad", hex.EncodeToString(aad), "--taglen", "16", "--keyfd", "3")
	}
	if name != "sha256" {
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		go func() { w.Write(key); w.Close() }()
		defer r.Close()
		cmd.ExtraFiles = []*os.File{r}
	}
	cmd.Stdin = bytes.NewReader(buf)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v: %s", cmd.Args, err, bytes.TrimSpace(errb.Bytes()))
	}
	return nil
}
