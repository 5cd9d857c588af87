//go:build linux

package core

import (
	"context"

	"golang.org/x/sys/unix"
)

// RecvMmsg receives up to len(msgs) datagrams with one recvmmsg(2) call
// and returns how many it filled. It waits (per the socket's mode) for the
// first datagram and then takes only what is already queued
// (MSG_WAITFORONE). In steady state it allocates nothing.
func (s *Socket) RecvMmsg(msgs []Message, flags int) (int, error) {
	return s.RecvMmsgContext(nil, msgs, flags)
}

// RecvMmsgContext is RecvMmsg with a context.
func (s *Socket) RecvMmsgContext(ctx context.Context, msgs []Message, flags int) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	o := s.getOp(false)
	o.prepareMmsg(msgs, false)
	o.kind = opRecvmmsg
	o.flags = flags | unix.MSG_WAITFORONE
	err := s.do(ctx, o, false, "recvmmsg")
	n, serr := o.n, o.err
	if err == nil && serr == nil {
		err = s.finishRecvMmsg(o, msgs[:n])
	}
	o.vlen = 0
	s.putOp(false, o)
	if err != nil {
		return n, err
	}
	if serr != nil {
		return 0, s.errnoError("recvmmsg", serr)
	}
	return n, nil
}

func (s *Socket) finishRecvMmsg(o *op, msgs []Message) error {
	var first error
	for i := range msgs {
		m := &msgs[i]
		h := &o.mm[i]
		m.N = int(h.Len)
		m.NOOB = int(h.Hdr.Controllen)
		m.Flags = int(h.Hdr.Flags)
		var raw []byte
		switch {
		case m.Name != nil:
			m.Name = m.Name[:min(int(h.Hdr.Namelen), cap(m.Name))]
			raw = m.Name
		case m.Addr != nil:
			raw = o.names[i][:min(int(h.Hdr.Namelen), sockaddrMax)]
		default:
			continue
		}
		if len(raw) == 0 {
			continue
		}
		if m.Addr != nil && UnmarshalSockaddr(raw, m.Addr) == nil {
			continue
		}
		a, err := s.parseAddr("recvmmsg", raw, nil)
		if err != nil && first == nil {
			first = err
		}
		m.Addr = a
	}
	return first
}

// SendMmsg sends msgs with one sendmmsg(2) call and returns how many were
// sent; each sent message's N is set. It waits (per the socket's mode)
// only while nothing can be sent. In steady state with reused pointer
// addresses it allocates nothing. On UDP sockets, runs of equal-size
// datagrams to one destination go to the kernel as one segmentation
// offload send each (UDP_SEGMENT; see SetUDPSegmentation): the same
// datagrams reach the receiver, for a fraction of the kernel's work.
func (s *Socket) SendMmsg(msgs []Message, flags int) (int, error) {
	return s.SendMmsgContext(nil, msgs, flags)
}

// SendMmsgContext is SendMmsg with a context.
func (s *Socket) SendMmsgContext(ctx context.Context, msgs []Message, flags int) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	if auditing() {
		for i := range msgs {
			audit("socket.sendmsg", s, msgs[i].Addr)
		}
	}
	return s.sendMmsg(ctx, msgs, flags, true)
}

