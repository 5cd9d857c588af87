//go:build hil

package vsock

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/core"
	"github.com/fieldgate/fieldgate/internal/peer"
	"golang.org/x/sys/unix"
)

// The rig's kernel has vsock_loopback only: every peer is CID 1. The peers
// are Debian's /usr/bin/python3 socket module (AF_VSOCK) and socat.

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

const mib = 1 << 20

// pattern is Python's bytes(range(256))*4096.
func pattern() []byte {
	b := make([]byte, mib)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// exchange reads 1 MiB (checking it byte by byte) and writes 1 MiB back
// concurrently, then half-closes.
func exchange(t *testing.T, c *Conn) {
	t.Helper()
	if err := c.SetDeadline(time.Now().Add(60 * time.Second)); err != nil {
		t.Fatal(err)
	}
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(pattern())
		if err == nil {
			err = c.CloseWrite()
		}
		werr <- err
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v (after %d bytes)", err, len(got))
	}
	if len(got) != mib {
		t.Fatalf("read %d bytes, want %d", len(got), mib)
	}
	for i, b := range got {
		if b != byte(i) {
			t.Fatalf("byte %d is %#x, want %#x", i, b, byte(i))
		}
	}
	if err := <-werr; err != nil {
		t.Fatalf("write: %v", err)
	}
}

const pyExchange = `
import threading
data = bytes(range(256)) * 4096
def send():
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
th = threading.Thread(target=send); th.start()
back = bytearray()
while True:
    b = s.recv(262144)
    if not b:
        break
    back += b
th.join()
print("got", len(back), back == data)
`

