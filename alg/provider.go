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

// policy is the auto policy. It follows the crossover table in
// BENCHMARKS.md (## alg): every AF_ALG operation costs at least one
// sendmsg+read pair of system calls, so at every measured buffer size Go's
// in-process code is as fast or faster whenever both run on the same
// silicon (generic C vs Go's assembly, or the same CPU instructions). The
// kernel wins only where it reaches something Go cannot: an offload engine,
// a FIPS-validated module (fips_enabled=1), or an algorithm Go lacks.
func policy(info *Algorithm, hasGo bool) Choice {
	var c Choice
	if info != nil {
		c.Driver, c.Backing = info.Driver, info.Backing()
	}
	switch {
	case !hasGo:
		c.Provider, c.Reason = ProviderKernel, "no Go implementation"
	case fipsEnabled():
		c.Provider, c.Reason = ProviderKernel, "kernel in FIPS mode"
	case info != nil && c.Backing == BackingOffload:
		c.Provider, c.Reason = ProviderKernel, "driver "+info.Driver+" is an offload engine"
	case info != nil:
		c.Provider, c.Reason = ProviderGo, "kernel driver "+info.Driver+" is "+string(c.Backing)+"; Go's crypto is faster per call (BENCHMARKS.md ## alg)"
	default:
		c.Provider, c.Reason = ProviderGo, "kernel driver unknown"
	}
	return c
}