// sendMmsg is SendMmsgContext after the audit hooks. On a UDP socket it
// coalesces runs of datagrams (socket_gso.go) unless that is off or
// mayCoalesce is false.
func (s *Socket) sendMmsg(ctx context.Context, msgs []Message, flags int, mayCoalesce bool) (int, error) {
	gso := mayCoalesce && len(msgs) > 1 && !s.noGSO.Load() && s.gsoCapable()
	o := s.getOp(true)
	var err error
	if gso {
		err = o.prepareGSO(msgs, int(s.gsoSegMax.Load()))
	} else {
		err = o.prepareMmsg(msgs, true)
	}
	if err != nil {
		o.vlen = 0
		s.putOp(true, o)
		return 0, opError("sendmmsg", socketNetName(s.family), err)
	}
	o.kind = opSendmmsg
	o.flags = flags
	err = s.do(ctx, o, true, "sendmmsg")
	n, serr := o.n, o.err
	coalesced := gso && o.segs[0] > 1
	if err == nil && serr == nil {
		if gso {
			n = o.gsoSent(msgs, n)
		} else {
			for i := 0; i < n; i++ {
				msgs[i].N = int(o.mm[i].Len)
			}
		}
	}
	o.vlen = 0
	s.putOp(true, o)
	if err != nil {
		return 0, err
	}
	if serr != nil {
		if coalesced && gsoRefusal(serr) {
			// Send again uncoalesced; only if that gets through was
			// UDP_SEGMENT the reason, and the socket remembers it.
			n, err := s.sendMmsg(ctx, msgs, flags, false)
			if n > 0 {
				s.gsoRefused(serr, messageLen(&msgs[0]))
			}
			return n, err
		}
		return 0, s.errnoError("sendmmsg", serr)
	}
	return n, nil
}

// prepareMmsg fills o's mmsghdr and iovec scratch for msgs, growing it
// when needed (the only allocations, amortised to zero).
func (o *op) prepareMmsg(msgs []Message, send bool) error {
	iovs := o.growMmsg(msgs)
	o.mm = o.mm[:len(msgs)]
	k := 0
	for i := range msgs {
		m := &msgs[i]
		h := &o.mm[i]
		h.Hdr = unix.Msghdr{}
		h.Len = 0
		if nb := len(m.Buffers); nb > 0 {
			iv := iovs[k : k+nb]
			for j, b := range m.Buffers {
				iv[j] = unix.Iovec{}
				if len(b) > 0 {
					iv[j].Base = &b[0]
					iv[j].SetLen(len(b))
				}
			}
			h.Hdr.Iov = &iv[0]
			h.Hdr.SetIovlen(nb)
			k += nb
		}
		if len(m.OOB) > 0 {
			h.Hdr.Control = &m.OOB[0]
			h.Hdr.SetControllen(len(m.OOB))
		}
		if send {
			if _, err := o.setName(h, i, m.Addr); err != nil {
				return err
			}
			continue
		}
		switch {
		case m.Name != nil && cap(m.Name) > 0:
			nb := m.Name[:cap(m.Name)]
			h.Hdr.Name = &nb[0]
			h.Hdr.Namelen = uint32(len(nb))
		case m.Name != nil || m.Addr != nil:
			h.Hdr.Name = &o.names[i][0]
			h.Hdr.Namelen = sockaddrMax
		}
	}
	o.vlen = len(msgs)
	return nil
}

// growMmsg sizes o's mmsghdr and name scratch for at least len(msgs)
// entries and returns iovec scratch for all their buffers, growing either
// when needed (the only allocations, amortised to zero).
func (o *op) growMmsg(msgs []Message) []unix.Iovec {
	niov := 0
	for i := range msgs {
		niov += len(msgs[i].Buffers)
	}
	if cap(o.mm) < len(msgs) {
		o.mm = make([]unix.Mmsghdr, len(msgs))
		o.names = make([][sockaddrMax]byte, len(msgs))
	}
	if cap(o.iovs) < niov {
		o.iovs = make([]unix.Iovec, niov)
	}
	return o.iovs[:niov]
}

// setName encodes a send's destination (nil: none, the connected peer)
// into entry i's name scratch and points h at it; it returns the encoded
// bytes.
func (o *op) setName(h *unix.Mmsghdr, i int, a Addr) ([]byte, error) {
	if a == nil {
		return nil, nil
	}
	raw, err := AppendSockaddr(o.names[i][:0], a)
	if err != nil {
		return nil, err
	}
	if len(raw) > sockaddrMax || len(raw) == 0 {
		return nil, unix.EINVAL
	}
	h.Hdr.Name = &o.names[i][0]
	h.Hdr.Namelen = uint32(len(raw))
	return raw, nil
}
