package core

import "strconv"

// VSockAddr is an AF_VSOCK socket address: Python's (cid, port) tuple.
// CID is a context id (VMADDR_CID_ANY, VMADDR_CID_LOCAL, VMADDR_CID_HOST or
// a guest's), Port a port or VMADDR_PORT_ANY; Flags carries svm_flags
// (VMADDR_FLAG_TO_HOST), which Python does not expose. struct sockaddr_vm:
// 16 bytes.
type VSockAddr struct {
	CID   uint32
	Port  uint32
	Flags uint8
}

var (
	_ Addr = VSockAddr{}
	_ Addr = (*VSockAddr)(nil)
)

// Family returns AF_VSOCK.
func (VSockAddr) Family() int { return AF_VSOCK }

// String returns "vsock:cid:port", the form socat accepts.
func (a VSockAddr) String() string {
	return "vsock:" + strconv.FormatUint(uint64(a.CID), 10) + ":" + strconv.FormatUint(uint64(a.Port), 10)
}

func (a *VSockAddr) appendTo(dst []byte) ([]byte, error) {
	dst, b := grow(dst, SizeofSockaddrVM)
	putFamily(b, AF_VSOCK)
	ne.PutUint32(b[4:], a.Port)
	ne.PutUint32(b[8:], a.CID)
	b[12] = a.Flags
	return dst, nil
}

func (a *VSockAddr) decode(raw []byte) error {
	if err := checkFamily(raw, AF_VSOCK, "sockaddr_vm", 13); err != nil {
		return err
	}
	a.Port = ne.Uint32(raw[4:])
	a.CID = ne.Uint32(raw[8:])
	a.Flags = raw[12]
	return nil
}
