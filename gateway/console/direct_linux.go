//go:build linux

package console

import (
	"io"
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// directWriter writes an event stream's bytes on a plain TCP connection
// with a non-blocking send(2) made without the runtime's system call
// bookkeeping (unix.RawSyscall6), as can/rawmmsg_linux.go does for
// frames: on one slow CPU a write that wakes the reader outlasts a sysmon
// tick and the runtime hands its only P to another thread, a thread
// wake-up and two switches per event. What the socket has no room for
// (EAGAIN, a partial send) goes through conn.Write, which waits on the
// runtime poller.
type directWriter struct {
	conn net.Conn
	rc   syscall.RawConn

	b     []byte
	n     int
	errno unix.Errno
	fn    func(fd uintptr)
}

// newDirectWriter returns a directWriter on conn, or conn itself when it
// is not a plain TCP connection.
func newDirectWriter(conn net.Conn) io.Writer {
	tc, ok := conn.(*net.TCPConn)
	if !ok {
		return conn
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return conn
	}
	d := &directWriter{conn: conn, rc: rc}
	d.fn = func(fd uintptr) {
		for d.n < len(d.b) {
			r, _, e := unix.RawSyscall6(unix.SYS_SENDTO, fd, uintptr(unsafe.Pointer(&d.b[d.n])), uintptr(len(d.b)-d.n),
				unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL, 0, 0)
			if e == unix.EINTR {
				continue
			}
			if e != 0 {
				d.errno = e
				return
			}
			d.n += int(r)
		}
	}
	return d
}

// Write writes b, directly while the socket has room.
func (d *directWriter) Write(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	d.b, d.n, d.errno = b, 0, 0
	err := d.rc.Control(d.fn)
	n := d.n
	d.b = nil
	switch {
	case err != nil:
		return n, err
	case d.errno == 0:
		return n, nil
	case d.errno != unix.EAGAIN:
		return n, d.errno
	}
	m, err := d.conn.Write(b[n:])
	return n + m, err
}
