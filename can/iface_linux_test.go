package can

import (
	"errors"
	"strings"
	"syscall"
	"testing"
)

// TestInterfaceErrorTyped: a missing interface is an *InterfaceError
// matching ENODEV, without Go's "route ip+net" wording; a long name
// matches ENAMETOOLONG.
func TestInterfaceErrorTyped(t *testing.T) {
	_, err := DialISOTP("nosuch0", 0x123, 0x321, nil)
	var ie *InterfaceError
	if !errors.As(err, &ie) || ie.Name != "nosuch0" || !errors.Is(err, syscall.ENODEV) {
		t.Fatalf("%v (%T)", err, err)
	}
	if msg := err.Error(); msg != `can: no interface "nosuch0" (ip link lists them)` || strings.Contains(msg, "ip+net") {
		t.Errorf("%q", msg)
	}
	_, err = ListenJ1939("a-name-of-sixteen", nil)
	if !errors.As(err, &ie) || !errors.Is(err, syscall.ENAMETOOLONG) {
		t.Fatalf("%v", err)
	}
}
