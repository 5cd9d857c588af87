//go:build linux

package gateway

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// linkSampler reads interfaces' counters over one rtnetlink socket, opened
// once: a request (sendto) and its reply (recvfrom) per interface, into
// buffers reused from tick to tick, so a sample allocates nothing.
//
// rtnetlink answers a single-link RTM_GETLINK inside the sendto: the reply
// is queued on the socket before the call returns. So both calls are made
// non-blocking (MSG_DONTWAIT) and without the Go runtime's system call
// bookkeeping (unix.RawSyscall6), like the can package's batch calls: on a
// single CPU a bookkept call wakes the runtime's sysmon thread when it is
// parked and hands it the P when the call outlasts a sysmon tick, and that
// thread then competes with the forwarding goroutine for the CPU. The
// price: the kernel handles the request under the RTNL lock, so while
// another program holds it (changing links or addresses) the sendto waits
// for it and this goroutine keeps its P meanwhile, once a second at most.
// The socket joins no multicast group, so nothing else is ever queued on
// it.
type linkSampler struct {
	fd  int
	seq uint32
	req []byte
	buf []byte
}

// linkReplyMax bounds one RTM_NEWLINK reply. A CAN interface's is well
// under 2 KiB; a reply that does not fit is an error (MSG_TRUNC), not a
// misread.
const linkReplyMax = 32 << 10

func openLinkSampler() (*linkSampler, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("bus load: socket rtnetlink: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bus load: bind rtnetlink: %w", err)
	}
	return &linkSampler{fd: fd, req: make([]byte, 0, 64), buf: make([]byte, linkReplyMax)}, nil
}

func (ls *linkSampler) close() error {
	if ls.fd < 0 {
		return nil
	}
	err := unix.Close(ls.fd)
	ls.fd = -1
	return err
}

// errNoReply: the kernel queued no answer to a request.
var errNoReply = errors.New("bus load: rtnetlink queued no reply")

// sample reads the link named name into s.
func (ls *linkSampler) sample(name string, s *linkSample) error {
	if name == "" || len(name) >= unix.IFNAMSIZ {
		return fmt.Errorf("bus load: interface name %q: want 1 to %d bytes", name, unix.IFNAMSIZ-1)
	}
	ls.seq++
	ls.req = appendGetLink(ls.req[:0], ls.seq, name)
	if err := ls.call(unix.SYS_SENDTO, ls.req, unix.MSG_DONTWAIT); err != nil {
		return fmt.Errorf("bus load: send RTM_GETLINK %s: %w", name, err)
	}
	for {
		n, err := ls.recv()
		if err == unix.EAGAIN {
			return errNoReply
		}
		if err != nil {
			return fmt.Errorf("bus load: receive RTM_NEWLINK %s: %w", name, err)
		}
		if n > len(ls.buf) {
			return fmt.Errorf("bus load: RTM_NEWLINK %s: %d bytes, over the %d-byte buffer", name, n, len(ls.buf))
		}
		err = parseLinkReply(ls.buf[:n], ls.seq, s)
		if err == errStaleReply {
			continue
		}
		return err
	}
}

func (ls *linkSampler) call(trap uintptr, b []byte, flags int) error {
	for {
		_, _, e := unix.RawSyscall6(trap, uintptr(ls.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), uintptr(flags), 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		return nil
	}
}

// recv reads one datagram into ls.buf and returns its whole length (which
// exceeds the buffer when it was truncated: MSG_TRUNC).
func (ls *linkSampler) recv() (int, error) {
	for {
		r, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(ls.fd), uintptr(unsafe.Pointer(&ls.buf[0])), uintptr(len(ls.buf)),
			unix.MSG_DONTWAIT|unix.MSG_TRUNC, 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return 0, e
		}
		return int(r), nil
	}
}
