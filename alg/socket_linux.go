//go:build linux

package alg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// This file is the whole AF_ALG socket layer: socket+bind, setsockopt with a
// value or with a NULL value and a length, accept with a NULL sockaddr (which
// Go's unix.Accept cannot do), sendmsg carrying the op/IV/assoclen control
// messages in one call, and reads. Everything else in the package is written
// against these few methods.
//
// It uses raw blocking system calls rather than core.Socket on purpose: a
// version on core.Socket (git history, commit 99ddd41) passed every rig test
// but cost up to 3.5x more per small operation on the rig (sha256 of 16 B:
// 1.74 ms against 0.50 ms; cbc(aes) of 16 B: 232 us against 142 us), since
// every accept/close of a hash operation socket registers it with the
// runtime poller and every call goes through it, while AF_ALG operations
// never wait for a peer. BENCHMARKS.md, section alg, has the figures.

// fd is one AF_ALG socket: either the transform socket (bound, keyed) or an
// operation socket returned by accept.
type fd struct {
	n int
}

// kernelSocket opens an AF_ALG transform socket bound to typ and name.
func kernelSocket(typ, name string) (*fd, error) {
	if err := checkSockaddr(typ, name); err != nil {
		return nil, err
	}
	n, err := unix.Socket(unix.AF_ALG, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, &Error{Op: "socket", Alg: name, Err: supportError("", err)}
	}
	s := &fd{n: n}
	sa := &unix.SockaddrALG{Type: typ, Name: name}
	if err := unix.Bind(n, sa); err != nil {
		s.Close()
		return nil, &Error{Op: "bind", Alg: name, Err: bindError(typ, name, err)}
	}
	return s, nil
}

// setsockopt calls setsockopt(2) at SOL_ALG with an arbitrary pointer and
// length, so a NULL value with a non-zero length (ALG_SET_AEAD_AUTHSIZE) and
// an empty value (an RNG seed of zero bytes) are both expressible.
func (s *fd) setsockopt(opt int, p unsafe.Pointer, n int) error {
	for {
		_, _, e := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(s.n), unix.SOL_ALG, uintptr(opt), uintptr(p), uintptr(n), 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		return nil
	}
}

// setBytes sets a SOL_ALG option to b (ALG_SET_KEY, ALG_SET_DRBG_ENTROPY).
func (s *fd) setBytes(opt int, b []byte) error {
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	err := s.setsockopt(opt, p, len(b))
	runtime.KeepAlive(b)
	return err
}

// setNull sets a SOL_ALG option whose value is carried by optlen alone, with
// a NULL optval (ALG_SET_AEAD_AUTHSIZE).
func (s *fd) setNull(opt, optlen int) error { return s.setsockopt(opt, nil, optlen) }

// setKeySerial sets the key from a kernel keyring serial
// (ALG_SET_KEY_BY_KEY_SERIAL, Linux 6.2 and later).
func (s *fd) setKeySerial(serial int32) error {
	v := serial
	return s.setsockopt(unix.ALG_SET_KEY_BY_KEY_SERIAL, unsafe.Pointer(&v), 4)
}

// setBuffers raises the socket buffers of an operation socket so one AEAD
// message (sent whole) and one skcipher chunk fit. The forcing variants need
// CAP_NET_ADMIN; without it the kernel caps the plain ones at wmem_max.
func (s *fd) setBuffers(size int) {
	if unix.SetsockoptInt(s.n, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, size) != nil {
		_ = unix.SetsockoptInt(s.n, unix.SOL_SOCKET, unix.SO_SNDBUF, size)
	}
	if unix.SetsockoptInt(s.n, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, size) != nil {
		_ = unix.SetsockoptInt(s.n, unix.SOL_SOCKET, unix.SO_RCVBUF, size)
	}
}

// sndbuf reports the effective send buffer size.
func (s *fd) sndbuf() int {
	v, err := unix.GetsockoptInt(s.n, unix.SOL_SOCKET, unix.SO_SNDBUF)
	if err != nil {
		return 0
	}
	return v
}

// dup duplicates the socket (a hash clone's own transform socket).
func (s *fd) dup() (*fd, error) {
	n, err := unix.FcntlInt(uintptr(s.n), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return &fd{n: n}, nil
}

// accept returns a new operation socket. On a transform socket it starts a
// fresh operation; on a hash operation socket it clones the running state.
// The peer address is NULL: AF_ALG has no sockaddr to return.
func (s *fd) accept() (*fd, error) {
	for {
		r, _, e := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(s.n), 0, 0, unix.SOCK_CLOEXEC, 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return nil, e
		}
		return &fd{n: int(r)}, nil
	}
}

