//go:build hil

package core

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

// CPython's TIPC test: an RDM server binds a service range, a client sends
// to one instance of it, and the source address the server receives equals
// the client's getsockname.
func TestRigTIPCRDM(t *testing.T) {
	srv := rigSocket(t, unix.AF_TIPC, unix.SOCK_RDM, 0)
	rigTimeout(t, srv)
	if err := rigBind(srv, TIPCServiceRange(2000, 200, 210, TIPC_CLUSTER_SCOPE)); err != nil {
		t.Fatalf("bind service range: %v", err)
	}
	cli := rigSocket(t, unix.AF_TIPC, unix.SOCK_RDM, 0)
	rigSendTo(t, cli, []byte("tipc hello"), TIPCService(2000, 205, 0))
	data, rawFrom := rigRecvFrom(t, srv)
	if !bytes.Equal(data, []byte("tipc hello")) {
		t.Fatalf("received %q", data)
	}
	from, err := ParseSockaddr(rawFrom, unix.SOCK_RDM, 0)
	if err != nil {
		t.Fatalf("source % x: %v", rawFrom, err)
	}
	cliName, raw := rigSockName(t, cli, unix.SOCK_RDM, 0)
	if !reflect.DeepEqual(from, cliName) {
		t.Fatalf("source %v (% x) != client getsockname %v (% x)", from, rawFrom, cliName, raw)
	}
	if a := cliName.(*TIPCAddr); a.AddrType != TIPC_ADDR_ID || a.V2 == 0 {
		t.Fatalf("client address %+v is not a socket id", a)
	}
	// Our server's own name decodes too, and the Python reference binds
	// the same service-range layout.
	if _, raw := rigSockName(t, srv, unix.SOCK_RDM, 0); len(raw) != SizeofSockaddrTIPC {
		t.Fatalf("server getsockname %d bytes", len(raw))
	}
	if p, ok := pythonRig(t)["tipc"].([]any); !ok || len(p) != 5 || num(p[0]) != TIPC_ADDR_ID {
		t.Fatalf("CPython TIPC getsockname %v", pythonRig(t)["tipc"])
	}
}

func TestRigTIPCStream(t *testing.T) {
	srv := rigSocket(t, unix.AF_TIPC, unix.SOCK_STREAM, 0)
	if err := rigBind(srv, TIPCServiceRange(2002, 1, 1, TIPC_CLUSTER_SCOPE)); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(srv, 1); err != nil {
		t.Fatal(err)
	}
	cli := rigSocket(t, unix.AF_TIPC, unix.SOCK_STREAM, 0)
	// TIPC completes the handshake in accept, so connect runs alongside.
	done := make(chan error, 1)
	go func() { done <- rigConnect(cli, TIPCService(2002, 1, 0)) }()
	nfd, _, errno := unix.Syscall(unix.SYS_ACCEPT, uintptr(srv), 0, 0)
	if errno != 0 {
		t.Fatalf("accept: %v", errno)
	}
	defer unix.Close(int(nfd))
	if err := <-done; err != nil {
		t.Fatalf("connect: %v", err)
	}
	peer, _ := ParseSockaddr(rigName(t, unix.SYS_GETPEERNAME, int(nfd)), unix.SOCK_STREAM, 0)
	me, _ := rigSockName(t, cli, unix.SOCK_STREAM, 0)
	if !reflect.DeepEqual(peer, me) {
		t.Fatalf("accepted peer %v != client getsockname %v", peer, me)
	}
}

// A TIPC exchange with Debian's CPython as the peer: Python sends to our
// service, we answer to the source address we decoded, and each side's
// view of the other's address matches that side's own getsockname.
func TestRigTIPCPythonPeer(t *testing.T) {
	srv := rigSocket(t, unix.AF_TIPC, unix.SOCK_RDM, 0)
	rigTimeout(t, srv)
	if err := rigBind(srv, TIPCServiceRange(2004, 0, 9, TIPC_CLUSTER_SCOPE)); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/python3", "-c", `
import socket, json, sys
s = socket.socket(socket.AF_TIPC, socket.SOCK_RDM)
s.settimeout(20)
s.sendto(b"from python", (socket.TIPC_ADDR_NAME, 2004, 5, 0))
print(json.dumps(list(s.getsockname())), flush=True)
data, src = s.recvfrom(100)
print(json.dumps([data.decode(), list(src)]), flush=True)
`)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	lines := bufio.NewScanner(out)
	data, rawFrom := rigRecvFrom(t, srv)
	if string(data) != "from python" {
		t.Fatalf("received %q", data)
	}
	from, err := ParseSockaddr(rawFrom, unix.SOCK_RDM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !lines.Scan() {
		t.Fatalf("python: %s", stderr.String())
	}
	f := from.(*TIPCAddr)
	if got, want := lines.Text(), fmt.Sprintf("[%d, %d, %d, %d, %d]", f.AddrType, f.V1, f.V2, f.V3, f.Scope); got != want {
		t.Fatalf("CPython getsockname %s, our decoded source %s", got, want)
	}
	rigSendTo(t, srv, []byte("from go"), from)
	if !lines.Scan() {
		t.Fatalf("python: %s", stderr.String())
	}
	me, _ := rigSockName(t, srv, unix.SOCK_RDM, 0)
	m := me.(*TIPCAddr)
	if got, want := lines.Text(), fmt.Sprintf(`["from go", [%d, %d, %d, %d, %d]]`, m.AddrType, m.V1, m.V2, m.V3, m.Scope); got != want {
		t.Fatalf("CPython received %s, want %s", got, want)
	}
}
