//go:build hil

package core

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const sockPython = "/usr/bin/python3"

// TestSocketPythonSocketpair exchanges data and descriptors with CPython
// over a Socketpair: Python adopts its end with socket.socket(fileno=3),
// receives a pipe with recv_fds, writes into it, answers, and sends a
// descriptor back with send_fds.
func TestSocketPythonSocketpair(t *testing.T) {
	a, b, err := Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	bfd, err := b.Detach()
	if err != nil {
		t.Fatal(err)
	}
	bf := os.NewFile(uintptr(bfd), "peer")
	pr, pw, _ := os.Pipe()
	defer pr.Close()

	const script = `
import os, socket
s = socket.socket(fileno=3)
print("family", int(s.family), "type", int(s.type), flush=True)
msg, fds, flags, addr = socket.recv_fds(s, 100, 2)
os.write(fds[0], b"python wrote this")
os.close(fds[0])
s.sendall(msg.upper())
r, w = os.pipe()
os.write(w, b"from python's pipe")
os.close(w)
socket.send_fds(s, [b"back"], [r])
s.close()
`
	cmd := exec.Command(sockPython, "-c", script)
	cmd.ExtraFiles = []*os.File{bf}
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	bf.Close()
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "family 1 type 1" {
		t.Fatalf("python saw %q", line)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := SendFDsContext(ctx, a, [][]byte{[]byte("hello python")}, []int{int(pw.Fd())}, 0, nil); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	buf := make([]byte, 12)
	for got := 0; got < len(buf); {
		n, err := a.RecvIntoContext(ctx, buf[got:], 0)
		if err != nil {
			t.Fatal(err)
		}
		got += n
	}
	if string(buf) != "HELLO PYTHON" {
		t.Fatalf("python answered %q", buf)
	}
	data, fds, _, _, err := RecvFDsContext(ctx, a, 16, 1, 0)
	if err != nil || string(data) != "back" || len(fds) != 1 {
		t.Fatalf("RecvFDs = %q %v %v", data, fds, err)
	}
	rb := make([]byte, 64)
	n, _ := unix.Read(fds[0], rb)
	unix.Close(fds[0])
	if string(rb[:n]) != "from python's pipe" {
		t.Fatalf("python's pipe gave %q", rb[:n])
	}
	pb := make([]byte, 64)
	n, _ = pr.Read(pb)
	if string(pb[:n]) != "python wrote this" {
		t.Fatalf("our pipe got %q", pb[:n])
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("python: %v", err)
	}
}

// TestSocketPythonVSock: a CPython client connects over vsock_loopback to
// a Go server on NewSocket and they exchange one message each way.
func TestSocketPythonVSock(t *testing.T) {
	ln, err := NewSocket(unix.AF_VSOCK, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := ln.Bind(VSockAddr{CID: unix.VMADDR_CID_ANY, Port: 5124}); err != nil {
		t.Fatal(err)
	}
	ln.Listen(1)
	const script = `
import socket
s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
s.connect((1, 5124))  # VMADDR_CID_LOCAL (not in Python 3.11)
s.sendall(b"hello from cpython")
print(s.recv(100).decode(), flush=True)
print(s.getsockname()[1], flush=True)
`
	cmd := exec.Command(sockPython, "-c", script)
	cmd.Stderr = os.Stderr
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, peer, err := ln.AcceptContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 18)
	for got := 0; got < len(buf); {
		n, err := c.RecvIntoContext(ctx, buf[got:], 0)
		if err != nil {
			t.Fatal(err)
		}
		got += n
	}
	if string(buf) != "hello from cpython" {
		t.Fatalf("got %q", buf)
	}
	c.SendAll([]byte("hello from go"), 0)
	r := bufio.NewReader(out)
	l1, _ := r.ReadString('\n')
	l2, _ := r.ReadString('\n')
	if strings.TrimSpace(l1) != "hello from go" {
		t.Fatalf("python received %q", l1)
	}
	va := peer.(*VSockAddr)
	if strings.TrimSpace(l2) != itoa(int(va.Port)) {
		t.Fatalf("python's port %q, our Accept saw %d", l2, va.Port)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("python: %v", err)
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
