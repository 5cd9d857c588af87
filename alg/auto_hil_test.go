//go:build hil

package alg

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU is the calling thread's CPU time (user and system: AF_ALG's
// generic drivers compute in the system call of the thread that asks).
func threadCPU(t testing.TB) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ts.Nano())
}

// gatewayOp is one operation of the UDP endpoint's authenticated mode on a
// datagram of size bytes: AES-256-GCM Seal, then Open of the result, with
// the endpoint's 8-byte header as associated data.
func gatewayOp(t testing.TB, p Provider, size int) (op func(), close func()) {
	key := bytes.Repeat([]byte{0x42}, 32)
	a, err := NewAEAD("gcm(aes)", key, 16, p)
	if err != nil {
		t.Fatalf("gcm(aes) %s: %v", p, err)
	}
	nonce := make([]byte, 12)
	aad := bytes.Repeat([]byte{0x11}, 8)
	plain := bytes.Repeat([]byte{0x5a}, size)
	sealed := make([]byte, 0, size+16)
	opened := make([]byte, 0, size)
	return func() {
		sealed = a.Seal(sealed[:0], nonce, plain, aad)
		var err error
		if opened, err = a.Open(opened[:0], nonce, sealed, aad); err != nil || len(opened) != size {
			t.Fatalf("gcm(aes) %s: open of a %d-byte datagram: %d bytes, %v", p, size, len(opened), err)
		}
	}, func() { a.Close() }
}

// cpuPerOp measures the CPU time of ops calls of op on this thread.
func cpuPerOp(t testing.TB, op func(), ops int) time.Duration {
	t0 := threadCPU(t)
	for i := 0; i < ops; i++ {
		op()
	}
	return (threadCPU(t) - t0) / time.Duration(ops)
}

// providerRatio measures kernel and Go in many small interleaved batches
// (kernel first in even rounds, Go first in odd ones), each batch about
// 250 µs of CPU time on this thread (one operation where that takes
// longer), and compares the medians of
// their CPU time per operation: a host that deschedules the rig's vCPU
// (guest CPU time keeps running then) spoils a few batches, not the
// medians. It returns kernel/go of the medians, the 10th and 90th
// percentiles of the per-round ratios (the spread), and both medians.
func providerRatio(t testing.TB, kop, gop func(), rounds int) (ratio, p10, p90 float64, kmed, gmed time.Duration) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	kop() // warm up: instantiation, first page faults
	gop()
	batch := func(op func()) int {
		one := time.Duration(1<<63 - 1)
		for i := 0; i < 5; i++ {
			one = min(one, cpuPerOp(t, op, 1))
		}
		return max(int(250*time.Microsecond/max(one, time.Microsecond)), 1)
	}
	kn, gn := batch(kop), batch(gop)
	ks := make([]time.Duration, 0, rounds)
	gs := make([]time.Duration, 0, rounds)
	ratios := make([]float64, 0, rounds)
	for r := 0; r < rounds; r++ {
		var k, g time.Duration
		if r%2 == 0 {
			k = cpuPerOp(t, kop, kn)
			g = cpuPerOp(t, gop, gn)
		} else {
			g = cpuPerOp(t, gop, gn)
			k = cpuPerOp(t, kop, kn)
		}
		ks, gs = append(ks, k), append(gs, g)
		ratios = append(ratios, float64(k)/float64(max(g, 1)))
	}
	slices.Sort(ratios)
	slices.Sort(ks)
	slices.Sort(gs)
	kmed, gmed = ks[len(ks)/2], gs[len(gs)/2]
	return float64(kmed) / float64(max(gmed, 1)), ratios[len(ratios)/10], ratios[len(ratios)*9/10], kmed, gmed
}

// gatewaySizes are the plaintext sizes the UDP endpoint's auth mode seals:
// one classic frame in a cannelloni datagram, one CAN FD frame, a few
// coalesced frames, and a full datagram at the default MTU (1500 − IP/UDP
// headers − the 36 bytes of auth overhead).
var gatewaySizes = []int{18, 77, 512, 1436}

// tableSizes are sizes from gcm(aes)'s crossover on, where auto (given
// the size as a hint) picks the kernel, which must not be slower.
var tableSizes = []int{4 << 10, 16 << 10}

