//go:build linux

package core

import (
	"bytes"
	"encoding/binary"
	"errors"
	"unsafe"

	"golang.org/x/sys/unix"
)

// UDP segmentation offload in SendMmsg.
//
// On a UDP socket SendMmsg coalesces each run of consecutive messages
// that go to the same destination, carry no control data and have the
// same length (the run's last may be shorter) into one sendmmsg entry
// whose iovecs hold all of the run's buffers and whose UDP_SEGMENT
// control message gives the datagram size (Linux 4.18+). The kernel then
// builds and routes one packet for the run and splits it into the
// original datagrams (in the device driver with hardware segmentation,
// in software otherwise, or at the receiving socket on loopback): the
// datagrams on the wire and the ones a receiver reads are exactly those
// of the messages, while the per-datagram work of the send path is done
// once per run. A receiver that enabled UDP_GRO may get a run as one
// coalesced read; that is its choice.
//
// A coalesced send the kernel refuses is sent again one entry per
// message, so callers see only the errors plain sendmmsg would give. When
// that resend gets through, UDP_SEGMENT was the reason and the socket
// remembers: a size refusal (EMSGSIZE, EINVAL: the datagram does not fit
// the path MTU) stops runs of that size and larger from being coalesced;
// any other (EIO: the route's device cannot checksum; ENOPROTOOPT,
// EOPNOTSUPP: no UDP_SEGMENT) turns coalescing off for the socket. An
// error the resend gets too (bad flags, say) changes nothing.

const (
	// gsoMaxSegs is the most datagrams one UDP_SEGMENT send may carry
	// (UDP_MAX_SEGMENTS).
	gsoMaxSegs = 64
	// gsoMaxBytes bounds the payload of one coalesced send: one IPv4
	// datagram's (65535 - 20 - 8).
	gsoMaxBytes = 65507
	// gsoMaxIov bounds the iovecs of one coalesced send (UIO_MAXIOV).
	gsoMaxIov = 1024
	// gsoCmsgSpace is CMSG_SPACE(sizeof(uint16)).
	gsoCmsgSpace = 24
)

// SetUDPSegmentation turns SendMmsg's coalescing of equal-size datagrams
// (UDP_SEGMENT, on by default for UDP sockets) on or off.
func (s *Socket) SetUDPSegmentation(on bool) { s.noGSO.Store(!on) }

// UDPSegmentation reports whether SendMmsg coalesces datagrams: the socket
// is UDP, coalescing was not turned off, and the kernel has not refused it.
func (s *Socket) UDPSegmentation() bool { return s.gsoCapable() && !s.noGSO.Load() }

func (s *Socket) gsoCapable() bool {
	return (s.family == unix.AF_INET || s.family == unix.AF_INET6) &&
		s.typ&0xf == unix.SOCK_DGRAM && (s.proto == 0 || s.proto == unix.IPPROTO_UDP)
}

// gsoRefusal reports whether a failed coalesced send may be one the
// kernel would not have failed without UDP_SEGMENT.
func gsoRefusal(err error) bool {
	return errors.Is(err, unix.EMSGSIZE) || errors.Is(err, unix.EINVAL) ||
		errors.Is(err, unix.EIO) || errors.Is(err, unix.ENOPROTOOPT) || errors.Is(err, unix.EOPNOTSUPP)
}

// gsoRefused records that the kernel refused a coalesced send of
// seg-byte datagrams with err, which the same datagrams sent one entry
// each then got past: a size refusal caps the coalesced size below seg,
// any other turns coalescing off.
func (s *Socket) gsoRefused(err error, seg int) {
	if !errors.Is(err, unix.EMSGSIZE) && !errors.Is(err, unix.EINVAL) {
		s.noGSO.Store(true)
		return
	}
	for {
		c := s.gsoSegMax.Load()
		if (c != 0 && int(c) < seg) || s.gsoSegMax.CompareAndSwap(c, int32(seg-1)) {
			return
		}
	}
}

