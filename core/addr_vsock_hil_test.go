//go:build hil

package core

import (
	"testing"

	"golang.org/x/sys/unix"
)

// Stream over vsock_loopback: server binds (VMADDR_CID_ANY, port), client
// connects to VMADDR_CID_LOCAL; names decode on both ends.
func TestRigVSock(t *testing.T) {
	const port = 7002
	srv := rigSocket(t, unix.AF_VSOCK, unix.SOCK_STREAM, 0)
	if err := rigBind(srv, VSockAddr{CID: VMADDR_CID_ANY, Port: port}); err != nil {
		t.Fatal(err)
	}
	a, _ := rigSockName(t, srv, unix.SOCK_STREAM, 0)
	if got := *a.(*VSockAddr); got != (VSockAddr{CID: VMADDR_CID_ANY, Port: port}) {
		t.Fatalf("server getsockname %+v", got)
	}
	if err := unix.Listen(srv, 1); err != nil {
		t.Fatal(err)
	}
	cli := rigSocket(t, unix.AF_VSOCK, unix.SOCK_STREAM, 0)
	if err := rigConnect(cli, &VSockAddr{CID: VMADDR_CID_LOCAL, Port: port}); err != nil {
		t.Fatalf("connect to CID 1: %v", err)
	}
	peer, _ := ParseSockaddr(rigName(t, unix.SYS_GETPEERNAME, cli), unix.SOCK_STREAM, 0)
	if got := *peer.(*VSockAddr); got.CID != VMADDR_CID_LOCAL || got.Port != port {
		t.Fatalf("client getpeername %+v", got)
	}
	me, _ := rigSockName(t, cli, unix.SOCK_STREAM, 0)
	var buf [SizeofSockaddrStorage]byte
	n := uint32(len(buf))
	nfd, err := acceptRaw(srv, buf[:], &n)
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	defer unix.Close(nfd)
	// The client's own name keeps CID_ANY (its local CID is only chosen
	// by the transport); the server sees it as CID 1, same port.
	from, err := ParseSockaddr(buf[:n], unix.SOCK_STREAM, 0)
	if err != nil || from.(*VSockAddr).Port != me.(*VSockAddr).Port || from.(*VSockAddr).CID != VMADDR_CID_LOCAL {
		t.Fatalf("accepted from %v (%v), client is %v", from, err, me)
	}
	// The Python reference bound (VMADDR_CID_ANY, 7001) and read it back.
	if p, o := pyGot(pythonRig(t)["vsock"]), pyTuple(uint32(VMADDR_CID_ANY), 7001); p != o {
		t.Errorf("CPython %s, ours for the same bind %s", p, o)
	}
}
