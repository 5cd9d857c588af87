//go:build linux

package alg

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/fieldgate/fieldgate/core"
	"golang.org/x/sys/unix"
)

// This file is the whole AF_ALG socket layer, on fieldgate's socket engine
// (core.Socket): socket+bind to a core.ALGAddr, setsockopt with a value or
// with a NULL value and a length, accept with a NULL sockaddr, sendmsg
// carrying the op/IV/assoclen control messages in one call, and reads.
// Everything else in the package is written against these few methods.

// fd is one AF_ALG socket: either the transform socket (bound, keyed) or an
// operation socket returned by accept.
type fd struct {
	s *core.Socket
}

// kernelSocket opens an AF_ALG transform socket bound to typ and name.
func kernelSocket(typ, name string) (*fd, error) {
	if err := checkSockaddr(typ, name); err != nil {
		return nil, err
	}
	s, err := core.NewSocket(unix.AF_ALG, unix.SOCK_SEQPACKET, 0)
	if err != nil {
		return nil, &Error{Op: "socket", Alg: name, Err: supportError("", err)}
	}
	if err := s.Bind(core.ALGAddr{Type: typ, Name: name}); err != nil {
		s.Close()
		return nil, &Error{Op: "bind", Alg: name, Err: bindError(typ, name, err)}
	}
	return &fd{s: s}, nil
}

// setBytes sets a SOL_ALG option to b (ALG_SET_KEY, ALG_SET_DRBG_ENTROPY);
// an empty b is a zero-length value (an RNG reset without seed).
func (f *fd) setBytes(opt int, b []byte) error {
	return f.s.SetsockoptBytes(unix.SOL_ALG, opt, b)
}

// setNull sets a SOL_ALG option whose value is carried by optlen alone, with
// a NULL optval (ALG_SET_AEAD_AUTHSIZE).
func (f *fd) setNull(opt, optlen int) error {
	return f.s.SetsockoptNull(unix.SOL_ALG, opt, optlen)
}

// setKeySerial sets the key from a kernel keyring serial
// (ALG_SET_KEY_BY_KEY_SERIAL, Linux 6.2 and later).
func (f *fd) setKeySerial(serial int32) error {
	return f.s.SetsockoptInt(unix.SOL_ALG, unix.ALG_SET_KEY_BY_KEY_SERIAL, int(serial))
}

// setBuffers raises the socket buffers of an operation socket so one AEAD
// message (sent whole) and one skcipher chunk fit. The forcing variants need
// CAP_NET_ADMIN; without it the kernel caps the plain ones at wmem_max.
func (f *fd) setBuffers(size int) {
	if f.s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, size) != nil {
		_ = f.s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_SNDBUF, size)
	}
	if f.s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, size) != nil {
		_ = f.s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_RCVBUF, size)
	}
}

// sndbuf reports the effective send buffer size.
func (f *fd) sndbuf() int {
	v, err := f.s.GetsockoptInt(unix.SOL_SOCKET, unix.SO_SNDBUF)
	if err != nil {
		return 0
	}
	return v
}

// accept returns a new operation socket. On a transform socket it starts a
// fresh operation; on a hash operation socket it clones the running state.
// The peer address is NULL: AF_ALG has no sockaddr to return.
func (f *fd) accept() (*fd, error) {
	s, err := f.s.AcceptNoAddr()
	if err != nil {
		return nil, err
	}
	return &fd{s: s}, nil
}

// dup duplicates the socket (a hash clone's own transform socket).
func (f *fd) dup() (*fd, error) {
	s, err := f.s.Dup()
	if err != nil {
		return nil, err
	}
	return &fd{s: s}, nil
}

// control builds the SOL_ALG control messages of one sendmsg_afalg call:
// ALG_SET_OP, then ALG_SET_IV (struct af_alg_iv) if iv is non-nil, then
// ALG_SET_AEAD_ASSOCLEN if assoclen >= 0.
func control(op uint32, iv []byte, assoclen int) []core.Cmsg {
	cm := make([]core.Cmsg, 0, 3)
	cm = append(cm, core.Cmsg{Level: unix.SOL_ALG, Type: unix.ALG_SET_OP, Data: binary.NativeEndian.AppendUint32(nil, op)})
	if iv != nil {
		d := binary.NativeEndian.AppendUint32(make([]byte, 0, 4+len(iv)), uint32(len(iv)))
		cm = append(cm, core.Cmsg{Level: unix.SOL_ALG, Type: unix.ALG_SET_IV, Data: append(d, iv...)})
	}
	if assoclen >= 0 {
		cm = append(cm, core.Cmsg{Level: unix.SOL_ALG, Type: unix.ALG_SET_AEAD_ASSOCLEN, Data: binary.NativeEndian.AppendUint32(nil, uint32(assoclen))})
	}
	return cm
}

// sendmsg sends the buffers (gathered, without copying them together) and
// the control messages in one sendmsg(2). It returns the bytes accepted.
func (f *fd) sendmsg(bufs [][]byte, cmsgs []core.Cmsg, flags int) (int, error) {
	return f.s.SendMsg(bufs, cmsgs, flags, nil)
}

// send sends p with flags (MSG_MORE while a stream continues).
func (f *fd) send(p []byte, flags int) (int, error) {
	return f.s.SendMsg([][]byte{p}, nil, flags, nil)
}

// read reads into the buffers with recvmsg(2) and MSG_DONTWAIT: every
// operation this package starts has all its input queued, so the kernel
// never needs to wait for more; if it would, the state is out of step and
// an error beats a hang.
func (f *fd) read(bufs ...[]byte) (int, error) {
	n, _, _, _, err := f.s.RecvMsgInto(bufs, 0, unix.MSG_DONTWAIT)
	if errors.Is(err, unix.EAGAIN) {
		return n, fmt.Errorf("kernel has no result to read (operation state out of step): %w", err)
	}
	return n, err
}

// Close closes the socket; it is safe to call more than once.
func (f *fd) Close() error {
	if f == nil || f.s == nil {
		return nil
	}
	err := f.s.Close()
	f.s = nil
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