// control builds the SOL_ALG control messages of one sendmsg_afalg call:
// ALG_SET_OP, then ALG_SET_IV if iv is non-nil, then ALG_SET_AEAD_ASSOCLEN if
// assoclen >= 0.
func control(op uint32, iv []byte, assoclen int) []byte {
	n := unix.CmsgSpace(4)
	if iv != nil {
		n += unix.CmsgSpace(4 + len(iv))
	}
	if assoclen >= 0 {
		n += unix.CmsgSpace(4)
	}
	b := make([]byte, n)
	off := putCmsg(b, unix.ALG_SET_OP, 4)
	binary.NativeEndian.PutUint32(b[off:], op)
	next := unix.CmsgSpace(4)
	if iv != nil {
		off = putCmsg(b[next:], unix.ALG_SET_IV, 4+len(iv))
		binary.NativeEndian.PutUint32(b[next+off:], uint32(len(iv)))
		copy(b[next+off+4:], iv)
		next += unix.CmsgSpace(4 + len(iv))
	}
	if assoclen >= 0 {
		off = putCmsg(b[next:], unix.ALG_SET_AEAD_ASSOCLEN, 4)
		binary.NativeEndian.PutUint32(b[next+off:], uint32(assoclen))
	}
	return b
}

// putCmsg writes a cmsghdr at the start of b and returns the data offset.
func putCmsg(b []byte, typ int32, datalen int) int {
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level = unix.SOL_ALG
	h.Type = typ
	h.SetLen(unix.CmsgLen(datalen))
	return unix.CmsgLen(0)
}

// sendmsg sends the buffers (gathered, without copying them together) and
// the control messages in one sendmsg(2). It returns the bytes accepted.
func (s *fd) sendmsg(bufs [][]byte, oob []byte, flags int) (int, error) {
	var iov [4]unix.Iovec
	if len(bufs) > len(iov) {
		return 0, unix.EINVAL
	}
	var msg unix.Msghdr
	k := 0
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		iov[k].Base = &b[0]
		iov[k].SetLen(len(b))
		k++
	}
	if k > 0 {
		msg.Iov = &iov[0]
		msg.SetIovlen(k)
	}
	if len(oob) > 0 {
		msg.Control = &oob[0]
		msg.SetControllen(len(oob))
	}
	for {
		r, _, e := unix.Syscall(unix.SYS_SENDMSG, uintptr(s.n), uintptr(unsafe.Pointer(&msg)), uintptr(flags))
		if e == unix.EINTR {
			continue
		}
		runtime.KeepAlive(bufs)
		runtime.KeepAlive(oob)
		if e != 0 {
			return int(r), e
		}
		return int(r), nil
	}
}

// send sends p with flags (MSG_MORE while a stream continues).
func (s *fd) send(p []byte, flags int) (int, error) {
	return s.sendmsg([][]byte{p}, nil, flags)
}

// read reads into the buffers with recvmsg(2) and MSG_DONTWAIT: every
// operation this package starts has all its input queued, so the kernel
// never needs to wait for more; if it would, the state is out of step and
// an error beats a hang.
func (s *fd) read(bufs ...[]byte) (int, error) {
	for {
		n, _, _, _, err := unix.RecvmsgBuffers(s.n, bufs, nil, unix.MSG_DONTWAIT)
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			return n, fmt.Errorf("kernel has no result to read (operation state out of step): %w", err)
		}
		return n, err
	}
}

// Close closes the socket; it is safe to call more than once.
func (s *fd) Close() error {
	if s == nil || s.n < 0 {
		return nil
	}
	err := unix.Close(s.n)
	s.n = -1
	return err
}

// kernelAvailable reports whether socket(AF_ALG) works at all, with the
// error that names the missing support when it does not.
func kernelAvailable() error {
	n, err := unix.Socket(unix.AF_ALG, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return supportError("", err)
	}
	unix.Close(n)
	return nil
}

// isBadMsg reports whether err is the kernel's authentication failure.
func isBadMsg(err error) bool { return errors.Is(err, unix.EBADMSG) }

// kernelProbe binds a transform socket for name and closes it: it tells
// whether the kernel can run name, and instantiates templates so that
// /proc/crypto lists them.
func kernelProbe(typ, name string) error {
	s, err := kernelSocket(typ, name)
	if err != nil {
		return err
	}
	return s.Close()
}