// TestHILAutoNeverSlower: for the gateway's AEAD at the sizes the gateway
// seals (and two sizes above the crossover, where auto picks the kernel),
// the provider auto picks is never more than 10 % slower (CPU time,
// medians of interleaved rounds) than the other one. A measurement that
// fails is repeated (the rig's vCPU shares a loaded machine) before the
// test fails: auto must lose in five measurements in a row.
func TestHILAutoNeverSlower(t *testing.T) {
	for _, size := range append(gatewaySizes, tableSizes...) {
		t.Run(fmt.Sprintf("%dB", size), func(t *testing.T) {
			// The choice with the datagram size as the hint, and the
			// gateway's own call (no hint: the UDP endpoint seals at
			// most one datagram) where the size is a datagram's.
			a, err := (&Config{SizeHint: size}).NewAEAD("gcm(aes)", bytes.Repeat([]byte{0x42}, 32), 16)
			if err != nil {
				t.Fatal(err)
			}
			chose := a.Provider()
			a.Close()
			if size <= 1436 {
				g, err := NewAEAD("gcm(aes)", bytes.Repeat([]byte{0x42}, 32), 16, ProviderAuto)
				if err != nil {
					t.Fatal(err)
				}
				if g.Provider() != chose {
					t.Fatalf("auto without a size hint chose %s (%s), with the hint %d %s", g.Provider(), g.Reason(), size, chose)
				}
				g.Close()
			}
			kop, kclose := gatewayOp(t, ProviderKernel, size)
			defer kclose()
			gop, gclose := gatewayOp(t, ProviderGo, size)
			defer gclose()
			var log []string
			// A full datagram (1436 B) is where the two meet (kernel/go
			// 0.99, 0.78–1.03 over 5 runs): a measurement on a loaded
			// host can land on either side, hence five tries.
			for attempt := 1; attempt <= 5; attempt++ {
				med, p10, p90, kmed, gmed := providerRatio(t, kop, gop, 101)
				// chosen/other: kernel/go if auto chose the kernel.
				worse := med
				if chose == ProviderGo {
					worse = 1 / med
				}
				line := fmt.Sprintf("attempt %d: auto=%s kernel %v/op, go %v/op (medians of 101 interleaved batches), kernel/go %.2f (per-round p10..p90 %.2f..%.2f), chosen/other %.2f",
					attempt, chose, kmed, gmed, med, p10, p90, worse)
				t.Log(line)
				log = append(log, line)
				if worse <= 1.10 {
					return
				}
			}
			t.Fatalf("auto picked %s for %d-byte datagrams, more than 10 %% slower than the other provider in 5 measurements:\n%s",
				chose, size, strings.Join(log, "\n"))
		})
	}
}

// BenchmarkAutoCrossover measures kernel/go CPU time for the algorithms
// of the crossover table at its sizes, and the gateway's operation at its
// sizes: 101 interleaved rounds of about 1 ms per provider and row,
// kernel/go of the medians and the per-round spread reported
// (BENCHMARKS.md ## alg auto crossover), whatever b.N is.
func BenchmarkAutoCrossover(b *testing.B) {
	const optmem = "/proc/sys/net/core/optmem_max"
	if old, err := os.ReadFile(optmem); err == nil {
		if err := os.WriteFile(optmem, []byte("4194304"), 0); err != nil {
			b.Fatalf("raise %s: %v", optmem, err)
		}
		defer os.WriteFile(optmem, old, 0)
	}
	key := bytes.Repeat([]byte{0x42}, 16)
	iv := bytes.Repeat([]byte{0x24}, 16)
	aad := bytes.Repeat([]byte{0x11}, 16)
	for _, name := range []string{"sha256", "hmac(sha256)", "cbc(aes)", "gcm(aes)"} {
		for _, size := range []int{16, 256, 1 << 10, 2 << 10, 4 << 10, 16 << 10, 64 << 10} {
			b.Run(fmt.Sprintf("%s/%s", name, sizeName(size)), func(b *testing.B) {
				buf := bytes.Repeat([]byte{0x5a}, size)
				kop, kclose := benchOp(b, name, key, iv, iv[:12], aad, buf, ProviderKernel)
				defer kclose()
				gop, gclose := benchOp(b, name, key, iv, iv[:12], aad, buf, ProviderGo)
				defer gclose()
				reportRatio(b, kop, gop)
			})
		}
	}
	// The gateway's operation (AES-256-GCM seal + open) at its sizes and
	// on to the crossover.
	for _, size := range append(gatewaySizes, 2<<10, 4<<10, 8<<10, 16<<10) {
		b.Run(fmt.Sprintf("gateway-gcm256/%dB", size), func(b *testing.B) {
			kop, kclose := gatewayOp(b, ProviderKernel, size)
			defer kclose()
			gop, gclose := gatewayOp(b, ProviderGo, size)
			defer gclose()
			reportRatio(b, kop, gop)
		})
	}
}

// reportRatio measures kop against gop and reports CPU time per
// operation, kernel/go of the medians and the per-round spread.
func reportRatio(b *testing.B, kop, gop func()) {
	med, p10, p90, kmed, gmed := providerRatio(b, kop, gop, 101)
	b.ReportMetric(float64(kmed.Nanoseconds()), "kernel-cpu-ns/op")
	b.ReportMetric(float64(gmed.Nanoseconds()), "go-cpu-ns/op")
	b.ReportMetric(med, "kernel/go")
	b.ReportMetric(p10, "round-p10")
	b.ReportMetric(p90, "round-p90")
}
