//go:build hil

package core

import (
	"encoding/hex"
	"errors"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// conformance.md: a 13-char type / 63-char name unknown to the kernel gives
// ENOENT; a 14-char type / 64-char name is rejected before the kernel.
func TestRigALGBindLimits(t *testing.T) {
	py := pythonRig(t)
	for _, c := range []struct {
		key   string
		addr  ALGAddr
		errno syscall.Errno // 0: our own error before the kernel
		field string
	}{
		{"alg-type13", ALGAddr{Type: strings.Repeat("t", 13), Name: "x"}, unix.ENOENT, ""},
		{"alg-name63", ALGAddr{Type: "hash", Name: strings.Repeat("n", 63)}, unix.ENOENT, ""},
		{"alg-type14", ALGAddr{Type: strings.Repeat("t", 14), Name: "x"}, 0, "Type"},
		{"alg-name64", ALGAddr{Type: "hash", Name: strings.Repeat("n", 64)}, 0, "Name"},
	} {
		fd := rigSocket(t, unix.AF_ALG, unix.SOCK_SEQPACKET, 0)
		err := rigBind(fd, c.addr)
		var ae *AddrError
		if c.errno != 0 {
			if !errors.Is(err, c.errno) || errors.As(err, &ae) {
				t.Errorf("%s: %v, want the kernel's %v", c.key, err, c.errno)
			}
			if py[c.key] != "ERR errno 2" {
				t.Errorf("%s: CPython %v, want ENOENT too", c.key, py[c.key])
			}
		} else {
			if !errors.As(err, &ae) || ae.Field != c.field || !errors.Is(err, unix.ENAMETOOLONG) {
				t.Errorf("%s: %v, want our ENAMETOOLONG on %s", c.key, err, c.field)
			}
			if py[c.key] != "ERR ValueError" {
				t.Errorf("%s: CPython %v, want ValueError before the kernel too", c.key, py[c.key])
			}
		}
	}
}

// The bytes we bind with select the algorithm: sha256("abc") through an
// accepted operation socket (accept with no address: AF_ALG has none).
func TestRigALGBindHash(t *testing.T) {
	fd := rigSocket(t, unix.AF_ALG, unix.SOCK_SEQPACKET, 0)
	if err := rigBind(fd, &ALGAddr{Type: "hash", Name: "sha256"}); err != nil {
		t.Fatal(err)
	}
	op, _, e := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(fd), 0, 0, unix.SOCK_CLOEXEC, 0, 0)
	if e != 0 {
		t.Fatalf("accept: %v", e)
	}
	defer unix.Close(int(op))
	if _, err := unix.Write(int(op), []byte("abc")); err != nil {
		t.Fatal(err)
	}
	sum := make([]byte, 32)
	if n, err := unix.Read(int(op), sum); err != nil || n != 32 {
		t.Fatalf("read %d, %v", n, err)
	}
	if got := hex.EncodeToString(sum); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("sha256(abc) = %s", got)
	}
	if err := rigBind(rigSocket(t, unix.AF_ALG, unix.SOCK_SEQPACKET, 0), ALGAddr{Type: "hash", Name: "nosuchalg"}); !errors.Is(err, unix.ENOENT) {
		t.Fatalf("missing algorithm: %v, want ENOENT", err)
	}
}
