package can

import (
	"errors"
	"fmt"
	"syscall"
)

// InterfaceError is the error for a CAN interface that does not exist or
// whose name the kernel cannot take. It matches syscall.ENODEV
// (errors.Is) when the interface does not exist, and ENAMETOOLONG for a
// name of IFNAMSIZ bytes or more.
type InterfaceError struct {
	Name string // the interface name asked for
	Err  error  // syscall.ENODEV, syscall.ENAMETOOLONG, or the lookup's error
}

// Error says which interface is missing, in words a person can act on.
func (e *InterfaceError) Error() string {
	switch {
	case errors.Is(e.Err, syscall.ENODEV):
		return fmt.Sprintf("can: no interface %q (ip link lists them)", e.Name)
	case errors.Is(e.Err, syscall.ENAMETOOLONG):
		return fmt.Sprintf("can: interface name %q is longer than 15 bytes", e.Name)
	}
	return fmt.Sprintf("can: interface %q: %v", e.Name, e.Err)
}

// Unwrap returns the cause.
func (e *InterfaceError) Unwrap() error { return e.Err }
