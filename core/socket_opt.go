//go:build linux

package core

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// GetsockoptInt returns an integer socket option (Python's getsockopt
// without buflen).
func (s *Socket) GetsockoptInt(level, name int) (int, error) {
	var v int
	err := s.control("getsockopt", func(fd int) error {
		var err error
		v, err = unix.GetsockoptInt(fd, level, name)
		return err
	})
	return v, err
}

// MaxSockoptLen is the largest buflen GetsockoptBytes accepts.
const MaxSockoptLen = 64 << 10

// GetsockoptBytes returns up to buflen bytes of a socket option (Python's
// getsockopt with buflen), trimmed to the length the kernel reports.
// CPython caps buflen at 1024; we allow up to MaxSockoptLen because some
// Linux options are longer (CAN_RAW_FILTER holds up to 512 filters, 4096
// bytes).
func (s *Socket) GetsockoptBytes(level, name, buflen int) ([]byte, error) {
	if buflen < 0 || buflen > MaxSockoptLen {
		return nil, opError("getsockopt", socketNetName(s.family), fmt.Errorf("buflen %d out of range 0..%d: %w", buflen, MaxSockoptLen, unix.EINVAL))
	}
	b := make([]byte, buflen)
	l := uint32(buflen)
	err := s.control("getsockopt", func(fd int) error {
		l = uint32(buflen)
		var p unsafe.Pointer
		if buflen > 0 {
			p = unsafe.Pointer(&b[0])
		}
		_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(name), uintptr(p), uintptr(unsafe.Pointer(&l)), 0)
		return errnoErr(e)
	})
	if err != nil {
		return nil, err
	}
	return b[:min(int(l), buflen)], nil
}

// SetsockoptInt sets an integer socket option.
func (s *Socket) SetsockoptInt(level, name, value int) error {
	return s.control("setsockopt", func(fd int) error { return unix.SetsockoptInt(fd, level, name, value) })
}

// SetsockoptBytes sets a socket option to the bytes of v, passed verbatim.
func (s *Socket) SetsockoptBytes(level, name int, v []byte) error {
	return s.control("setsockopt", func(fd int) error {
		var p unsafe.Pointer
		if len(v) > 0 {
			p = unsafe.Pointer(&v[0])
		}
		_, _, e := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(fd), uintptr(level), uintptr(name), uintptr(p), uintptr(len(v)), 0)
		return errnoErr(e)
	})
}

// SetsockoptNull calls setsockopt with a NULL value and the given optlen
// (Python's setsockopt(level, name, None, optlen)), as AF_ALG's
// ALG_SET_AEAD_AUTHSIZE requires.
func (s *Socket) SetsockoptNull(level, name, optlen int) error {
	if optlen < 0 {
		return opError("setsockopt", socketNetName(s.family), fmt.Errorf("negative optlen %d: %w", optlen, unix.EINVAL))
	}
	return s.control("setsockopt", func(fd int) error {
		_, _, e := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(fd), uintptr(level), uintptr(name), 0, uintptr(optlen), 0)
		return errnoErr(e)
	})
}
