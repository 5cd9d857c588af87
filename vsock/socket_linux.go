//go:build linux

package vsock

import (
	"fmt"
	"time"

	"github.com/fieldgate/fieldgate/core"
	"golang.org/x/sys/unix"
)

// open creates a blocking socket of cfg's type with cfg's options set.
func open(op string, cfg *Config, connectTimeout time.Duration) (*core.Socket, error) {
	s, err := core.NewSocket(unix.AF_VSOCK, cfg.typ(), 0)
	if err != nil {
		return nil, fmt.Errorf("vsock: %s: %w", op, err)
	}
	// Blocking with no timeout whatever core.DefaultTimeout says:
	// deadlines and contexts bound the waits.
	if err := s.SetTimeout(-1); err != nil {
		s.Close()
		return nil, fmt.Errorf("vsock: %s: %w", op, err)
	}
	if err := setOptions(s, cfg, connectTimeout); err != nil {
		s.Close()
		return nil, fmt.Errorf("vsock: %s: %w", op, err)
	}
	return s, nil
}

func setOptions(s *core.Socket, cfg *Config, connectTimeout time.Duration) error {
	type opt struct {
		name string
		opt  int
		v    uint64
	}
	var opts []opt
	if cfg != nil {
		// Max before min before size, so each value is inside the bounds
		// set before it.
		opts = []opt{
			{"SO_VM_SOCKETS_BUFFER_MAX_SIZE", unix.SO_VM_SOCKETS_BUFFER_MAX_SIZE, cfg.BufferMaxSize},
			{"SO_VM_SOCKETS_BUFFER_MIN_SIZE", unix.SO_VM_SOCKETS_BUFFER_MIN_SIZE, cfg.BufferMinSize},
			{"SO_VM_SOCKETS_BUFFER_SIZE", unix.SO_VM_SOCKETS_BUFFER_SIZE, cfg.BufferSize},
		}
	}
	rc, err := s.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	cerr := rc.Control(func(fd uintptr) {
		for _, o := range opts {
			if o.v == 0 {
				continue
			}
			if err := unix.SetsockoptUint64(int(fd), unix.AF_VSOCK, o.opt, o.v); err != nil {
				serr = fmt.Errorf("setsockopt %s %d: %w", o.name, o.v, err)
				return
			}
		}
		if connectTimeout > 0 {
			tv := unix.NsecToTimeval(connectTimeout.Nanoseconds())
			if tv.Sec == 0 && tv.Usec == 0 {
				tv.Usec = 1
			}
			if err := unix.SetsockoptTimeval(int(fd), unix.AF_VSOCK, unix.SO_VM_SOCKETS_CONNECT_TIMEOUT, &tv); err != nil {
				serr = fmt.Errorf("setsockopt SO_VM_SOCKETS_CONNECT_TIMEOUT %v: %w", connectTimeout, err)
			}
		}
	})
	if cerr != nil {
		return cerr
	}
	return serr
}

// addrOf converts a core name to an *Addr (nil for none).
func addrOf(a core.Addr, err error) *Addr {
	if err != nil {
		return nil
	}
	switch v := a.(type) {
	case *core.VSockAddr:
		return &Addr{ContextID: v.CID, Port: v.Port}
	case core.VSockAddr:
		return &Addr{ContextID: v.CID, Port: v.Port}
	}
	return nil
}

// BufferSize reads SO_VM_SOCKETS_BUFFER_SIZE of s (what the kernel really
// uses after capping).
func bufferSize(s *core.Socket) (uint64, error) {
	rc, err := s.SyscallConn()
	if err != nil {
		return 0, err
	}
	var v uint64
	var gerr error
	if err := rc.Control(func(fd uintptr) {
		v, gerr = unix.GetsockoptUint64(int(fd), unix.AF_VSOCK, unix.SO_VM_SOCKETS_BUFFER_SIZE)
	}); err != nil {
		return 0, err
	}
	if gerr != nil {
		return 0, fmt.Errorf("getsockopt SO_VM_SOCKETS_BUFFER_SIZE: %w", gerr)
	}
	return v, nil
}
