//go:build linux

package can

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsgDirect is the kernel-format message array of one direction of a
// RawConn, for recvmmsg/sendmmsg made directly on the socket's descriptor.
//
// The direct calls are non-blocking (the descriptor is O_NONBLOCK; a
// would-block is EAGAIN) and are made without the runtime's system call
// bookkeeping (unix.RawSyscall6). A Go program on one CPU otherwise hands
// its only P to another thread whenever a system call outlasts a sysmon
// tick (20 µs), which on an emulated or loaded machine is nearly every
// batch call: a futex wake-up, a thread switch and another one back per
// call. When the socket has nothing (or no room), the caller waits on the
// runtime poller as before.
type mmsgDirect struct {
	hdr  [MaxBatch]unix.Mmsghdr
	iov  [MaxBatch]unix.Iovec
	name [MaxBatch]unix.RawSockaddrCAN

	vlen  int                   // messages offered to the next call
	n     int                   // messages the last call moved
	errno unix.Errno            // the last call's error (0: none)
	fn    func(fd uintptr) bool // one call (retried on EINTR); false on EAGAIN
	once  func(fd uintptr)      // fn for syscall.RawConn.Control
	// afterEmpty, when set (by tests), runs when a call found nothing
	// to do (EAGAIN), before the caller waits.
	afterEmpty func()
}

func (m *mmsgDirect) init(recv bool, bufs *[MaxBatch][FDMTU]byte, oob *[MaxBatch][oobSize]byte) {
	trap := uintptr(unix.SYS_SENDMMSG)
	flags := uintptr(unix.MSG_DONTWAIT)
	if recv {
		trap = unix.SYS_RECVMMSG
		flags |= unix.MSG_WAITFORONE
	}
	for i := range m.hdr {
		m.iov[i].Base = &bufs[i][0]
		m.iov[i].SetLen(FDMTU)
		h := &m.hdr[i].Hdr
		h.Iov = &m.iov[i]
		h.Iovlen = 1
		if recv {
			h.Name = (*byte)(unsafe.Pointer(&m.name[i]))
			h.Control = &oob[i][0]
		}
	}
	m.fn = func(fd uintptr) bool {
		if recv {
			for i := range m.vlen {
				h := &m.hdr[i].Hdr
				h.Namelen = unix.SizeofSockaddrCAN
				h.SetControllen(oobSize)
				h.Flags = 0
			}
		}
		for {
			r, _, e := unix.RawSyscall6(trap, fd, uintptr(unsafe.Pointer(&m.hdr[0])), uintptr(m.vlen), flags, 0, 0)
			if e == unix.EINTR {
				continue
			}
			m.n, m.errno = int(r), e
			if e != 0 {
				m.n = 0
			}
			if e == unix.EAGAIN && m.afterEmpty != nil {
				m.afterEmpty()
			}
			return e != unix.EAGAIN
		}
	}
	m.once = func(fd uintptr) { m.fn(fd) }
}

// try makes one direct call on the socket's descriptor; it reports false when the
// socket would block (or the descriptor is closed), and the caller then
// takes the waiting path.
func (m *mmsgDirect) try(s *sock) bool {
	m.errno = unix.EAGAIN
	if s.rc.Control(m.once) != nil {
		return false
	}
	return m.errno != unix.EAGAIN
}
