//go:build linux

package can

import (
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// lastStamp returns the kernel's receive time of the message the last read
// on the socket returned (ioctl SIOCGSTAMPNS, as socketcand asks with
// SIOCGSTAMP). ENOENT: nothing was read yet.
//
// The kernel records receive times for a socket only from its first
// SIOCGSTAMP(NS) on: for a message read before that, it returns the time
// of the call instead. Call Timestamp once right after opening (it fails
// with ENOENT then) so that every message read later has its own.
func (s *sock) lastStamp() (time.Time, error) {
	var ts unix.Timespec
	var errno syscall.Errno
	err := s.rc.Control(func(fd uintptr) {
		_, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, unix.SIOCGSTAMPNS, uintptr(unsafe.Pointer(&ts)))
	})
	if err == nil && errno != 0 {
		err = errno
	}
	if err != nil {
		return time.Time{}, s.wrap("ioctl SIOCGSTAMPNS", err)
	}
	return time.Unix(ts.Unix()), nil
}

// Timestamp returns when the kernel received the PDU the last ReadPDU
// returned (its last frame). Call it from the goroutine that reads, and
// once right after DialISOTP (see lastStamp: the first call switches the
// socket's timestamps on).
func (c *ISOTPConn) Timestamp() (time.Time, error) { return c.s.lastStamp() }

// Timestamp returns the receive time of the frame in the last message
// ReadMsg returned (for RxChanged: when the kernel received that frame).
// Call it from the goroutine that reads, and once right after DialBCM (the
// first call switches the socket's timestamps on).
func (c *BCMConn) Timestamp() (time.Time, error) { return c.s.lastStamp() }
