package core

import (
	"bytes"
	"strconv"
	"strings"
	"syscall"
)

// ALGAddr is an AF_ALG (kernel crypto API) socket address: Python's
// (type, name[, feat[, mask]]) tuple, such as ("hash", "sha256") or
// ("skcipher", "cbc(aes)"). struct sockaddr_alg: 88 bytes with a 14-byte
// salg_type and a 64-byte salg_name, both NUL-terminated, so Type is at most
// 13 bytes and Name at most 63: longer values are rejected here, before the
// kernel would silently truncate them.
type ALGAddr struct {
	Type string // "hash", "skcipher", "aead", "rng", "akcipher"
	Name string // algorithm, such as "hmac(sha256)"
	Feat uint32 // salg_feat
	Mask uint32 // salg_mask
}

var (
	_ Addr = ALGAddr{}
	_ Addr = (*ALGAddr)(nil)
)

const (
	algTypeSize = 14
	algNameSize = 64
)

// Family returns AF_ALG.
func (ALGAddr) Family() int { return AF_ALG }

// String returns "type:name".
func (a ALGAddr) String() string { return a.Type + ":" + a.Name }

func (a *ALGAddr) appendTo(dst []byte) ([]byte, error) {
	if len(a.Type) >= algTypeSize {
		return dst, marshalErr(AF_ALG, "Type", strconv.Quote(truncate(a.Type))+" is "+strconv.Itoa(len(a.Type))+" bytes, at most 13 fit in salg_type", syscall.ENAMETOOLONG)
	}
	if len(a.Name) >= algNameSize {
		return dst, marshalErr(AF_ALG, "Name", strconv.Quote(truncate(a.Name))+" is "+strconv.Itoa(len(a.Name))+" bytes, at most 63 fit in salg_name", syscall.ENAMETOOLONG)
	}
	if strings.IndexByte(a.Type, 0) >= 0 {
		return dst, marshalErr(AF_ALG, "Type", "contains a NUL byte", syscall.EINVAL)
	}
	if strings.IndexByte(a.Name, 0) >= 0 {
		return dst, marshalErr(AF_ALG, "Name", "contains a NUL byte", syscall.EINVAL)
	}
	dst, b := grow(dst, SizeofSockaddrALG)
	putFamily(b, AF_ALG)
	copy(b[2:2+algTypeSize], a.Type)
	ne.PutUint32(b[16:], a.Feat)
	ne.PutUint32(b[20:], a.Mask)
	copy(b[24:24+algNameSize], a.Name)
	return dst, nil
}

func (a *ALGAddr) decode(raw []byte) error {
	if err := checkFamily(raw, AF_ALG, "sockaddr_alg", SizeofSockaddrALG); err != nil {
		return err
	}
	if len(raw) > SizeofSockaddrALG {
		return parseErr(AF_ALG, len(raw), "", "longer than sockaddr_alg (88 bytes)")
	}
	typ := bytes.IndexByte(raw[2:2+algTypeSize], 0)
	if typ < 0 {
		return parseErr(AF_ALG, len(raw), "Type", "salg_type is not NUL-terminated")
	}
	name := bytes.IndexByte(raw[24:24+algNameSize], 0)
	if name < 0 {
		return parseErr(AF_ALG, len(raw), "Name", "salg_name is not NUL-terminated")
	}
	// Reuse the strings already in a when they match: no allocation.
	if t := raw[2 : 2+typ]; string(t) != a.Type {
		a.Type = string(t)
	}
	if n := raw[24 : 24+name]; string(n) != a.Name {
		a.Name = string(n)
	}
	a.Feat = ne.Uint32(raw[16:])
	a.Mask = ne.Uint32(raw[20:])
	return nil
}
