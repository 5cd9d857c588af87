// Package alg is kernel crypto through AF_ALG behind Go's crypto
// interfaces: hash.Hash (digests and HMAC), cipher.BlockMode and
// cipher.Stream (skciphers), cipher.AEAD, and an io.Reader RNG — with a
// provider choice (kernel, go, auto) that always reports which one ran.
//
// # Providers
//
// ProviderKernel drives the kernel's crypto API through AF_ALG sockets and
// reaches whatever /proc/crypto lists: offload engines (QAT, CCP, CAAM,
// ...), FIPS-validated kernel modules, and algorithms Go lacks. On a kernel
// without AF_ALG it fails with a *SupportError naming the missing option
// and module (CONFIG_CRYPTO_USER_API_*, af_alg/algif_*).
// ProviderGo uses Go's crypto packages. ProviderAuto decides at
// construction: the kernel when the algorithm has no Go implementation, the
// kernel runs in FIPS mode, or the kernel's driver is an offload engine; Go
// otherwise, because every AF_ALG operation costs system calls that Go's
// in-process code does not pay (the crossover table is in BENCHMARKS.md,
// section "alg"). Every value has Provider, Driver and Reason methods.
//
// # Kernel rules this package follows
//
// Keys and AEAD tag sizes are set on the bound transform socket before
// accept; the tag size is the optlen of a NULL value; accept is called with
// a NULL address (Go's unix.Accept cannot: AF_ALG has no sockaddr to
// decode); each operation is one sendmsg carrying ALG_SET_OP, ALG_SET_IV and
// ALG_SET_AEAD_ASSOCLEN control messages (libkcapi's sendmsg path, never
// splice); streams continue with MSG_MORE; RNG reads are at most 128
// bytes; a hash's Sum clones the running state by accept on the operation
// socket, so the stream continues. EBADMSG from an AEAD becomes
// ErrAuthentication, and the output buffer is wiped (the kernel decrypts
// into it before it verifies). authencesn is refused outright: it is the
// AF_ALG path abused by CVE-2026-31431. AF_ALG is documented as deprecated
// from Linux 7.2 and distributions may disable algif_aead, so kernel
// support is detected at run time and auto falls back to Go.
//
// # Dependencies
//
//   - golang.org/x/sys/unix: the raw socket calls AF_ALG needs and the
//     standard library does not expose (accept4 with a NULL address,
//     setsockopt with a NULL value, sendmsg with SOL_ALG control messages).
//     All of it is in socket_linux.go. fieldgate's core.Socket offers the
//     same calls and a version of that file on it passed every rig test,
//     but it cost up to 3.5x more per small operation (poller registration
//     on every accept, poller round trips on every call, for operations
//     that never wait for a peer), so the raw calls stay; see
//     BENCHMARKS.md, section alg.
//   - golang.org/x/crypto/chacha20poly1305: the Go provider's
//     rfc7539(chacha20,poly1305); the standard library keeps its copy
//     internal. (Its xts package serves only as a test oracle: the Go
//     provider's xts is in xts.go because x/crypto/xts takes a sector
//     number, not the kernel's arbitrary 16-byte tweak.)
//
// CCM (ccm.go) is implemented here: the standard library has none.
package alg
