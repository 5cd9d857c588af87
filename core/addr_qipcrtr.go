package core

import "strconv"

// QIPCRTRAddr is an AF_QIPCRTR (Qualcomm IPC router) socket address:
// Python's (node, port) tuple. struct sockaddr_qrtr: 12 bytes.
type QIPCRTRAddr struct {
	Node uint32
	Port uint32
}

var (
	_ Addr = QIPCRTRAddr{}
	_ Addr = (*QIPCRTRAddr)(nil)
)

// Family returns AF_QIPCRTR.
func (QIPCRTRAddr) Family() int { return AF_QIPCRTR }

// String returns "node:port".
func (a QIPCRTRAddr) String() string {
	return strconv.FormatUint(uint64(a.Node), 10) + ":" + strconv.FormatUint(uint64(a.Port), 10)
}

func (a *QIPCRTRAddr) appendTo(dst []byte) ([]byte, error) {
	dst, b := grow(dst, SizeofSockaddrQRTR)
	putFamily(b, AF_QIPCRTR)
	ne.PutUint32(b[4:], a.Node)
	ne.PutUint32(b[8:], a.Port)
	return dst, nil
}

func (a *QIPCRTRAddr) decode(raw []byte) error {
	if err := checkFamily(raw, AF_QIPCRTR, "sockaddr_qrtr", SizeofSockaddrQRTR); err != nil {
		return err
	}
	a.Node = ne.Uint32(raw[4:])
	a.Port = ne.Uint32(raw[8:])
	return nil
}
