//go:build hil

package core

import (
	"bytes"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func acceptRaw(fd int, sa []byte, n *uint32) (int, error) {
	r, _, e := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(fd), uintptr(unsafe.Pointer(&sa[0])), uintptr(unsafe.Pointer(n)), unix.SOCK_CLOEXEC, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// CPython's QIPCRTR test: an unbound socket reports port 0, bind gives a
// port, connect((123, 123)) auto-binds one.
func TestRigQIPCRTR(t *testing.T) {
	fd := rigSocket(t, unix.AF_QIPCRTR, unix.SOCK_DGRAM, 0)
	a, raw := rigSockName(t, fd, unix.SOCK_DGRAM, 0)
	un := *a.(*QIPCRTRAddr)
	if un.Port != 0 || len(raw) != SizeofSockaddrQRTR {
		t.Fatalf("unbound %+v (%d bytes)", un, len(raw))
	}
	if err := rigBind(fd, QIPCRTRAddr{Node: un.Node}); err != nil {
		t.Fatalf("bind: %v", err)
	}
	a, _ = rigSockName(t, fd, unix.SOCK_DGRAM, 0)
	if b := *a.(*QIPCRTRAddr); b.Port == 0 || b.Node != un.Node {
		t.Fatalf("bound %+v", b)
	}
	c := rigSocket(t, unix.AF_QIPCRTR, unix.SOCK_DGRAM, 0)
	if err := rigConnect(c, QIPCRTRAddr{Node: 123, Port: 123}); err != nil {
		t.Fatalf("connect: %v", err)
	}
	a, _ = rigSockName(t, c, unix.SOCK_DGRAM, 0)
	if b := *a.(*QIPCRTRAddr); b.Port == 0 {
		t.Fatalf("connect did not auto-bind: %+v", b)
	}
	py := pythonRig(t)
	if p, o := pyGot(py["qrtr-unbound"]), pyTuple(un.Node, 0); p != o {
		t.Errorf("CPython unbound %s, ours %s", p, o)
	}
	if l, ok := py["qrtr-connect"].([]any); !ok || num(l[1]) == 0 {
		t.Errorf("CPython connected %v", py["qrtr-connect"])
	}
}

// RDS sockets use sockaddr_in: bind on loopback, exchange one message, and
// the source decodes as the sender's getsockname.
func TestRigRDS(t *testing.T) {
	a := rigSocket(t, unix.AF_RDS, unix.SOCK_SEQPACKET, 0)
	b := rigSocket(t, unix.AF_RDS, unix.SOCK_SEQPACKET, 0)
	rigTimeout(t, b)
	lo, _ := ParseInetAddr("127.0.0.1", 0)
	for _, fd := range []int{a, b} {
		if err := rigBind(fd, lo); err != nil {
			t.Fatalf("bind: %v", err)
		}
	}
	na, _ := rigSockName(t, a, unix.SOCK_SEQPACKET, 0)
	nb, _ := rigSockName(t, b, unix.SOCK_SEQPACKET, 0)
	if na.(*InetAddr).Port == 0 || na.(*InetAddr).IP != lo.IP {
		t.Fatalf("RDS getsockname %v", na)
	}
	rigSendTo(t, a, []byte("rds"), nb)
	data, raw := rigRecvFrom(t, b)
	from, err := ParseSockaddr(raw, unix.SOCK_SEQPACKET, 0)
	if !bytes.Equal(data, []byte("rds")) || err != nil || from.String() != na.String() {
		t.Fatalf("received %q from %v (%v), sender %v", data, from, err, na)
	}
	if l, ok := pythonRig(t)["rds"].([]any); !ok || l[0] != "127.0.0.1" || num(l[1]) == 0 {
		t.Errorf("CPython RDS getsockname %v", pythonRig(t)["rds"])
	}
}
