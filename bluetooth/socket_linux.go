//go:build linux

package bluetooth

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/fieldgate/fieldgate/core"
	"golang.org/x/sys/unix"
)

// newSocket creates an AF_BLUETOOTH socket; a kernel without Bluetooth (or
// without the protocol's module) gets an error naming what is missing.
func newSocket(typ, proto int) (*core.Socket, error) {
	s, err := core.NewSocket(unix.AF_BLUETOOTH, typ|unix.SOCK_CLOEXEC, proto)
	if errors.Is(err, unix.EAFNOSUPPORT) || errors.Is(err, unix.EPROTONOSUPPORT) {
		what := "Bluetooth (CONFIG_BT, module bluetooth)"
		if proto == unix.BTPROTO_RFCOMM {
			what = "RFCOMM (CONFIG_BT_RFCOMM, module rfcomm)"
		}
		return nil, fmt.Errorf("this kernel has no %s: %w", what, err)
	}
	return s, err
}

// ioctl runs an ioctl on s with a pointer argument (p may be nil: then arg
// is passed as the value).
func ioctl(s *core.Socket, req uintptr, p unsafe.Pointer, arg uintptr) error {
	rc, err := s.SyscallConn()
	if err != nil {
		return err
	}
	var errno unix.Errno
	if err := rc.Control(func(fd uintptr) {
		// p becomes a uintptr only in the call itself: converted
		// earlier, a buffer on the goroutine's stack could move (the
		// stack grows on the way here) and the kernel would write to
		// the old copy.
		if p != nil {
			_, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, req, uintptr(p))
		} else {
			_, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, req, arg)
		}
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}
