//go:build hil

package core

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fieldgate/fieldgate/internal/peer"
)

// TestSocketALGAcceptPython accepts AF_ALG operation sockets with Accept
// as CPython does with accept(): each call gives a working operation
// socket and no address (Python's None, a nil Addr here), and the two print
// the same lines. Accept works in timeout mode too, where CPython's
// accept() waits for the bound socket to become readable first, which an
// AF_ALG socket never does, and times out.
func TestSocketALGAcceptPython(t *testing.T) {
	const script = `
import socket
s = socket.socket(socket.AF_ALG, socket.SOCK_SEQPACKET, 0)
s.bind(("hash", "sha256"))
for msg in (b"abc", b"fieldgate"):
    op, addr = s.accept()
    op.sendall(msg)
    print(repr(addr), int(op.family), int(op.type), op.proto, op.recv(32).hex())
    op.close()
`
	want := strings.TrimSpace(peer.Run(t, peer.Python, "-c", script))

	s, err := NewSocket(unix.AF_ALG, unix.SOCK_SEQPACKET, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Bind(ALGAddr{Type: "hash", Name: "sha256"}); err != nil {
		t.Fatal(err)
	}
	// The cause: accept(2) with room for an address fails on AF_ALG, whose
	// sockets have no getname (the kernel drops the new socket).
	var raw error
	if err := s.control("accept4", func(fd int) error {
		nfd, _, err := unix.Accept4(fd, unix.SOCK_CLOEXEC)
		if err == nil {
			unix.Close(nfd)
		}
		raw = err
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("accept4 with a sockaddr buffer on AF_ALG: %v", raw)

	var got []string
	for i, msg := range []string{"abc", "fieldgate", "abc"} {
		if i == 2 {
			if err := s.SetTimeout(5 * time.Second); err != nil {
				t.Fatal(err)
			}
			if g := strings.Join(got, "\n"); g != want {
				t.Fatalf("Accept on AF_ALG:\n%s\nCPython:\n%s", g, want)
			}
		}
		op, addr, err := s.Accept()
		if err != nil {
			t.Fatalf("Accept %d: %v", i, err)
		}
		if _, err := op.Send([]byte(msg), 0); err != nil {
			t.Fatal(err)
		}
		d, err := op.Recv(32, 0)
		if err != nil {
			t.Fatal(err)
		}
		repr := "None"
		if addr != nil {
			repr = fmt.Sprintf("%#v", addr)
		}
		got = append(got, fmt.Sprintf("%s %d %d %d %s", repr, op.Family(), op.Type(), op.Proto(), hex.EncodeToString(d)))
		op.Close()
	}
	if got[2] != got[0] {
		t.Fatalf("Accept in timeout mode: %s, want %s", got[2], got[0])
	}
}
