package alg

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// ErrAuthentication is returned by AEAD Open when the tag does not verify
// (the kernel's EBADMSG). No plaintext is released with it.
var ErrAuthentication = errors.New("message authentication failed: wrong key, nonce, associated data or tag; no plaintext released")

// ErrKernelUnsupported matches (with errors.Is) every error that says the
// running kernel lacks AF_ALG or one of its socket types.
var ErrKernelUnsupported = errors.New("kernel crypto API (AF_ALG) not available")

// ErrRefused is returned for algorithms this package will not drive through
// AF_ALG: authencesn, whose AF_ALG path was abused by CVE-2026-31431.
var ErrRefused = errors.New("algorithm refused")

// An Error is a failed operation on one algorithm. It unwraps to the cause,
// so errors.Is(err, unix.ENOENT) and friends work.
type Error struct {
	// Op is the operation: "socket", "bind", "setkey", "setauthsize",
	// "accept", "sendmsg", "recvmsg", "new", ...
	Op string
	// Alg is the algorithm name as given by the caller.
	Alg string
	// Provider is the provider that failed, if one was chosen.
	Provider Provider
	// Err is the cause.
	Err error
}

// Error returns "alg: OP "NAME" (provider P): cause".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("alg: ")
	b.WriteString(e.Op)
	if e.Alg != "" {
		fmt.Fprintf(&b, " %q", e.Alg)
	}
	if e.Provider != "" {
		fmt.Fprintf(&b, " (provider %s)", e.Provider)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// A SupportError says which kernel support is missing: the config option and
// the module to load. It matches ErrKernelUnsupported with errors.Is and
// unwraps to the errno (EAFNOSUPPORT, ENOENT, ENOPROTOOPT).
type SupportError struct {
	// Type is the AF_ALG socket type ("hash", "skcipher", "aead", "rng"),
	// empty when AF_ALG itself is missing.
	Type string
	// Config is the kernel configuration option that provides it.
	Config string
	// Module is the module to load (modprobe) when built as a module.
	Module string
	// Err is the errno the kernel returned.
	Err error
}

// Error names the missing kernel support, its config option and module.
func (e *SupportError) Error() string {
	what := "AF_ALG"
	if e.Type != "" {
		what = "AF_ALG " + e.Type + " sockets"
	}
	return fmt.Sprintf("kernel has no %s (needs %s, module %s): %v", what, e.Config, e.Module, e.Err)
}

// Unwrap returns the errno.
func (e *SupportError) Unwrap() error { return e.Err }

// Is reports ErrKernelUnsupported as matching.
func (e *SupportError) Is(target error) bool { return target == ErrKernelUnsupported }

// typeSupport describes the kernel support behind one AF_ALG type.
var typeSupport = map[string][2]string{
	"":         {"CONFIG_CRYPTO_USER_API", "af_alg"},
	"hash":     {"CONFIG_CRYPTO_USER_API_HASH", "algif_hash"},
	"skcipher": {"CONFIG_CRYPTO_USER_API_SKCIPHER", "algif_skcipher"},
	"aead":     {"CONFIG_CRYPTO_USER_API_AEAD", "algif_aead"},
	"rng":      {"CONFIG_CRYPTO_USER_API_RNG", "algif_rng"},
}

// supportError wraps err in a SupportError for AF_ALG type typ.
func supportError(typ string, err error) error {
	s, ok := typeSupport[typ]
	if !ok {
		s = [2]string{"CONFIG_CRYPTO_USER_API_" + strings.ToUpper(typ), "algif_" + typ}
	}
	return &SupportError{Type: typ, Config: s[0], Module: s[1], Err: err}
}

// Limits of struct sockaddr_alg: salg_type[14] and salg_name[64], each
// NUL-terminated by the kernel.
const (
	MaxTypeLen = 13
	MaxNameLen = 63
)

// checkSockaddr validates a type and name before they reach the kernel.
func checkSockaddr(typ, name string) error {
	switch {
	case typ == "":
		return &Error{Op: "bind", Alg: name, Err: errors.New("empty AF_ALG type")}
	case len(typ) > MaxTypeLen:
		return &Error{Op: "bind", Alg: name, Err: fmt.Errorf("AF_ALG type %q is %d bytes, the limit is %d", typ, len(typ), MaxTypeLen)}
	case name == "":
		return &Error{Op: "bind", Err: errors.New("empty algorithm name")}
	case len(name) > MaxNameLen:
		return &Error{Op: "bind", Alg: name, Err: fmt.Errorf("algorithm name is %d bytes, the limit is %d", len(name), MaxNameLen)}
	case strings.IndexByte(typ, 0) >= 0 || strings.IndexByte(name, 0) >= 0:
		return &Error{Op: "bind", Alg: name, Err: errors.New("NUL byte in AF_ALG type or name")}
	}
	return nil
}

// checkRefused rejects the algorithms named in the CVE note.
func checkRefused(name string) error {
	if strings.Contains(name, "authencesn") {
		return &Error{Op: "new", Alg: name, Err: fmt.Errorf("%w: authencesn through AF_ALG is the CVE-2026-31431 path", ErrRefused)}
	}
	return nil
}

// ErrUnknownAlgorithm matches bind failures for names the kernel does not
// know (ENOENT from bind).
var ErrUnknownAlgorithm = errors.New("unknown algorithm")

// unknownError is ENOENT from bind for an algorithm the kernel does not have.
type unknownError struct {
	name, typ, hint string
	err             error
}

func (e *unknownError) Error() string {
	return fmt.Sprintf("%s algorithm %q not known to the kernel%s: %v", e.typ, e.name, e.hint, e.err)
}
func (e *unknownError) Unwrap() error        { return e.err }
func (e *unknownError) Is(target error) bool { return target == ErrUnknownAlgorithm }

// bindError explains a bind failure: ENOENT is either an unknown algorithm
// or a missing algif module; /proc/crypto and /sys/module tell them apart.
func bindError(typ, name string, err error) error {
	if !errors.Is(err, syscall.ENOENT) {
		return err
	}
	if algs, perr := ReadProcCrypto(); perr == nil {
		if a := Lookup(algs, name, ""); a != nil {
			return supportError(typ, err)
		}
	}
	hint := ""
	if s, ok := typeSupport[typ]; ok {
		if _, serr := os.Stat("/sys/module/" + s[1]); serr != nil {
			hint = fmt.Sprintf(" (or AF_ALG %s sockets are missing: %s, module %s)", typ, s[0], s[1])
		}
	}
	return &unknownError{name: name, typ: typ, hint: hint, err: err}
}