// gsoSent sets N on the messages of the first n entries the kernel took
// and returns how many messages that is.
func (o *op) gsoSent(msgs []Message, n int) int {
	sent := 0
	for h := range n {
		sent += int(o.segs[h])
	}
	for i := range sent {
		msgs[i].N = messageLen(&msgs[i])
	}
	return sent
}

func messageLen(m *Message) int {
	n := 0
	for _, b := range m.Buffers {
		n += len(b)
	}
	return n
}

// prepareGSO fills o's mmsghdr, iovec and control scratch for msgs, one
// entry per run of coalescible messages (see above); o.segs[h] is the
// number of messages entry h carries. Datagrams larger than segMax
// (0: no limit) are not coalesced.
func (o *op) prepareGSO(msgs []Message, segMax int) error {
	iovs := o.growMmsg(msgs)
	if cap(o.segs) < len(msgs) {
		o.segs = make([]uint16, len(msgs))
		o.gsoCtl = make([][gsoCmsgSpace]byte, len(msgs))
	}
	o.mm, o.segs, o.gsoCtl = o.mm[:cap(o.mm)], o.segs[:cap(o.segs)], o.gsoCtl[:cap(o.gsoCtl)]
	k, nh := 0, 0
	for i := 0; i < len(msgs); {
		m := &msgs[i]
		h := &o.mm[nh]
		h.Hdr = unix.Msghdr{}
		h.Len = 0
		name, err := o.setName(h, nh, m.Addr)
		if err != nil {
			return err
		}
		// The run: msgs[i:j].
		seg := messageLen(m)
		j, total, bufs := i+1, seg, len(m.Buffers)
		if len(m.OOB) == 0 && seg > 0 && (segMax == 0 || seg <= segMax) {
			for j < len(msgs) && j-i < gsoMaxSegs {
				mj := &msgs[j]
				l := messageLen(mj)
				if len(mj.OOB) > 0 || l == 0 || l > seg || total+l > gsoMaxBytes || bufs+len(mj.Buffers) > gsoMaxIov {
					break
				}
				if (mj.Addr == nil) != (name == nil) {
					break
				}
				if name != nil {
					raw, err := AppendSockaddr(o.sa[:0], mj.Addr)
					if err != nil || !bytes.Equal(raw, name) {
						break // an error is reported when its message leads a run
					}
				}
				total, bufs = total+l, bufs+len(mj.Buffers)
				j++
				if l < seg {
					break // a shorter datagram ends the run
				}
			}
		}
		if bufs > 0 {
			iv := iovs[k : k+bufs]
			x := 0
			for r := i; r < j; r++ {
				for _, b := range msgs[r].Buffers {
					iv[x] = unix.Iovec{}
					if len(b) > 0 {
						iv[x].Base = &b[0]
						iv[x].SetLen(len(b))
					}
					x++
				}
			}
			h.Hdr.Iov = &iv[0]
			h.Hdr.SetIovlen(bufs)
			k += bufs
		}
		switch {
		case j-i > 1:
			c := &o.gsoCtl[nh]
			*c = [gsoCmsgSpace]byte{}
			ch := (*unix.Cmsghdr)(unsafe.Pointer(&c[0]))
			ch.Level, ch.Type = unix.IPPROTO_UDP, unix.UDP_SEGMENT
			ch.SetLen(unix.CmsgLen(2))
			binary.NativeEndian.PutUint16(c[unix.SizeofCmsghdr:], uint16(seg))
			h.Hdr.Control = &c[0]
			h.Hdr.SetControllen(gsoCmsgSpace)
		case len(m.OOB) > 0:
			h.Hdr.Control = &m.OOB[0]
			h.Hdr.SetControllen(len(m.OOB))
		}
		o.segs[nh] = uint16(j - i)
		nh++
		i = j
	}
	o.mm = o.mm[:nh]
	o.vlen = nh
	return nil
}
