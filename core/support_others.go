//go:build !linux

package core

import (
	"fmt"
	"runtime"
)

// ProbeFamilies reports every socket kind as unsupported: fieldgate's
// families are Linux's.
func ProbeFamilies() []FamilySupport {
	var out []FamilySupport
	for _, n := range []string{"CAN raw", "ALG hash", "vsock", "TIPC", "Bluetooth HCI", "Packet"} {
		out = append(out, FamilySupport{Name: n, Err: fmt.Errorf("not supported on %s", runtime.GOOS)})
	}
	return out
}

// Capability numbers from linux/capability.h.
const (
	CapNetAdmin = 12
	CapNetRaw   = 13
)

// HasCapability is not supported outside Linux.
func HasCapability(c int) (bool, error) {
	return false, fmt.Errorf("capabilities: not supported on %s", runtime.GOOS)
}
