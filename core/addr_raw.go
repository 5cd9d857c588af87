package core

import (
	"encoding/hex"
	"strconv"
	"syscall"
)

// RawAddr is a socket address of a family this package has no type for:
// Python's (family, bytes) tuple. Data is the sockaddr after sa_family.
type RawAddr struct {
	Fam  uint16
	Data []byte
}

var (
	_ Addr = RawAddr{}
	_ Addr = (*RawAddr)(nil)
)

// Family returns the address family number.
func (a RawAddr) Family() int { return int(a.Fam) }

// String returns "AF_X:hexdata".
func (a RawAddr) String() string { return Family(a.Fam).String() + ":" + hex.EncodeToString(a.Data) }

func (a *RawAddr) appendTo(dst []byte) ([]byte, error) {
	if len(a.Data) > SizeofSockaddrStorage-2 {
		return dst, marshalErr(int(a.Fam), "Data", strconv.Itoa(len(a.Data))+" bytes do not fit in sockaddr_storage", syscall.EINVAL)
	}
	dst, b := grow(dst, 2+len(a.Data))
	putFamily(b, int(a.Fam))
	copy(b[2:], a.Data)
	return dst, nil
}

func (a *RawAddr) decode(raw []byte) error {
	if len(raw) < 2 {
		return parseErr(0, len(raw), "", "too short for sa_family")
	}
	if len(raw) > SizeofSockaddrStorage {
		return parseErr(int(ne.Uint16(raw)), len(raw), "", "longer than sockaddr_storage")
	}
	a.Fam = ne.Uint16(raw)
	a.Data = append(a.Data[:0], raw[2:]...)
	return nil
}
