package core

import (
	"errors"
	"fmt"
	"syscall"
)

// ValueError reports an argument whose value a function refuses before any
// system call: Python's ValueError, as *RangeError is Python's
// OverflowError. errors.Is matches both its Err, the sentinel naming the
// case (ErrNegativeTimeout, ErrNoDualStack, ErrDualStackFamily,
// ErrPackedLength, ErrUnknownFamily), and syscall.EINVAL (unix.EINVAL).
type ValueError struct {
	Func   string // Python's name of the function: "settimeout", "create_server", "inet_ntop" ...
	Err    error  // the sentinel naming the case
	Detail string // the offending value, when it helps ("-5ns", "3 bytes for AF_INET, want 4")
}

func (e *ValueError) Error() string {
	s := "core: " + e.Func + ": " + e.Err.Error()
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// Unwrap returns the sentinel and syscall.EINVAL.
func (e *ValueError) Unwrap() []error { return []error{e.Err, syscall.EINVAL} }

// The sentinels of *ValueError, for errors.Is.
var (
	// ErrNegativeTimeout: a timeout below zero other than NoTimeout, given
	// to (*Socket).SetTimeout or SetDefaultTimeout (Python: "Timeout value
	// out of range").
	ErrNegativeTimeout = errors.New("timeout value out of range: want NoTimeout, 0 or a positive duration")

	// ErrNoDualStack: CreateServer with DualStackIPv6 on a host without
	// dual-stack sockets (HasDualStackIPv6 false; Python: "dualstack_ipv6
	// not supported on this platform"). It also matches
	// syscall.EAFNOSUPPORT, what CreateServer reported before.
	ErrNoDualStack = fmt.Errorf("dual-stack IPv6 is not supported on this host: %w", syscall.EAFNOSUPPORT)

	// ErrDualStackFamily: CreateServer with DualStackIPv6 for a family
	// other than AF_INET6 (Python: "dualstack_ipv6 requires AF_INET6
	// family").
	ErrDualStackFamily = errors.New("DualStackIPv6 requires Family AF_INET6")

	// ErrPackedLength: a packed IP address whose length does not fit the
	// family, given to InetNtop (Python: "invalid length of packed IP
	// address string"). InetNtoa's wrong length matches it too, but in an
	// *InetError rather than a *ValueError: Python raises OSError there.
	ErrPackedLength = errors.New("invalid length of packed IP address")

	// ErrUnknownFamily: InetNtop with a family other than AF_INET and
	// AF_INET6 (Python: "unknown address family"). It also matches
	// syscall.EAFNOSUPPORT, what InetNtop reported before.
	ErrUnknownFamily = fmt.Errorf("unknown address family: %w", syscall.EAFNOSUPPORT)
)
