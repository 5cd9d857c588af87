package gateway

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"
)

// The bus-load sampler's rtnetlink messages, encoded and decoded by hand
// into fixed buffers: a sample allocates nothing (see busload_linux.go).

const (
	nlmsgHdrLen  = 16 // struct nlmsghdr
	ifInfoMsgLen = 16 // struct ifinfomsg
	nlaHdrLen    = 4  // struct nlattr

	nlmsgError  = 2  // NLMSG_ERROR
	nlmsgDone   = 3  // NLMSG_DONE
	rtmNewLink  = 16 // RTM_NEWLINK
	rtmGetLink  = 18 // RTM_GETLINK
	nlmFRequest = 1  // NLM_F_REQUEST

	iflaIfname   = 3  // IFLA_IFNAME
	iflaLinkinfo = 18 // IFLA_LINKINFO
	iflaStats64  = 23 // IFLA_STATS64
	iflaInfoKind = 1  // IFLA_INFO_KIND
	iflaInfoData = 2  // IFLA_INFO_DATA
	iflaCANBT    = 1  // IFLA_CAN_BITTIMING

	nlaTypeMask = 0x3fff // without NLA_F_NESTED and NLA_F_NET_BYTEORDER
	arphrdCAN   = 280    // ARPHRD_CAN
)

// linkSample is what one RTM_GETLINK reply says about an interface's bus.
type linkSample struct {
	ifType                                 uint16   // ARPHRD_*
	kind                                   [16]byte // IFLA_INFO_KIND, NUL-padded
	hasStats                               bool
	rxPackets, txPackets, rxBytes, txBytes uint64
	bitrate                                uint32 // IFLA_CAN_BITTIMING's bit rate, 0 without one
}

// kindIs reports whether the link's kind is k.
func (s *linkSample) kindIs(k string) bool {
	n := 0
	for n < len(s.kind) && s.kind[n] != 0 {
		n++
	}
	return string(s.kind[:n]) == k // compared without allocating
}

// frames returns the frames and bytes that crossed the bus (busFrames).
func (s *linkSample) frames() (frames, bytes uint64) {
	if !s.hasStats {
		return 0, 0
	}
	return countBus(s.kindIs("vcan"), s.rxPackets, s.txPackets, s.rxBytes, s.txBytes)
}

// appendGetLink appends an RTM_GETLINK request for the link named name
// with sequence number seq to b.
func appendGetLink(b []byte, seq uint32, name string) []byte {
	start := len(b)
	b = binary.NativeEndian.AppendUint32(b, 0) // length, set below
	b = binary.NativeEndian.AppendUint16(b, rtmGetLink)
	b = binary.NativeEndian.AppendUint16(b, nlmFRequest)
	b = binary.NativeEndian.AppendUint32(b, seq)
	b = binary.NativeEndian.AppendUint32(b, 0) // port: the kernel fills it in
	b = append(b, make([]byte, ifInfoMsgLen)...)
	alen := nlaHdrLen + len(name) + 1
	b = binary.NativeEndian.AppendUint16(b, uint16(alen))
	b = binary.NativeEndian.AppendUint16(b, iflaIfname)
	b = append(b, name...)
	b = append(b, 0)
	for (len(b)-start)%4 != 0 {
		b = append(b, 0)
	}
	binary.NativeEndian.PutUint32(b[start:], uint32(len(b)-start))
	return b
}

// errStaleReply marks a reply with another sequence number than the
// request's: a late answer to an earlier request, to be skipped.
var errStaleReply = errors.New("reply to an earlier request")

