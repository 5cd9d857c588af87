//go:build linux

package core

import (
	"context"
	"fmt"

	"golang.org/x/sys/unix"
)

// SendFDs sends buffers together with the descriptors fds in one
// SCM_RIGHTS message over an AF_UNIX socket (Python's socket.send_fds).
// addr may be nil on a connected socket.
func SendFDs(s *Socket, buffers [][]byte, fds []int, flags int, addr Addr) (int, error) {
	return SendFDsContext(nil, s, buffers, fds, flags, addr)
}

// SendFDsContext is SendFDs with a context.
func SendFDsContext(ctx context.Context, s *Socket, buffers [][]byte, fds []int, flags int, addr Addr) (int, error) {
	var cm []Cmsg
	if len(fds) > 0 {
		cm = []Cmsg{RightsCmsg(fds...)}
	}
	return s.SendMsgContext(ctx, buffers, cm, flags, addr)
}

// RecvFDs receives up to bufsize bytes and up to maxfds descriptors
// (Python's socket.recv_fds). It returns the data, the descriptors (owned
// by the caller, close-on-exec: MSG_CMSG_CLOEXEC is always set), the
// msg_flags and the sender's address. msg_flags has MSG_CTRUNC when more
// descriptors were sent than maxfds (the kernel discards the rest); it
// never has MSG_CMSG_CLOEXEC, which the kernel echoes back, so it reads as
// Python's. Unlike Python's recv_fds, which ignores its flags argument,
// flags (MSG_PEEK, MSG_DONTWAIT ...) reach recvmsg(2).
func RecvFDs(s *Socket, bufsize, maxfds, flags int) ([]byte, []int, int, Addr, error) {
	return RecvFDsContext(nil, s, bufsize, maxfds, flags)
}

// RecvFDsContext is RecvFDs with a context.
func RecvFDsContext(ctx context.Context, s *Socket, bufsize, maxfds, flags int) ([]byte, []int, int, Addr, error) {
	if maxfds < 0 {
		return nil, nil, 0, nil, opError("recv_fds", socketNetName(s.family), fmt.Errorf("negative maxfds %d: %w", maxfds, unix.EINVAL))
	}
	data, cmsgs, mflags, from, err := s.RecvMsgContext(ctx, bufsize, unix.CmsgLen(4*maxfds), flags|unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, nil, 0, nil, err
	}
	var fds []int
	for _, c := range cmsgs {
		if c.Level != unix.SOL_SOCKET || c.Type != unix.SCM_RIGHTS {
			continue
		}
		got, rerr := c.Rights()
		fds = append(fds, got...)
		if rerr != nil {
			for _, fd := range fds {
				unix.Close(fd)
			}
			return nil, nil, 0, nil, opError("recv_fds", socketNetName(s.family), rerr)
		}
	}
	// The kernel echoes MSG_CMSG_CLOEXEC into msg_flags; it is a request,
	// not a result, and Python's recv_fds reports 0 (or MSG_CTRUNC).
	return data, fds, mflags &^ unix.MSG_CMSG_CLOEXEC, from, nil
}
