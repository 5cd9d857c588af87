//go:build linux

package can

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// On a kernel without the can-gw module (the CI host), requests must fail
// with the kernel's error and listing must not mistake IP routes for
// gateway rules. In the rig, gw_hil_test.go tests the real thing.
func TestGatewayWithoutModule(t *testing.T) {
	if _, err := unix.Socket(unix.AF_CAN, unix.SOCK_RAW, 1); err == nil {
		t.Log("this kernel has CAN; the rig tests cover it")
		return
	}
	g, err := DialGateway(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	err = g.Add(&GatewayRule{SrcIndex: 1, DstIndex: 1})
	if !errors.Is(err, unix.EOPNOTSUPP) {
		t.Fatalf("Add: err = %v, want EOPNOTSUPP", err)
	}
	if err := g.Flush(); !errors.Is(err, unix.EOPNOTSUPP) {
		t.Fatalf("Flush: err = %v, want EOPNOTSUPP", err)
	}
	// The host's main namespace has IP routes (at least local ones), which
	// the kernel returns for an AF_CAN dump it cannot route.
	rs, err := g.Rules()
	if !errors.Is(err, unix.EAFNOSUPPORT) {
		t.Fatalf("Rules = %v, %v; want EAFNOSUPPORT", rs, err)
	}
}
