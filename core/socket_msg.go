//go:build linux

package core

import (
	"context"
	"fmt"
	"io"

	"golang.org/x/sys/unix"
)

// SendMsg sends the concatenation of buffers (scatter/gather) with the
// control messages cmsgs, to addr when it is non-nil (Python's sendmsg).
func (s *Socket) SendMsg(buffers [][]byte, cmsgs []Cmsg, flags int, addr Addr) (int, error) {
	return s.SendMsgContext(nil, buffers, cmsgs, flags, addr)
}

// SendMsgContext is SendMsg with a context.
func (s *Socket) SendMsgContext(ctx context.Context, buffers [][]byte, cmsgs []Cmsg, flags int, addr Addr) (int, error) {
	if auditing() {
		audit("socket.sendmsg", s, addr)
	}
	var oob []byte
	if len(cmsgs) > 0 {
		oob = AppendCmsg(make([]byte, 0, CmsgBytes(cmsgs)), cmsgs...)
	}
	o := s.getOp(true)
	defer s.putOp(true, o)
	o.kind = opSendmsg
	o.flags = flags
	if addr != nil {
		raw, err := AppendSockaddr(o.sa[:0], addr)
		if err != nil {
			return 0, opError("sendmsg", socketNetName(s.family), err)
		}
		if len(raw) > len(o.sa) {
			return 0, opError("sendmsg", socketNetName(s.family), fmt.Errorf("address %v: sockaddr of %d bytes: %w", addr, len(raw), unix.EINVAL))
		}
		o.msg.Name = &o.sa[0]
		o.msg.Namelen = uint32(len(raw))
	}
	o.setIovecs(buffers)
	if len(oob) > 0 {
		o.msg.Control = &oob[0]
		o.msg.SetControllen(len(oob))
	}
	if err := s.do(ctx, o, true, "sendmsg"); err != nil {
		return 0, err
	}
	if o.err != nil {
		return 0, s.errnoError("sendmsg", o.err)
	}
	return o.n, nil
}

// setIovecs points o.msg at iovecs describing buffers.
func (o *op) setIovecs(buffers [][]byte) {
	if cap(o.iovs) < len(buffers) {
		o.iovs = make([]unix.Iovec, len(buffers))
	}
	o.iovs = o.iovs[:len(buffers)]
	for i, b := range buffers {
		o.iovs[i] = unix.Iovec{}
		if len(b) > 0 {
			o.iovs[i].Base = &b[0]
			o.iovs[i].SetLen(len(b))
		}
	}
	if len(buffers) > 0 {
		o.msg.Iov = &o.iovs[0]
		o.msg.SetIovlen(len(buffers))
	}
}

// RecvMsg receives up to bufsize bytes of data and up to ancbufsize bytes of
// control messages (Python's recvmsg). It returns the data, the control
// messages, the msg_flags (MSG_TRUNC, MSG_CTRUNC when the control data was
// truncated, ...) and the sender's address (nil when the kernel reports
// none). If the control data cannot be decoded, any descriptors received
// with SCM_RIGHTS are closed and an error is returned.
func (s *Socket) RecvMsg(bufsize, ancbufsize, flags int) ([]byte, []Cmsg, int, Addr, error) {
	return s.RecvMsgContext(nil, bufsize, ancbufsize, flags)
}

// RecvMsgContext is RecvMsg with a context.
func (s *Socket) RecvMsgContext(ctx context.Context, bufsize, ancbufsize, flags int) ([]byte, []Cmsg, int, Addr, error) {
	if bufsize < 0 {
		return nil, nil, 0, nil, opError("recvmsg", socketNetName(s.family), fmt.Errorf("negative buffer size %d: %w", bufsize, unix.EINVAL))
	}
	b := make([]byte, bufsize)
	n, cm, mf, a, err := s.recvmsg(ctx, [][]byte{b}, ancbufsize, flags, "recvmsg")
	if err != nil {
		return nil, nil, 0, nil, err
	}
	return b[:n], cm, mf, a, nil
}

// RecvMsgInto is RecvMsg scattering the data into buffers in order
// (Python's recvmsg_into); it returns the byte count received.
func (s *Socket) RecvMsgInto(buffers [][]byte, ancbufsize, flags int) (int, []Cmsg, int, Addr, error) {
	return s.recvmsg(nil, buffers, ancbufsize, flags, "recvmsg_into")
}

// RecvMsgIntoContext is RecvMsgInto with a context.
func (s *Socket) RecvMsgIntoContext(ctx context.Context, buffers [][]byte, ancbufsize, flags int) (int, []Cmsg, int, Addr, error) {
	return s.recvmsg(ctx, buffers, ancbufsize, flags, "recvmsg_into")
}

func (s *Socket) recvmsg(ctx context.Context, buffers [][]byte, ancbufsize, flags int, name string) (int, []Cmsg, int, Addr, error) {
	if ancbufsize < 0 {
		return 0, nil, 0, nil, opError(name, socketNetName(s.family), fmt.Errorf("negative ancillary buffer size %d: %w", ancbufsize, unix.EINVAL))
	}
	var oob []byte
	if ancbufsize > 0 {
		oob = make([]byte, ancbufsize)
	}
	o := s.getOp(false)
	defer s.putOp(false, o)
	o.kind = opRecvmsg
	o.flags = flags
	o.msg.Name = &o.sa[0]
	o.msg.Namelen = sockaddrMax
	o.setIovecs(buffers)
	if len(oob) > 0 {
		o.msg.Control = &oob[0]
		o.msg.SetControllen(len(oob))
	}
	if err := s.do(ctx, o, false, name); err != nil {
		return 0, nil, 0, nil, err
	}
	if o.err != nil {
		return 0, nil, 0, nil, s.errnoError(name, o.err)
	}
	n, mflags := o.n, int(o.msg.Flags)
	oob = oob[:min(int(o.msg.Controllen), len(oob))]
	cmsgs, err := ParseCmsg(oob)
	if err != nil {
		closeRights(cmsgs)
		return 0, nil, 0, nil, opError(name, socketNetName(s.family), err)
	}
	var from Addr
	if l := min(int(o.msg.Namelen), len(o.sa)); l > 0 {
		if from, err = s.parseAddr(name, o.sa[:l], nil); err != nil {
			closeRights(cmsgs)
			return 0, nil, 0, nil, err
		}
	}
	total := 0
	for _, b := range buffers {
		total += len(b)
	}
	if n == 0 && total > 0 && len(cmsgs) == 0 && s.typ == unix.SOCK_STREAM {
		return 0, nil, 0, nil, io.EOF
	}
	return n, cmsgs, mflags, from, nil
}

// closeRights closes every descriptor carried by SCM_RIGHTS messages.
func closeRights(cmsgs []Cmsg) {
	for _, c := range cmsgs {
		if c.Level == unix.SOL_SOCKET && c.Type == unix.SCM_RIGHTS {
			fds, _ := c.Rights()
			for _, fd := range fds {
				unix.Close(fd)
			}
		}
	}
}
