//go:build hil

package tipc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/internal/peer"
	"golang.org/x/sys/unix"
)

// The rig's kernel has TIPC (module tipc, no bearer: one node). The peers
// are Debian's /usr/bin/python3 socket module and iproute2's tipc(8).

// id parses "id NODE REF" (CPython's getsockname: (TIPC_ADDR_ID, node, ref, 0, scope)).
func pyID(t *testing.T, p *peer.Process) SocketID {
	t.Helper()
	f := strings.Fields(p.Line(t, 60*time.Second))
	if len(f) != 3 || f[0] != "id" {
		t.Fatalf("python said %q, want \"id NODE REF\"", f)
	}
	node, _ := strconv.ParseUint(f[1], 10, 32)
	ref, _ := strconv.ParseUint(f[2], 10, 32)
	return SocketID{Node: uint32(node), Ref: uint32(ref)}
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// next reads one event or fails.
func next(t *testing.T, top *Topology, d time.Duration) Event {
	t.Helper()
	e, err := top.Next(ctxT(t, d))
	if err != nil {
		t.Fatalf("topology: %v", err)
	}
	return e
}

// A service Python publishes shows up in our subscription with Python's
// own socket as the port, and goes away when Python closes the socket.
func TestHILTopologySeesPython(t *testing.T) {
	sub := Subscription{Range: ServiceRange{4000, 0, 1000}, Handle: [8]byte{'f', 'g'}}
	top, err := Subscribe(ctxT(t, 10*time.Second), sub)
	if err != nil {
		t.Fatal(err)
	}
	defer top.Close()
	p := peer.StartPython(t, `
import socket, sys
s = socket.socket(socket.AF_TIPC, socket.SOCK_RDM)
s.bind((socket.TIPC_ADDR_NAMESEQ, 4000, 10, 20))
a = s.getsockname()
print("id", a[1], a[2])
sys.stdin.readline()
s.close()
print("closed")
sys.stdin.readline()
`)
	pid := pyID(t, p)
	e := next(t, top, 10*time.Second)
	want := Event{Kind: Published, Found: ServiceRange{4000, 10, 20}, Port: pid, Subscription: sub}
	if e != want {
		t.Fatalf("event %v (%+v)\nwant  %v (%+v)", e, e, want, want)
	}
	node, err := NodeID()
	if err != nil || node != pid.Node {
		t.Fatalf("NodeID %d, %v; python's node %d", node, err, pid.Node)
	}
	fmt.Fprintln(p.In())
	if s := p.Line(t, 10*time.Second); s != "closed" {
		t.Fatalf("python: %q", s)
	}
	e = next(t, top, 10*time.Second)
	want.Kind = Withdrawn
	if e != want {
		t.Fatalf("event %v, want %v", e, want)
	}
	t.Logf("python %v: %v, then withdrawn", pid, want.Found)
}

// Reliable datagrams both ways with Python: it sends to our service, we
// see its socket as the source and answer there.
func TestHILRDMWithPython(t *testing.T) {
	c, err := ListenPacket(nil, ServiceRange{4001, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := peer.StartPython(t, `
import socket
s = socket.socket(socket.AF_TIPC, socket.SOCK_RDM)
s.bind((socket.TIPC_ADDR_NAMESEQ, 4090, 7, 7))
a = s.getsockname()
print("id", a[1], a[2])
s.sendto(b"ping from python" + bytes(range(256)) * 20, (socket.TIPC_ADDR_NAME, 4001, 1, 0))
data, src = s.recvfrom(65536)
print("reply", data.hex(), src[0], src[1], src[2])
`)
	pid := pyID(t, p)
	buf := make([]byte, 66000)
	n, from, err := c.ReadFrom(ctxT(t, 30*time.Second), buf)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]byte("ping from python"), bytes.Repeat(seq256(), 20)...)
	if !bytes.Equal(buf[:n], want) {
		t.Fatalf("received %d bytes, want %d: % x...", n, len(want), buf[:min(n, 32)])
	}
	if from != pid {
		t.Fatalf("source %v, python's getsockname %v", from, pid)
	}
	me, err := c.LocalID()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteToSocket(ctxT(t, 5*time.Second), []byte("pong\x00\xff"), from); err != nil {
		t.Fatal(err)
	}
	got := p.Line(t, 30*time.Second)
	if w := fmt.Sprintf("reply 706f6e6700ff 3 %d %d", me.Node, me.Ref); got != w {
		t.Fatalf("python: %q\nwant    %q", got, w)
	}
	// Python has exited, so its published range is gone with it.
	p.Wait()
	if _, err := c.WriteTo(ctxT(t, 5*time.Second), []byte("x"), Service{4090, 7}); !errors.Is(err, unix.EHOSTUNREACH) {
		t.Fatalf("write to python's service after it exited: %v, want EHOSTUNREACH", err)
	}
}

func seq256() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// A stream connection from Python to our Listener: 256 KiB echoed back
// intact, and the accepted peer is Python's socket.
func TestHILStreamWithPython(t *testing.T) {
	l, err := Listen(ServiceRange{4002, 5, 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Addr().Network() != "tipc" || l.Addr().String() != "{4002,5,5}" {
		t.Fatalf("listener addr %v %v", l.Addr().Network(), l.Addr())
	}
	p := peer.StartPython(t, `
import socket, hashlib
s = socket.socket(socket.AF_TIPC, socket.SOCK_STREAM)
s.connect((socket.TIPC_ADDR_NAME, 4002, 5, 0))
a = s.getsockname()
print("id", a[1], a[2])
data = bytes((i * 7 + i // 256) & 0xff for i in range(262144))
s.sendall(data)
back = b""
while len(back) < len(data):
    b = s.recv(65536)
    if not b:
        break
    back += b
print("echo", len(back), back == data)
s.close()
`)
	conn, peer, err := l.AcceptContext(ctxT(t, 60*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pid := pyID(t, p)
	if peer != pid {
		t.Fatalf("accepted peer %v, python's getsockname %v", peer, pid)
	}
	// TIPC has no half-close (shutdown ends the whole connection), so
	// Python sends a known length and waits for it back.
	data := make([]byte, 262144)
	if _, err := io.ReadFull(conn, data); err != nil {
		t.Fatal(err)
	}
	for i, b := range data {
		if b != byte((i*7+i/256)&0xff) {
			t.Fatalf("byte %d = %#x", i, b)
		}
	}
	if _, err := conn.Write(data); err != nil {
		t.Fatal(err)
	}
	if s := p.Line(t, 60*time.Second); s != "echo 262144 True" {
		t.Fatalf("python: %q", s)
	}
	// Python closed: we see the end of the connection, not more data.
	if n, err := conn.Read(data); n != 0 || err == nil {
		t.Fatalf("after python closed: %d bytes, %v", n, err)
	}
}

// We wait for Python's SOCK_SEQPACKET service, dial it, and message
// boundaries hold both ways.
func TestHILSeqpacketDialPython(t *testing.T) {
	p := peer.StartPython(t, `
import socket
s = socket.socket(socket.AF_TIPC, socket.SOCK_SEQPACKET)
# listen first: the bind publishes the service, and a client that waited
# for the publication must find the socket listening.
s.listen(1)
s.bind((socket.TIPC_ADDR_NAMESEQ, 4003, 7, 7))
c, peer = s.accept()
print("peer", peer[1], peer[2])
while True:
    try:
        m = c.recv(65536)
    except ConnectionResetError:  # TIPC: a close without shutdown resets
        m = b""
    if not m:
        break
    c.send(b"py:" + m)
print("done")
`)
	ev, err := WaitService(ctxT(t, 60*time.Second), Service{4003, 7})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Kind != Published || ev.Found != (ServiceRange{4003, 7, 7}) {
		t.Fatalf("WaitService: %v", ev)
	}
	conn, err := Dial(ctxT(t, 10*time.Second), Service{4003, 7}, &Config{Type: unix.SOCK_SEQPACKET})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	f := strings.Fields(p.Line(t, 30*time.Second))
	local := conn.LocalAddr().String()
	if len(f) != 3 || !strings.Contains(local, "<"+f[1]+":"+f[2]+">") {
		t.Fatalf("python saw peer %q, our local address %s", f, local)
	}
	buf := make([]byte, 100)
	for _, m := range []string{"a", "bb", strings.Repeat("c", 60)} {
		if _, err := conn.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
		n, err := conn.Read(buf)
		if err != nil || string(buf[:n]) != "py:"+m {
			t.Fatalf("read %q, %v; want %q", buf[:n], err, "py:"+m)
		}
	}
	conn.Close()
	if s := p.Line(t, 10*time.Second); s != "done" {
		t.Fatalf("python: %q", s)
	}
}

// Multicast reaches every socket with an instance in the range, once each,
// and none outside it.
func TestHILMulticast(t *testing.T) {
	var cs []*Conn
	for _, r := range []ServiceRange{{4004, 0, 9}, {4004, 5, 15}, {4004, 50, 60}} {
		c, err := ListenPacket(nil, r)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		cs = append(cs, c)
	}
	tx, err := ListenPacket(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	if _, err := tx.WriteToRange(ctxT(t, 5*time.Second), []byte("to all of 0..20"), ServiceRange{4004, 0, 20}); err != nil {
		t.Fatal(err)
	}
	me, _ := tx.LocalID()
	buf := make([]byte, 64)
	for i, c := range cs[:2] {
		n, from, err := c.ReadFrom(ctxT(t, 5*time.Second), buf)
		if err != nil || string(buf[:n]) != "to all of 0..20" || from != me {
			t.Fatalf("member %d: %q from %v (we are %v), %v", i, buf[:n], from, me, err)
		}
		if n, _, err := c.ReadFrom(ctxT(t, 300*time.Millisecond), buf); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("member %d: second message %q, %v", i, buf[:n], err)
		}
	}
	if n, _, err := cs[2].ReadFrom(ctxT(t, 300*time.Millisecond), buf); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("socket outside the range got %q, %v", buf[:n], err)
	}
	if _, err := tx.WriteToRange(ctxT(t, time.Second), []byte("x"), ServiceRange{4004, 9, 1}); err == nil || !strings.Contains(err.Error(), "lower 9 is above upper 1") {
		t.Fatalf("reversed range: %v", err)
	}
}

// Publish and Withdraw on one socket, as the topology server and tipc(8)
// see them; a withdrawn service is unreachable.
func TestHILPublishWithdrawNameTable(t *testing.T) {
	sub := Subscription{Range: ServiceRange{4005, 0, 0xFFFFFFFF}}
	top, err := Subscribe(ctxT(t, 5*time.Second), sub)
	if err != nil {
		t.Fatal(err)
	}
	defer top.Close()
	c, err := ListenPacket(&Config{Scope: NodeScope, Importance: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	me, _ := c.LocalID()
	if err := c.Publish(ServiceRange{4005, 100, 200}); err != nil {
		t.Fatal(err)
	}
	if e := next(t, top, 5*time.Second); e.Kind != Published || e.Found != (ServiceRange{4005, 100, 200}) || e.Port != me {
		t.Fatalf("after Publish: %v, want published {4005,100,200} by %v", e, me)
	}
	if v, err := c.Socket().GetsockoptInt(unix.SOL_TIPC, unix.TIPC_IMPORTANCE); err != nil || v != 2 {
		t.Fatalf("TIPC_IMPORTANCE %d, %v", v, err)
	}
	out, err := exec.Command("tipc", "nametable", "show").CombinedOutput()
	if err != nil {
		t.Fatalf("tipc nametable show: %v %s", err, out)
	}
	row := findRow(string(out), "4005")
	// Type Lower Upper Scope Port Node
	if len(row) < 5 || row[1] != "100" || row[2] != "200" || row[3] != "node" || row[4] != strconv.FormatUint(uint64(me.Ref), 10) {
		t.Fatalf("tipc nametable show row %q for our {4005,100,200} node-scope publication by %v:\n%s", row, me, out)
	}
	if err := c.Withdraw(ServiceRange{4005, 100, 200}); err != nil {
		t.Fatal(err)
	}
	if e := next(t, top, 5*time.Second); e.Kind != Withdrawn || e.Port != me {
		t.Fatalf("after Withdraw: %v", e)
	}
	if _, err := c.WriteTo(ctxT(t, time.Second), []byte("x"), Service{4005, 150}); !errors.Is(err, unix.EHOSTUNREACH) {
		t.Fatalf("write to withdrawn service: %v, want EHOSTUNREACH", err)
	}
	out, _ = exec.Command("tipc", "nametable", "show").CombinedOutput()
	if row := findRow(string(out), "4005"); row != nil {
		t.Fatalf("tipc nametable still lists %q after Withdraw", row)
	}
}

func findRow(table, typ string) []string {
	for _, l := range strings.Split(table, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == typ {
			return f
		}
	}
	return nil
}

// Errors a user meets: nobody publishing, the kernel's reserved types
// (refused before the kernel), a subscription timing out.
func TestHILErrors(t *testing.T) {
	if _, err := Dial(ctxT(t, 5*time.Second), Service{4006, 1}, nil); !errors.Is(err, unix.EHOSTUNREACH) {
		t.Fatalf("dial unpublished: %v, want EHOSTUNREACH", err)
	} else if !strings.Contains(err.Error(), "dial {4006,1}") {
		t.Fatalf("dial error does not name the service: %v", err)
	}
	if _, err := Listen(ServiceRange{10, 0, 0}, nil); err == nil || !strings.Contains(err.Error(), "type 10 is reserved") {
		t.Fatalf("reserved type: %v", err)
	}
	if _, err := ListenPacket(&Config{Type: unix.SOCK_STREAM}); err == nil || !strings.Contains(err.Error(), "want SOCK_RDM or SOCK_DGRAM") {
		t.Fatalf("stream type for ListenPacket: %v", err)
	}
	sub := Subscription{Range: ServiceRange{4007, 0, 0}, Timeout: 200 * time.Millisecond, Handle: [8]byte{1, 2, 3}}
	top, err := Subscribe(ctxT(t, 5*time.Second), sub)
	if err != nil {
		t.Fatal(err)
	}
	defer top.Close()
	start := time.Now()
	e := next(t, top, 10*time.Second)
	if e.Kind != Timeout || e.Subscription != sub {
		t.Fatalf("event %+v, want a timeout of %+v", e, sub)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("timeout after %v, subscribed 200ms", d)
	}
	// A cancelled subscription reports nothing more. The server handles a
	// connection's requests in order but apart from our publications, so
	// each step is confirmed by an event of a later request.
	sub2 := Subscription{Range: ServiceRange{4008, 0, 9}}
	if err := top.Add(ctxT(t, time.Second), sub2); err != nil {
		t.Fatal(err)
	}
	c1, err := ListenPacket(nil, ServiceRange{4008, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	if e := next(t, top, 5*time.Second); e.Kind != Published || e.Subscription != sub2 {
		t.Fatalf("before cancel: %v", e)
	}
	if err := top.Cancel(ctxT(t, time.Second), sub2); err != nil {
		t.Fatal(err)
	}
	sub3 := Subscription{Range: ServiceRange{4009, 0, 9}}
	if err := top.Add(ctxT(t, time.Second), sub3); err != nil {
		t.Fatal(err)
	}
	c3, err := ListenPacket(nil, ServiceRange{4009, 3, 3})
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	if e := next(t, top, 5*time.Second); e.Subscription != sub3 {
		t.Fatalf("after cancel: %v for %+v, want the event of %+v", e, e.Subscription, sub3)
	}
	// The cancel was handled before sub3: a new publication in sub2's
	// range and c1's withdrawal are not reported.
	c2, err := ListenPacket(nil, ServiceRange{4008, 2, 2})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c1.Close()
	if e, err := top.Next(ctxT(t, 500*time.Millisecond)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled subscription reported %v, %v", e, err)
	}
}
