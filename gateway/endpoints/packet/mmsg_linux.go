//go:build linux

package packet

import (
	"unsafe"

	"github.com/fieldgate/fieldgate/gateway/frame"
	afpacket "github.com/fieldgate/fieldgate/packet"
	"golang.org/x/sys/unix"
)

// mmsghdr is struct mmsghdr (linux/socket.h).
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
	_   [4]byte
}

// packetTx sends batches of frames on a packet socket with one
// sendmmsg(2), without allocating: the headers, the I/O vectors and the
// poller callback are made once. The socket is bound to its interface, so
// the messages carry no address. One sender at a time (the endpoint's
// writer goroutine).
type packetTx struct {
	hdrs []mmsghdr
	iovs []unix.Iovec
	fn   func(fd uintptr) bool
	n    int
	sent int
	err  error
}

func newPacketTx(size int) *packetTx {
	t := &packetTx{hdrs: make([]mmsghdr, size), iovs: make([]unix.Iovec, size)}
	for i := range t.hdrs {
		t.hdrs[i].hdr.Iov = &t.iovs[i]
		t.hdrs[i].hdr.SetIovlen(1)
	}
	t.fn = t.call
	return t
}

func (t *packetTx) call(fd uintptr) bool {
	for {
		r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&t.hdrs[0])), uintptr(t.n), 0, 0, 0)
		switch e {
		case 0:
			t.sent, t.err = int(r), nil
			return true
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false // wait on the poller until the socket is writable
		}
		t.sent, t.err = 0, e
		return true
	}
}

// write sends frames[:n] (n <= len(t.hdrs)), which must all be Ethernet
// frames, and returns how many the kernel took. An error concerns the first
// frame not sent.
func (t *packetTx) write(c *afpacket.Conn, frames []frame.Frame) (int, error) {
	t.n = min(len(frames), len(t.hdrs))
	for i := range t.n {
		f := &frames[i]
		t.iovs[i].Base = &f.Data[0]
		t.iovs[i].SetLen(int(f.Len))
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	if err := rc.Write(t.fn); err != nil {
		return 0, err
	}
	for i := range t.n {
		t.iovs[i].Base = nil // do not keep the frames reachable
	}
	if t.err != nil {
		return t.sent, &syscallError{op: "sendmmsg", err: t.err}
	}
	return t.sent, nil
}

// syscallError wraps an errno as os.SyscallError does, without the
// allocation of os.NewSyscallError on the happy path (it is only built on
// failure). errors.Is(err, unix.ENETDOWN) holds.
type syscallError struct {
	op  string
	err error
}

func (e *syscallError) Error() string { return e.op + ": " + e.err.Error() }
func (e *syscallError) Unwrap() error { return e.err }
