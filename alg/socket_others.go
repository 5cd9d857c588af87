//go:build !linux

package alg

import (
	"fmt"
	"runtime"
)

// errNotLinux is the error of every kernel path off Linux.
func errNotLinux() error {
	return &SupportError{Config: "Linux", Module: "af_alg", Err: fmt.Errorf("AF_ALG not supported on %s", runtime.GOOS)}
}

func kernelAvailable() error        { return errNotLinux() }
func kernelProbe(_, _ string) error { return errNotLinux() }

// Off Linux the kernel types are never constructed.
type (
	kernelHash      = goHashT
	kernelBlockMode = goBlockMode
	kernelStream    = goStream
	kernelAEAD      = goAEAD
	kernelRNG       = goRNG
)

func kerr(name string) error {
	return &Error{Op: "new", Alg: name, Provider: ProviderKernel, Err: errNotLinux()}
}

func newKernelHash(name string, _ []byte, _ bool, _, _ int) (*kernelHash, error) {
	return nil, kerr(name)
}
func newKernelHashKeyring(name string, _ int32) (*kernelHash, error) { return nil, kerr(name) }
func newKernelBlockMode(name string, _, _ []byte, _, _ bool) (*kernelBlockMode, error) {
	return nil, kerr(name)
}
func newKernelStream(name string, _, _ []byte) (*kernelStream, error) { return nil, kerr(name) }
func newKernelAEAD(k aeadKind, _ []byte, _ int) (*kernelAEAD, error)  { return nil, kerr(k.name) }
func newKernelAEADKeyring(k aeadKind, _ int32, _ int) (*kernelAEAD, error) {
	return nil, kerr(k.name)
}
func newKernelRNG(name string, _ *RNGConfig) (*kernelRNG, error) { return nil, kerr(name) }
