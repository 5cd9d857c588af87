package alg

import (
	"fmt"
	"os"
	"strings"
)

// A Provider selects who computes: the kernel through AF_ALG, Go's own
// crypto packages, or a choice made at construction time (auto).
type Provider string

// Providers.
const (
	// ProviderKernel uses AF_ALG and fails (with a SupportError naming the
	// kernel option and module) where the kernel cannot.
	ProviderKernel Provider = "kernel"
	// ProviderGo uses Go's crypto packages only.
	ProviderGo Provider = "go"
	// ProviderAuto uses the kernel when it has the algorithm and the policy
	// prefers it (see Choice), Go's crypto otherwise. The constructed value's
	// Provider method reports which one runs.
	ProviderAuto Provider = "auto"
)

// ParseProvider parses "kernel", "go" or "auto" ("" means auto).
func ParseProvider(s string) (Provider, error) {
	switch p := Provider(strings.ToLower(strings.TrimSpace(s))); p {
	case ProviderKernel, ProviderGo, ProviderAuto:
		return p, nil
	case "":
		return ProviderAuto, nil
	}
	return "", fmt.Errorf("unknown provider %q (want kernel, go or auto)", s)
}

// String returns the provider name.
func (p Provider) String() string { return string(p) }

// Config holds the optional settings of the constructors that are methods
// on it. A nil *Config means ProviderAuto and no size hint.
type Config struct {
	// Provider selects the provider; "" means ProviderAuto.
	Provider Provider
	// SizeHint is the typical buffer size per operation (a file's size,
	// a tunnel's MTU). ProviderAuto compares it with the algorithm's
	// Crossover; 0 means unknown, treated as small.
	SizeHint int
}

func (c *Config) get() (Provider, int) {
	if c == nil {
		return ProviderAuto, 0
	}
	p := c.Provider
	if p == "" {
		p = ProviderAuto
	}
	return p, max(c.SizeHint, 0)
}

// A Choice is the outcome of the auto policy for one algorithm.
type Choice struct {
	Provider Provider
	// Reason is a short human-readable explanation.
	Reason string
	// Driver is the kernel driver that would run (empty if unknown).
	Driver string
	// Backing of that driver.
	Backing Backing
}

// fipsEnabled reports whether the kernel runs in FIPS mode, where the
// validated kernel implementations must be used.
func fipsEnabled() bool {
	b, err := os.ReadFile("/proc/sys/crypto/fips_enabled")
	return err == nil && strings.TrimSpace(string(b)) == "1"
}

// Crossover is the auto policy's table: for each algorithm measured, the
// smallest buffer size at which the kernel path beat Go's crypto on the rig
// (BENCHMARKS.md, section "alg auto crossover": CPU time per operation,
// medians of interleaved rounds). Below it Go's crypto was faster or within
// 10 %; from it the kernel was faster or within 10 %. Algorithms not
// listed never cross over: Go is used unless the kernel reaches something
// Go cannot.
func Crossover(name string) (size int, ok bool) {
	// kernel/go CPU time at 1 KiB, 2 KiB, 4 KiB (median of 7 runs, each
	// the median of 101 interleaved rounds; BENCHMARKS.md has the spread):
	// sha256 1.38, 0.90, 0.68; hmac(sha256) 1.30, 0.95, 0.67; cbc(aes)
	// 1.37, 1.15, 0.90; gcm(aes) 1.21, 0.99, 0.85, and the gateway's
	// AES-256 Seal+Open 0.99 at 1436 B, 0.66 at 2 KiB, 0.56 at 4 KiB.
	switch name {
	case "sha256", "hmac(sha256)", "gcm(aes)":
		return 2 << 10, true
	case "cbc(aes)":
		return 4 << 10, true
	}
	return 0, false
}

// policy is the auto policy. Every AF_ALG operation costs a sendmsg+read
// pair of system calls that Go's in-process code does not pay, so for
// small buffers Go wins everywhere we measured; for large ones the kernel
// can win (on the rig, whose emulated CPU runs Go's vector assembly slower
// than the kernel's generic C). The kernel is chosen when Go lacks the
// algorithm, the kernel runs in FIPS mode, the driver is an offload
// engine, or the caller's size hint reaches the algorithm's crossover.
func policy(name string, info *Algorithm, hasGo bool, sizeHint int) Choice {
	var c Choice
	if info != nil {
		c.Driver, c.Backing = info.Driver, info.Backing()
	}
	cross, measured := Crossover(name)
	switch {
	case !hasGo:
		c.Provider, c.Reason = ProviderKernel, "no Go implementation"
	case fipsEnabled():
		c.Provider, c.Reason = ProviderKernel, "kernel in FIPS mode"
	case info != nil && c.Backing == BackingOffload:
		c.Provider, c.Reason = ProviderKernel, "driver "+info.Driver+" is an offload engine"
	case info != nil && measured && sizeHint >= cross:
		c.Provider, c.Reason = ProviderKernel, fmt.Sprintf("buffers of %d bytes reach the %d-byte crossover (BENCHMARKS.md ## alg auto crossover)", sizeHint, cross)
	case info != nil && measured:
		c.Provider, c.Reason = ProviderGo, fmt.Sprintf("buffers below the %d-byte crossover: Go's crypto is faster (BENCHMARKS.md ## alg auto crossover)", cross)
	case info != nil:
		c.Provider, c.Reason = ProviderGo, "kernel driver "+info.Driver+" is "+string(c.Backing)+", no measured crossover: Go's crypto saves the system calls"
	default:
		c.Provider, c.Reason = ProviderGo, "kernel driver unknown"
	}
	return c
}
