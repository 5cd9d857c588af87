package core

import (
	"encoding/binary"
	"fmt"
)

// A Cmsg is one control (ancillary) message, as Python's recvmsg returns
// and sendmsg takes them: (cmsg_level, cmsg_type, cmsg_data).
type Cmsg struct {
	Level int
	Type  int
	Data  []byte
}

// sizeofCmsghdr is sizeof(struct cmsghdr) on 64-bit Linux: a size_t
// length, then int level and int type.
const sizeofCmsghdr = 16

func cmsgAlign(n int) int { return (n + 7) &^ 7 }

// CmsgBytes returns the control-buffer size needed to send cmsgs, the sum
// of CMSG_SPACE of each message's data.
func CmsgBytes(cmsgs []Cmsg) int {
	n := 0
	for _, c := range cmsgs {
		n += sizeofCmsghdr + cmsgAlign(len(c.Data))
	}
	return n
}

// AppendCmsg appends the wire form (struct cmsghdr headers, data and
// padding, native byte order) of cmsgs to dst.
func AppendCmsg(dst []byte, cmsgs ...Cmsg) []byte {
	for _, c := range cmsgs {
		var h [sizeofCmsghdr]byte
		binary.NativeEndian.PutUint64(h[0:], uint64(sizeofCmsghdr+len(c.Data)))
		binary.NativeEndian.PutUint32(h[8:], uint32(int32(c.Level)))
		binary.NativeEndian.PutUint32(h[12:], uint32(int32(c.Type)))
		dst = append(dst, h[:]...)
		dst = append(dst, c.Data...)
		for i := len(c.Data); i < cmsgAlign(len(c.Data)); i++ {
			dst = append(dst, 0)
		}
	}
	return dst
}

// ParseCmsg splits a control buffer as filled by recvmsg(2) into its
// messages. The Data of each message aliases b. A final message whose
// cmsg_len runs past the end of b (the kernel truncated it, reporting
// MSG_CTRUNC) is returned with the data that is present, as Python does. A
// header with a cmsg_len smaller than the header itself is an error naming
// its offset; the messages before it are returned with the error.
func ParseCmsg(b []byte) ([]Cmsg, error) {
	var out []Cmsg
	off := 0
	for len(b)-off >= sizeofCmsghdr {
		h := b[off:]
		l := binary.NativeEndian.Uint64(h[0:])
		level := int(int32(binary.NativeEndian.Uint32(h[8:])))
		typ := int(int32(binary.NativeEndian.Uint32(h[12:])))
		if l < sizeofCmsghdr {
			return out, fmt.Errorf("core: control message at offset %d: cmsg_len %d shorter than its %d-byte header", off, l, sizeofCmsghdr)
		}
		end := uint64(len(h))
		if l < end {
			end = l
		}
		out = append(out, Cmsg{Level: level, Type: typ, Data: h[sizeofCmsghdr:end:end]})
		if l >= uint64(len(h)) {
			break
		}
		off += cmsgAlign(int(l))
	}
	return out, nil
}

// RightsCmsg returns an SCM_RIGHTS control message carrying fds.
func RightsCmsg(fds ...int) Cmsg {
	d := make([]byte, 4*len(fds))
	for i, fd := range fds {
		binary.NativeEndian.PutUint32(d[4*i:], uint32(int32(fd)))
	}
	return Cmsg{Level: solSocket, Type: scmRights, Data: d}
}

// Rights returns the descriptors of an SCM_RIGHTS message. A data length
// that is not a multiple of 4 (a truncated message) is an error; the whole
// descriptors present are still returned so they can be closed.
func (c Cmsg) Rights() ([]int, error) {
	if c.Level != solSocket || c.Type != scmRights {
		return nil, fmt.Errorf("core: control message level %d type %d is not SCM_RIGHTS", c.Level, c.Type)
	}
	fds := make([]int, len(c.Data)/4)
	for i := range fds {
		fds[i] = int(int32(binary.NativeEndian.Uint32(c.Data[4*i:])))
	}
	if len(c.Data)%4 != 0 {
		return fds, fmt.Errorf("core: SCM_RIGHTS data of %d bytes is not a whole number of descriptors", len(c.Data))
	}
	return fds, nil
}

// Ucred is struct ucred, the SCM_CREDENTIALS payload.
type Ucred struct {
	Pid int32
	Uid uint32
	Gid uint32
}

// CredentialsCmsg returns an SCM_CREDENTIALS control message.
func CredentialsCmsg(c Ucred) Cmsg {
	d := make([]byte, 12)
	binary.NativeEndian.PutUint32(d[0:], uint32(c.Pid))
	binary.NativeEndian.PutUint32(d[4:], c.Uid)
	binary.NativeEndian.PutUint32(d[8:], c.Gid)
	return Cmsg{Level: solSocket, Type: scmCredentials, Data: d}
}

// Credentials decodes an SCM_CREDENTIALS message.
func (c Cmsg) Credentials() (Ucred, error) {
	if c.Level != solSocket || c.Type != scmCredentials {
		return Ucred{}, fmt.Errorf("core: control message level %d type %d is not SCM_CREDENTIALS", c.Level, c.Type)
	}
	if len(c.Data) < 12 {
		return Ucred{}, fmt.Errorf("core: SCM_CREDENTIALS data of %d bytes, want 12", len(c.Data))
	}
	return Ucred{
		Pid: int32(binary.NativeEndian.Uint32(c.Data[0:])),
		Uid: binary.NativeEndian.Uint32(c.Data[4:]),
		Gid: binary.NativeEndian.Uint32(c.Data[8:]),
	}, nil
}

// Linux values (identical on every architecture), kept here so the cmsg
// codec builds on every GOOS.
const (
	solSocket      = 1
	scmRights      = 1
	scmCredentials = 2
)