// A Go listener on CIDAny with PortAny, a Python client to (CID 1, port):
// 1 MiB each way, byte-exact.
func TestHILListenPythonClient(t *testing.T) {
	l, err := Listen(CIDAny, PortAny, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	a := l.Addr().(*Addr)
	if a.ContextID != CIDAny || a.Port == PortAny || a.Port == 0 || l.Port() != a.Port {
		t.Fatalf("listener addr %+v port %d: want CIDAny and a real port", a, l.Port())
	}
	p := peer.StartPython(t, fmt.Sprintf(`
import socket
s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
s.connect((1, %d))  # Debian's python3 has no socket.VMADDR_CID_LOCAL
print("me", s.getsockname()[1])
`, l.Port())+pyExchange)
	c, err := l.AcceptContext(ctxT(t, 30*time.Second))
	if err != nil {
		t.Fatalf("accept: %v; python stderr: %s", err, p.Stderr())
	}
	defer c.Close()
	me := p.Line(t, 60*time.Second)
	r := c.RemoteAddr().(*Addr)
	if want := fmt.Sprintf("me %d", r.Port); me != want || r.ContextID != CIDLocal {
		t.Fatalf("accepted from %+v; python says %q", r, me)
	}
	if la := c.LocalAddr().(*Addr); la.ContextID != CIDLocal || la.Port != l.Port() {
		t.Fatalf("accepted conn's local address %+v", la)
	}
	exchange(t, c)
	if s := p.Line(t, 60*time.Second); s != "got 1048576 True" {
		t.Fatalf("python: %q; stderr %s", s, p.Stderr())
	}
}

// Go dials a Python listener on (CID_ANY, PORT_ANY).
func TestHILDialPythonListener(t *testing.T) {
	p := peer.StartPython(t, `
import socket
l = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
l.bind((socket.VMADDR_CID_ANY, socket.VMADDR_PORT_ANY))
l.listen()
print("port", l.getsockname()[1])
s, _ = l.accept()
`+pyExchange)
	f := strings.Fields(p.Line(t, 60*time.Second))
	port, err := strconv.ParseUint(f[len(f)-1], 10, 32)
	if err != nil {
		t.Fatal(f, err)
	}
	c, err := Dial(ctxT(t, 10*time.Second), CIDLocal, uint32(port), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if r := c.RemoteAddr().(*Addr); *r != (Addr{ContextID: CIDLocal, Port: uint32(port)}) {
		t.Fatalf("remote %+v", r)
	}
	exchange(t, c)
	if s := p.Line(t, 60*time.Second); s != "got 1048576 True" {
		t.Fatalf("python: %q; stderr %s", s, p.Stderr())
	}
}

// socat as a client (VSOCK-CONNECT) and as a server (VSOCK-LISTEN).
func TestHILSocat(t *testing.T) {
	l, err := Listen(CIDLocal, PortAny, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if a := l.Addr().(*Addr); a.ContextID != CIDLocal {
		t.Fatalf("listener bound to CIDLocal reports %+v", a)
	}
	p := peer.Start(t, "socat", "-", fmt.Sprintf("VSOCK-CONNECT:1:%d", l.Port()))
	c, err := l.AcceptContext(ctxT(t, 30*time.Second))
	if err != nil {
		t.Fatalf("accept: %v; socat: %s", err, p.Stderr())
	}
	defer c.Close()
	fmt.Fprintln(p.In(), "to go")
	if _, err := io.WriteString(c, "to socat\n"); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "to go\n" {
		t.Fatalf("from socat %q, %v", line, err)
	}
	if s := p.Line(t, 30*time.Second); s != "to socat" {
		t.Fatalf("socat printed %q", s)
	}

	const port = 7402
	srv := peer.Start(t, "socat", fmt.Sprintf("VSOCK-LISTEN:%d", port), "-")
	var d *Conn
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err = Dial(ctxT(t, 5*time.Second), CIDLocal, port, nil)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // socat still starting
	}
	if err != nil {
		t.Fatalf("dial socat: %v; socat: %s", err, srv.Stderr())
	}
	defer d.Close()
	io.WriteString(d, "hello listener\n")
	if s := srv.Line(t, 30*time.Second); s != "hello listener" {
		t.Fatalf("socat printed %q", s)
	}
}

// What this kernel returns for refused and impossible connections.
func TestHILErrors(t *testing.T) {
	l, err := Listen(CIDLocal, PortAny, nil)
	if err != nil {
		t.Fatal(err)
	}
	free := l.Port()
	l.Close()
	_, err = Dial(ctxT(t, 5*time.Second), CIDLocal, free, nil)
	if !errors.Is(err, unix.ECONNRESET) {
		t.Fatalf("dial with nobody listening: %v, want ECONNRESET", err)
	}
	if !strings.Contains(err.Error(), "dial vsock local(1):") {
		t.Errorf("error %q does not name the op and address", err)
	}
	if _, err := Dial(ctxT(t, 5*time.Second), 99, 1, nil); !errors.Is(err, unix.ENODEV) {
		t.Fatalf("dial to CID 99: %v, want ENODEV", err)
	}
	// No datagram transport on virtio/loopback.
	if _, err := core.NewSocket(unix.AF_VSOCK, unix.SOCK_DGRAM, 0); !errors.Is(err, unix.ENODEV) {
		t.Fatalf("SOCK_DGRAM socket: %v, want ENODEV", err)
	}
	// Two listeners on one port.
	a, err := Listen(CIDAny, PortAny, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := Listen(CIDAny, a.Port(), nil); !errors.Is(err, unix.EADDRINUSE) {
		t.Fatalf("second listen on %d: %v, want EADDRINUSE", a.Port(), err)
	}
	cid, err := LocalCID()
	if err != nil || cid != CIDLocal {
		t.Fatalf("LocalCID = %d, %v; want 1 with only vsock_loopback", cid, err)
	}
}

// Cancelling a blocked AcceptContext and expiring deadlines return promptly.
func TestHILCancelAndDeadlines(t *testing.T) {
	l, err := Listen(CIDAny, PortAny, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	t0 := time.Now()
	if _, err := l.AcceptContext(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled accept: %v", err)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Fatalf("cancelled accept took %v", d)
	}
	if _, err := l.AcceptContext(ctxT(t, 100*time.Millisecond)); !errors.Is(err, os.ErrDeadlineExceeded) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("accept past ctx deadline: %v", err)
	}
	l.SetDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := l.Accept(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("accept past listener deadline: %v", err)
	}
	l.SetDeadline(time.Time{})
	// A Dial whose context is already done does not connect.
	done, stop := context.WithCancel(context.Background())
	stop()
	if _, err := Dial(done, CIDLocal, l.Port(), nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("dial with a cancelled context: %v", err)
	}

	c, err := Dial(ctxT(t, 5*time.Second), CIDLocal, l.Port(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := l.AcceptContext(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	t0 = time.Now()
	if _, err := c.Read(make([]byte, 10)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past deadline: %v", err)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Fatalf("read deadline took %v", d)
	}
	// Closing one end gives the other io.EOF.
	s.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("read after peer close: %d, %v; want io.EOF", n, err)
	}
}

// SeqPacket keeps message boundaries, Go to Go and Python to Go.
func TestHILSeqPacket(t *testing.T) {
	cfg := &Config{Type: SeqPacket}
	l, err := Listen(CIDAny, PortAny, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := Dial(ctxT(t, 5*time.Second), CIDLocal, l.Port(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := l.AcceptContext(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if typ := s.Socket().Type(); typ != unix.SOCK_SEQPACKET {
		t.Fatalf("accepted type %d", typ)
	}
	msgs := [][]byte{[]byte("one"), bytes.Repeat([]byte{7}, 1000), pattern()[:60000]}
	for _, m := range msgs {
		if n, err := c.Write(m); err != nil || n != len(m) {
			t.Fatalf("write %d: %d, %v", len(m), n, err)
		}
	}
	s.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 100000)
	for _, m := range msgs {
		n, err := s.Read(buf)
		if err != nil || !bytes.Equal(buf[:n], m) {
			t.Fatalf("read %d bytes (%v), want one message of %d", n, err, len(m))
		}
	}

	p := peer.StartPython(t, fmt.Sprintf(`
import socket
s = socket.socket(socket.AF_VSOCK, socket.SOCK_SEQPACKET)
s.connect((1, %d))
for m in (b"a", b"bb" * 100, bytes(range(256)) * 100):
    s.send(m)
print("reply", s.recv(100).hex())
`, l.Port()))
	ps, err := l.AcceptContext(ctxT(t, 60*time.Second))
	if err != nil {
		t.Fatalf("accept: %v; python: %s", err, p.Stderr())
	}
	defer ps.Close()
	ps.SetReadDeadline(time.Now().Add(60 * time.Second))
	for _, want := range []int{1, 200, 25600} {
		n, err := ps.Read(buf)
		if err != nil || n != want {
			t.Fatalf("message from python: %d bytes, %v; want %d", n, err, want)
		}
	}
	ps.Write([]byte{0, 1, 0xff})
	if s := p.Line(t, 30*time.Second); s != "reply 0001ff" {
		t.Fatalf("python: %q", s)
	}
}

// Buffer sizes are set before connect (and the connect timeout accepted); accepted sockets inherit the
// listener's.
func TestHILBufferSize(t *testing.T) {
	l, err := Listen(CIDAny, PortAny, &Config{BufferSize: 32 << 10, BufferMinSize: 4096, BufferMaxSize: 128 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := Dial(ctxT(t, 5*time.Second), CIDLocal, l.Port(), &Config{BufferSize: 64 << 10, ConnectTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := l.AcceptContext(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := c.BufferSize(); err != nil || n != 64<<10 {
		t.Fatalf("dialled buffer size %d, %v; want 65536", n, err)
	}
	if n, err := s.BufferSize(); err != nil || n != 32<<10 {
		t.Fatalf("accepted buffer size %d, %v; want 32768 from the listener", n, err)
	}
	big, err := Dial(ctxT(t, 5*time.Second), CIDLocal, l.Port(), &Config{BufferSize: 1 << 20, BufferMaxSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer big.Close()
	// 6.1's virtio transports do not cap it (VIRTIO_VSOCK_MAX_BUF_SIZE
	// is 0xffffffff).
	if n, err := big.BufferSize(); err != nil || n != 1<<20 {
		t.Fatalf("1 MiB buffer request reads back %d, %v", n, err)
	}
}
