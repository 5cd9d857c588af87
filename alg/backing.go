package alg

import "strings"

// Backing says what executes an algorithm's driver.
type Backing string

// Backings, from slowest to most offloaded.
const (
	// BackingGeneric is portable C in the kernel (the *-generic drivers).
	BackingGeneric Backing = "generic"
	// BackingCPU is the CPU's own crypto instructions or vector units
	// (AES-NI, SHA-NI, AVX2, ARMv8 CE, NEON, ...): same silicon Go uses.
	BackingCPU Backing = "cpu"
	// BackingOffload is a separate crypto engine (QAT, CCP, CAAM, ...),
	// reached only through the kernel.
	BackingOffload Backing = "offload"
)

// cpuMarkers name the CPU instruction-set drivers.
var cpuMarkers = []string{
	"aesni", "aes-ni", "vaes", "avx", "sse2", "ssse3", "sse4", "sha-ni", "shani", "sha1-ni", "sha256-ni",
	"clmul", "pclmul", "-ce", "_ce", "neon", "ppc", "vmx", "p8", "s390", "cpacf", "-riscv", "zvk", "x86_64", "arm64", "armv8", "-asm", "simd", "-intel",
}

// offloadMarkers name crypto engines outside the CPU (module or driver).
var offloadMarkers = []string{
	"qat", "ccp", "ccree", "caam", "talitos", "omap", "atmel", "stm32", "virtio", "hisi", "sec2", "hpre",
	"sun4i", "sun8i", "rockchip", "rk3288", "mxs-dcp", "dcp", "sahara", "mv_cesa", "marvell", "cesa", "nitrox",
	"chelsio", "chcr", "safexcel", "inside-secure", "amlogic", "keembay", "ocs", "zynqmp", "xilinx", "qce", "qcom",
	"img-hash", "padlock", "geode", "n2_", "nx-", "nx_", "crypto4xx", "ixp4xx", "exynos", "s5p", "mtk", "mediatek",
	"artpec", "bcm-spu", "cavium", "cpt", "octeontx", "aspeed", "starfive", "tegra", "allwinner", "ux500",
}

// Backing classifies the driver from its driver and module names. Templates
// wrap inner drivers, e.g. "gcm_base(ctr(aes-aesni),ghash-clmulni)": the
// strongest backing of any part wins.
func (a *Algorithm) Backing() Backing {
	d := strings.ToLower(a.Driver + " " + a.Module)
	for _, m := range offloadMarkers {
		if strings.Contains(d, m) {
			return BackingOffload
		}
	}
	for _, m := range cpuMarkers {
		if strings.Contains(d, m) {
			return BackingCPU
		}
	}
	return BackingGeneric
}

// HardwareBacked reports whether the driver runs on crypto hardware: CPU
// crypto instructions or an offload engine.
func (a *Algorithm) HardwareBacked() bool { return a.Backing() != BackingGeneric }
