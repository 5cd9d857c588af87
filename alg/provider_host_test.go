//go:build !hil

package alg

import (
	"errors"
	"strings"
	"syscall"
	"testing"
)

// The development host's kernel has no AF_ALG (shared/reference/hil-rig.md);
// these tests pin down what users see there. The rig runs the kernel side.

func TestAutoFallsBackToGoOnHost(t *testing.T) {
	key := make([]byte, 16)
	a, err := NewAEAD("gcm(aes)", key, 16, ProviderAuto)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Provider() != ProviderGo {
		t.Fatalf("auto on a kernel without AF_ALG chose %q", a.Provider())
	}
	if !strings.Contains(a.Reason(), "kernel unavailable") || !strings.Contains(a.Reason(), "CONFIG_CRYPTO_USER_API") {
		t.Errorf("reason %q does not say why the kernel was not used", a.Reason())
	}
	if !strings.HasPrefix(a.Driver(), "go:") {
		t.Errorf("driver %q", a.Driver())
	}
	h, err := NewHash("sha256", nil, "")
	if err != nil || h.Provider() != ProviderGo {
		t.Fatalf("NewHash auto: %v, %v", h, err)
	}
}

func TestKernelProviderFailsClearlyOnHost(t *testing.T) {
	checks := map[string]func() error{
		"hash": func() error { _, err := NewHash("sha256", nil, ProviderKernel); return err },
		"aead": func() error { _, err := NewAEAD("gcm(aes)", make([]byte, 16), 16, ProviderKernel); return err },
		"enc": func() error {
			_, err := NewEncrypter("cbc(aes)", make([]byte, 16), make([]byte, 16), ProviderKernel)
			return err
		},
		"rng": func() error { _, err := NewRNG("stdrng", nil, ProviderKernel); return err },
	}
	for name, f := range checks {
		err := f()
		if err == nil {
			t.Fatalf("%s: kernel provider succeeded on a kernel without AF_ALG", name)
		}
		var se *SupportError
		if !errors.Is(err, ErrKernelUnsupported) || !errors.As(err, &se) || !errors.Is(err, syscall.EAFNOSUPPORT) {
			t.Errorf("%s: error %v does not match ErrKernelUnsupported/EAFNOSUPPORT", name, err)
		}
		if msg := err.Error(); !strings.Contains(msg, "CONFIG_CRYPTO_USER_API") || !strings.Contains(msg, "module af_alg") {
			t.Errorf("%s: error %q does not name the missing support", name, msg)
		}
	}
}

func TestAutoWithoutGoImplementationOnHost(t *testing.T) {
	_, err := NewHash("crc32c", nil, ProviderAuto)
	if err == nil || !errors.Is(err, ErrKernelUnsupported) || !strings.Contains(err.Error(), "no Go implementation") {
		t.Errorf("auto for a kernel-only algorithm: %v", err)
	}
}