// parseLinkReply decodes one datagram answering the RTM_GETLINK request
// with sequence number seq into s. It returns errStaleReply for a reply to
// another request, the kernel's error (a negative errno in NLMSG_ERROR) as
// a syscall.Errno-wrapping error, and an error naming the field for a
// malformed message. It does not allocate on success.
func parseLinkReply(b []byte, seq uint32, s *linkSample) error {
	if len(b) < nlmsgHdrLen {
		return fmt.Errorf("rtnetlink reply: %d bytes, shorter than a message header", len(b))
	}
	l := binary.NativeEndian.Uint32(b[0:4])
	if l < nlmsgHdrLen || int(l) > len(b) {
		return fmt.Errorf("rtnetlink reply: message length %d outside [%d, %d]", l, nlmsgHdrLen, len(b))
	}
	typ := binary.NativeEndian.Uint16(b[4:6])
	if got := binary.NativeEndian.Uint32(b[8:12]); got != seq {
		return errStaleReply
	}
	body := b[nlmsgHdrLen:l]
	switch typ {
	case nlmsgError:
		if len(body) < 4 {
			return fmt.Errorf("rtnetlink reply: NLMSG_ERROR of %d bytes", len(body))
		}
		if e := int32(binary.NativeEndian.Uint32(body)); e < 0 {
			return linkErr(-e)
		}
		return fmt.Errorf("rtnetlink reply: an acknowledgement, not the link")
	case rtmNewLink:
	default:
		return fmt.Errorf("rtnetlink reply: message type %d, want RTM_NEWLINK", typ)
	}
	if len(body) < ifInfoMsgLen {
		return fmt.Errorf("rtnetlink reply: ifinfomsg of %d bytes", len(body))
	}
	*s = linkSample{ifType: binary.NativeEndian.Uint16(body[2:4])}
	return walkAttrs(body[ifInfoMsgLen:], "link", func(t uint16, v []byte) error {
		switch t {
		case iflaStats64:
			if len(v) < 32 {
				return fmt.Errorf("rtnetlink reply: IFLA_STATS64 of %d bytes, want ≥ 32", len(v))
			}
			s.hasStats = true
			s.rxPackets = binary.NativeEndian.Uint64(v[0:])
			s.txPackets = binary.NativeEndian.Uint64(v[8:])
			s.rxBytes = binary.NativeEndian.Uint64(v[16:])
			s.txBytes = binary.NativeEndian.Uint64(v[24:])
		case iflaLinkinfo:
			return walkAttrs(v, "IFLA_LINKINFO", s.linkInfo)
		}
		return nil
	})
}

func (s *linkSample) linkInfo(t uint16, v []byte) error {
	switch t {
	case iflaInfoKind:
		copy(s.kind[:], v)
		if len(v) < len(s.kind) {
			clear(s.kind[len(v):])
		}
	case iflaInfoData:
		if !s.kindIs("can") {
			return nil // another kind's IFLA_INFO_DATA (the kind comes first)
		}
		return walkAttrs(v, "IFLA_INFO_DATA", func(t uint16, v []byte) error {
			if t == iflaCANBT {
				if len(v) < 4 {
					return fmt.Errorf("rtnetlink reply: IFLA_CAN_BITTIMING of %d bytes", len(v))
				}
				s.bitrate = binary.NativeEndian.Uint32(v)
			}
			return nil
		})
	}
	return nil
}

// walkAttrs calls f for each attribute of b (netlink attributes, 4-byte
// aligned), with its type without the flag bits.
func walkAttrs(b []byte, where string, f func(t uint16, v []byte) error) error {
	for len(b) >= nlaHdrLen {
		l := int(binary.NativeEndian.Uint16(b[0:2]))
		if l < nlaHdrLen || l > len(b) {
			return fmt.Errorf("rtnetlink reply: attribute of length %d in %s with %d bytes left", l, where, len(b))
		}
		if err := f(binary.NativeEndian.Uint16(b[2:4])&nlaTypeMask, b[nlaHdrLen:l]); err != nil {
			return err
		}
		b = b[min((l+3)&^3, len(b)):]
	}
	return nil
}

// linkErr is the kernel's answer errno to a link request.
func linkErr(errno int32) error {
	return fmt.Errorf("rtnetlink: get link: %w", syscall.Errno(errno))
}
