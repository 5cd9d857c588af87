//go:build linux

package core

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var loop4 = netip.MustParseAddr("127.0.0.1")

// udp4 returns a UDP socket bound to 127.0.0.1 on an ephemeral port and its
// address.
func udp4(t testing.TB) (*Socket, InetAddr) {
	t.Helper()
	s, err := NewSocket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Bind(InetAddr{IP: loop4}); err != nil {
		t.Fatal(err)
	}
	a, err := s.SockName()
	if err != nil {
		t.Fatal(err)
	}
	ia, ok := a.(*InetAddr)
	if !ok || ia.Port == 0 || ia.IP != loop4 {
		t.Fatalf("SockName = %#v", a)
	}
	return s, *ia
}

// tcpPair returns a connected TCP client and the accepted server side.
func tcpPair(t testing.TB) (client, server *Socket) {
	t.Helper()
	ln, err := NewSocket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := ln.Bind(InetAddr{IP: loop4}); err != nil {
		t.Fatal(err)
	}
	if err := ln.Listen(1); err != nil {
		t.Fatal(err)
	}
	la, _ := ln.SockName()
	c, err := NewSocket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(la); err != nil {
		t.Fatal(err)
	}
	s, peer, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := c.SockName()
	if !sameAddr(peer, ca) {
		t.Fatalf("Accept peer %v, client SockName %v", peer, ca)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c, s
}

func TestNewSocketFlags(t *testing.T) {
	s, err := NewSocket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Type() != unix.SOCK_DGRAM || s.Family() != unix.AF_INET || s.Proto() != 0 {
		t.Fatalf("family/type/proto = %d/%d/%d", s.Family(), s.Type(), s.Proto())
	}
	if s.Timeout() != 0 || s.Blocking() {
		t.Fatalf("SOCK_NONBLOCK: timeout %v blocking %v, want 0 false", s.Timeout(), s.Blocking())
	}
	inh, err := s.Inheritable()
	if err != nil || inh {
		t.Fatalf("Inheritable = %v, %v; want false", inh, err)
	}
	if err := s.SetInheritable(true); err != nil {
		t.Fatal(err)
	}
	if inh, _ := s.Inheritable(); !inh {
		t.Fatal("SetInheritable(true) not applied")
	}
	b, err := NewSocket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Timeout() != NoTimeout || !b.Blocking() {
		t.Fatalf("default: timeout %v blocking %v, want NoTimeout true", b.Timeout(), b.Blocking())
	}
	if _, err := NewSocket(unix.AF_INET, unix.SOCK_DGRAM, 6); !errors.Is(err, unix.EPROTONOSUPPORT) {
		t.Fatalf("UDP socket with IPPROTO_TCP: %v, want EPROTONOSUPPORT", err)
	}
}

func TestTimeoutModes(t *testing.T) {
	s, addr := udp4(t)
	c, _ := udp4(t)
	buf := make([]byte, 64)

	// Non-blocking: EAGAIN at once.
	if err := s.SetBlocking(false); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := s.RecvInto(buf, 0)
	if !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("non-blocking RecvInto: %v, want EAGAIN", err)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("EAGAIN reported as a deadline: %v", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("non-blocking RecvInto took %v", d)
	}

	// Timeout mode: os.ErrDeadlineExceeded after about the timeout.
	if err := s.SetTimeout(80 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if s.Timeout() != 80*time.Millisecond || !s.Blocking() {
		t.Fatalf("Timeout %v Blocking %v", s.Timeout(), s.Blocking())
	}
	start = time.Now()
	_, err = s.RecvInto(buf, 0)
	d := time.Since(start)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("timeout RecvInto: %v, want os.ErrDeadlineExceeded", err)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("timeout error %v is not a net.Error with Timeout()", err)
	}
	if d < 80*time.Millisecond || d > 2*time.Second {
		t.Fatalf("timeout after %v, want about 80ms", d)
	}
	// The timeout is per operation: a datagram arriving in time is read.
	if _, err := c.SendTo([]byte("in time"), 0, addr); err != nil {
		t.Fatal(err)
	}
	n, err := s.RecvInto(buf, 0)
	if err != nil || string(buf[:n]) != "in time" {
		t.Fatalf("RecvInto = %q, %v", buf[:n], err)
	}

	// Blocking: waits until data arrives.
	if err := s.SetBlocking(true); err != nil {
		t.Fatal(err)
	}
	if s.Timeout() != NoTimeout {
		t.Fatalf("blocking Timeout = %v", s.Timeout())
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		c.SendTo([]byte("late"), 0, addr)
	}()
	start = time.Now()
	n, err = s.RecvInto(buf, 0)
	if err != nil || string(buf[:n]) != "late" {
		t.Fatalf("blocking RecvInto = %q, %v", buf[:n], err)
	}
	if d := time.Since(start); d < 90*time.Millisecond {
		t.Fatalf("blocking RecvInto returned after %v, before the datagram was sent", d)
	}

	if err := s.SetTimeout(-5); !errors.Is(err, ErrNegativeTimeout) {
		t.Fatalf("SetTimeout(-5) = %v", err)
	}
}

func TestDefaultTimeoutAndAccept(t *testing.T) {
	defer SetDefaultTimeout(NoTimeout)
	if DefaultTimeout() != NoTimeout {
		t.Fatalf("initial DefaultTimeout = %v", DefaultTimeout())
	}
	if err := SetDefaultTimeout(-2); !errors.Is(err, ErrNegativeTimeout) {
		t.Fatalf("SetDefaultTimeout(-2) = %v, want ErrNegativeTimeout", err)
	}
	ln, err := NewSocket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ln.Bind(InetAddr{IP: loop4})
	ln.Listen(4)
	la, _ := ln.SockName()
	ln.SetTimeout(5 * time.Second)

	accept := func() *Socket {
		c, err := NewSocket(unix.AF_INET, unix.SOCK_STREAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if err := c.Connect(la); err != nil {
			t.Fatal(err)
		}
		a, _, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		return a
	}
	// No default timeout, listener in timeout mode: accepted is blocking.
	if a := accept(); a.Timeout() != NoTimeout {
		t.Fatalf("accepted timeout %v, want NoTimeout", a.Timeout())
	}
	// A default timeout is inherited.
	SetDefaultTimeout(3 * time.Second)
	if a := accept(); a.Timeout() != 3*time.Second {
		t.Fatalf("accepted timeout %v, want 3s", a.Timeout())
	}
	s, err := NewSocket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Timeout() != 3*time.Second {
		t.Fatalf("new socket timeout %v, want 3s", s.Timeout())
	}
}

func TestClosedSocket(t *testing.T) {
	s, addr := udp4(t)
	if s.Fileno() < 0 {
		t.Fatal("Fileno < 0 on open socket")
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.RecvInto(make([]byte, 8), 0)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("blocked RecvInto after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not unblock RecvInto")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if s.Fileno() != -1 {
		t.Fatalf("Fileno after Close = %d", s.Fileno())
	}
	checks := map[string]error{}
	_, checks["SendTo"] = s.SendTo([]byte("x"), 0, addr)
	_, checks["Recv"] = s.Recv(1, 0)
	checks["Bind"] = s.Bind(addr)
	checks["Connect"] = s.Connect(addr)
	_, checks["SockName"] = s.SockName()
	_, checks["GetsockoptInt"] = s.GetsockoptInt(unix.SOL_SOCKET, unix.SO_TYPE)
	_, checks["RecvMmsg"] = s.RecvMmsg(make([]Message, 1), 0)
	_, checks["Dup"] = s.Dup()
	_, checks["Detach"] = s.Detach()
	checks["SetTimeout"] = s.SetTimeout(time.Second)
	for name, err := range checks {
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("%s on closed socket: %v, want net.ErrClosed", name, err)
		}
	}
}

func TestContextCancelAndDeadline(t *testing.T) {
	s, addr := udp4(t)
	c, _ := udp4(t)
	buf := make([]byte, 16)

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := s.RecvIntoContext(ctx, buf, 0)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled RecvIntoContext: %v, want context.Canceled", err)
	}
	// The socket is usable afterwards: the cancel deadline was disarmed.
	c.SendTo([]byte("after"), 0, addr)
	n, err := s.RecvInto(buf, 0)
	if err != nil || string(buf[:n]) != "after" {
		t.Fatalf("RecvInto after cancel = %q, %v", buf[:n], err)
	}

	ctx, cancel = context.WithTimeout(context.Background(), 60*time.Millisecond)
	defer cancel()
	_, _, err = s.RecvFromContext(ctx, 16, 0)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, os.ErrDeadlineExceeded) || !isTimeout(err) {
		t.Fatalf("ctx deadline: %v, want context.DeadlineExceeded and os.ErrDeadlineExceeded", err)
	}

	// Already-cancelled context: no system call.
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := s.SendToContext(ctx, []byte("x"), 0, addr); !errors.Is(err, context.Canceled) {
		t.Fatalf("SendToContext with cancelled ctx: %v", err)
	}

	// SetReadDeadline in the past.
	s.SetReadDeadline(time.Now().Add(-time.Second))
	if _, err := s.RecvInto(buf, 0); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("past deadline: %v", err)
	}
	s.SetReadDeadline(time.Time{})
	c.SendTo([]byte("again"), 0, addr)
	if n, err := s.RecvInto(buf, 0); err != nil || string(buf[:n]) != "again" {
		t.Fatalf("after clearing deadline: %q, %v", buf[:n], err)
	}
}

func TestErrnoWrapping(t *testing.T) {
	// A port with no listener: bind one, remember it, close it.
	p, err := NewSocket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	p.Bind(InetAddr{IP: loop4})
	dead, _ := p.SockName()
	p.Close()

	s, err := NewSocket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Connect(dead)
	if !errors.Is(err, unix.ECONNREFUSED) {
		t.Fatalf("Connect to dead port: %v, want ECONNREFUSED", err)
	}
	if !strings.Contains(err.Error(), "connect") {
		t.Fatalf("error %q does not name the operation", err)
	}
	var se *os.SyscallError
	if !errors.As(err, &se) || se.Syscall != "connect" {
		t.Fatalf("error %v has no *os.SyscallError for connect", err)
	}
	u, _ := udp4(t)
	if err := u.Bind(InetAddr{IP: loop4}); !errors.Is(err, unix.EINVAL) {
		t.Fatalf("second Bind: %v, want EINVAL", err)
	}
}

func TestConnectEx(t *testing.T) {
	p, _ := NewSocket(unix.AF_INET, unix.SOCK_STREAM, 0)
	p.Bind(InetAddr{IP: loop4})
	dead, _ := p.SockName()
	p.Close()

	s, _ := NewSocket(unix.AF_INET, unix.SOCK_STREAM, 0)
	defer s.Close()
	errno, err := s.ConnectEx(dead)
	if err != nil || errno != unix.ECONNREFUSED {
		t.Fatalf("ConnectEx(dead) = %v, %v; want ECONNREFUSED", errno, err)
	}

	ln, _ := NewSocket(unix.AF_INET, unix.SOCK_STREAM, 0)
	defer ln.Close()
	ln.Bind(InetAddr{IP: loop4})
	ln.Listen(4)
	la, _ := ln.SockName()
	ok, _ := NewSocket(unix.AF_INET, unix.SOCK_STREAM, 0)
	defer ok.Close()
	if errno, err := ok.ConnectEx(la); errno != 0 || err != nil {
		t.Fatalf("ConnectEx(listener) = %v, %v; want 0", errno, err)
	}
	if errno, err := ok.ConnectEx(la); errno != 0 || err != nil {
		// connect on a connected TCP socket: EISCONN, reported as success
		// by the net package's rules, but CPython reports EISCONN.
		if errno != unix.EISCONN {
			t.Fatalf("second ConnectEx = %v, %v", errno, err)
		}
	}
	nb, _ := NewSocket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
	defer nb.Close()
	if errno, err := nb.ConnectEx(la); err != nil || (errno != unix.EINPROGRESS && errno != 0) {
		t.Fatalf("non-blocking ConnectEx = %v, %v; want EINPROGRESS", errno, err)
	}
	if err := nb.Connect(la); err == nil {
		t.Log("non-blocking Connect completed at once")
	} else if !errors.Is(err, unix.EINPROGRESS) && !errors.Is(err, unix.EALREADY) && !errors.Is(err, unix.EISCONN) {
		t.Fatalf("non-blocking Connect: %v", err)
	}
	closed, _ := NewSocket(unix.AF_INET, unix.SOCK_STREAM, 0)
	closed.Close()
	if _, err := closed.ConnectEx(la); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("ConnectEx on closed socket: %v", err)
	}
}

func TestTCPStream(t *testing.T) {
	c, s := tcpPair(t)
	msg := bytes.Repeat([]byte("fieldgate "), 100000) // 1 MB
	errc := make(chan error, 1)
	go func() { errc <- c.SendAll(msg, 0) }()
	got := make([]byte, 0, len(msg))
	buf := make([]byte, 32<<10)
	for len(got) < len(msg) {
		n, err := s.RecvInto(buf, 0)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("stream data mismatch")
	}
	pa, err := s.PeerName()
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := c.SockName()
	if !sameAddr(pa, ca) {
		t.Fatalf("PeerName %v != client SockName %v", pa, ca)
	}
	if err := c.Shutdown(unix.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(10, 0); err != io.EOF {
		t.Fatalf("Recv after peer shutdown: %v, want io.EOF", err)
	}
	if n, err := c.Send(nil, 0); err == nil {
		t.Fatalf("Send after SHUT_WR = %d, nil", n)
	} else if !errors.Is(err, unix.EPIPE) {
		t.Fatalf("Send after SHUT_WR: %v, want EPIPE", err)
	}
}

func TestUDPInet6(t *testing.T) {
	s, err := NewSocket(unix.AF_INET6, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Bind(Inet6Addr{IP: netip.IPv6Loopback()}); err != nil {
		t.Fatal(err)
	}
	a, _ := s.SockName()
	sa := *a.(*Inet6Addr)
	c, _ := NewSocket(unix.AF_INET6, unix.SOCK_DGRAM, 0)
	defer c.Close()
	c.Bind(Inet6Addr{IP: netip.IPv6Loopback()})
	ca, _ := c.SockName()
	if _, err := c.SendTo([]byte("six"), 0, &sa); err != nil {
		t.Fatal(err)
	}
	var from Inet6Addr
	buf := make([]byte, 8)
	n, got, err := s.RecvFromInto(buf, 0, &from)
	if err != nil || string(buf[:n]) != "six" {
		t.Fatalf("RecvFromInto = %q, %v", buf[:n], err)
	}
	if got != Addr(&from) || from != *ca.(*Inet6Addr) {
		t.Fatalf("from = %v (%v), want %v", from, got, ca)
	}
}

func TestRecvTruncAndPeek(t *testing.T) {
	s, addr := udp4(t)
	c, caddr := udp4(t)
	c.SendTo([]byte("0123456789"), 0, addr)
	data, from, err := s.RecvFrom(4, unix.MSG_PEEK)
	if err != nil || string(data) != "0123" || !sameAddr(from, caddr) {
		t.Fatalf("RecvFrom PEEK = %q %v %v", data, from, err)
	}
	buf := make([]byte, 4)
	n, err := s.RecvInto(buf, unix.MSG_TRUNC)
	if err != nil || n != 10 || string(buf) != "0123" {
		t.Fatalf("RecvInto MSG_TRUNC = %d %q %v, want 10", n, buf, err)
	}
	c.SendTo([]byte("abcdef"), 0, addr)
	d, cm, flags, from, err := s.RecvMsg(3, 0, 0)
	if err != nil || string(d) != "abc" || len(cm) != 0 || flags&unix.MSG_TRUNC == 0 || !sameAddr(from, caddr) {
		t.Fatalf("RecvMsg = %q %v %#x %v %v", d, cm, flags, from, err)
	}
}

func TestFromFDAndDupFD(t *testing.T) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, unix.IPPROTO_UDP)
	if err != nil {
		t.Fatal(err)
	}
	s, err := FromFD(fd)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Family() != unix.AF_INET || s.Type() != unix.SOCK_DGRAM || s.Proto() != unix.IPPROTO_UDP || s.Fileno() != fd {
		t.Fatalf("FromFD detected %d/%d/%d fd %d", s.Family(), s.Type(), s.Proto(), s.Fileno())
	}
	ufd, _ := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET, 0)
	u, err := FromFD(ufd)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if u.Family() != unix.AF_UNIX || u.Type() != unix.SOCK_SEQPACKET {
		t.Fatalf("FromFD unix seqpacket: %d/%d", u.Family(), u.Type())
	}
	// Not a socket.
	f, _ := os.Open("/dev/null")
	defer f.Close()
	if _, err := FromFD(int(f.Fd())); !errors.Is(err, unix.ENOTSOCK) {
		t.Fatalf("FromFD(/dev/null): %v, want ENOTSOCK", err)
	}

	d, err := DupFD(s.Fileno(), unix.AF_INET, unix.SOCK_DGRAM, unix.IPPROTO_UDP)
	if err != nil {
		t.Fatal(err)
	}
	if d.Fileno() == s.Fileno() {
		t.Fatal("DupFD did not duplicate")
	}
	d.Close()
	if _, err := s.GetsockoptInt(unix.SOL_SOCKET, unix.SO_TYPE); err != nil {
		t.Fatalf("original unusable after closing DupFD's socket: %v", err)
	}
}

func TestDetachDup(t *testing.T) {
	s, addr := udp4(t)
	c, _ := udp4(t)
	d, err := s.Dup()
	if err != nil {
		t.Fatal(err)
	}
	if da, _ := d.SockName(); !sameAddr(da, addr) {
		t.Fatalf("Dup SockName %v, want %v", da, addr)
	}
	s.SetTimeout(time.Second)
	d2, _ := s.Dup()
	if d2.Timeout() != time.Second {
		t.Fatalf("Dup timeout %v, want 1s", d2.Timeout())
	}
	d2.Close()
	fd, err := s.Detach()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SockName(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("SockName after Detach: %v", err)
	}
	// The detached descriptor is still the same socket.
	r, err := FromFD(fd)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if ra, _ := r.SockName(); !sameAddr(ra, addr) {
		t.Fatalf("detached SockName %v, want %v", ra, addr)
	}
	c.SendTo([]byte("dup"), 0, addr)
	buf := make([]byte, 8)
	if n, err := d.RecvInto(buf, 0); err != nil || string(buf[:n]) != "dup" {
		t.Fatalf("Dup RecvInto = %q %v", buf[:n], err)
	}
	d.Close()
}

func TestSocketpairAndRights(t *testing.T) {
	a, b, err := Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	if a.Family() != unix.AF_UNIX || b.Type() != unix.SOCK_STREAM {
		t.Fatal("Socketpair family/type")
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	if n, err := SendFDs(a, [][]byte{[]byte("fd"), []byte("s")}, []int{p[1], p[0]}, 0, nil); err != nil || n != 3 {
		t.Fatalf("SendFDs = %d, %v", n, err)
	}
	data, fds, flags, _, err := RecvFDs(b, 16, 4, 0)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "fds" || len(fds) != 2 || flags&unix.MSG_CTRUNC != 0 {
		t.Fatalf("RecvFDs = %q %v %#x", data, fds, flags)
	}
	for _, fd := range fds {
		defer unix.Close(fd)
		fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if fl&unix.FD_CLOEXEC == 0 {
			t.Errorf("received fd %d not close-on-exec", fd)
		}
	}
	// The received write end writes into our pipe.
	if _, err := unix.Write(fds[0], []byte("through")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, _ := unix.Read(p[0], buf)
	if string(buf[:n]) != "through" {
		t.Fatalf("pipe read %q", buf[:n])
	}

	// Too small a control buffer: MSG_CTRUNC, the one descriptor that fits.
	SendFDs(a, [][]byte{[]byte("x")}, []int{p[0], p[1]}, 0, nil)
	_, fds, flags, _, err = RecvFDs(b, 16, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if flags&unix.MSG_CTRUNC == 0 || len(fds) != 1 {
		t.Fatalf("truncated RecvFDs: fds %v flags %#x, want 1 fd and MSG_CTRUNC", fds, flags)
	}
	unix.Close(fds[0])
}

func TestSCMCredentials(t *testing.T) {
	a, b, err := Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	if err := b.SetsockoptInt(unix.SOL_SOCKET, unix.SO_PASSCRED, 1); err != nil {
		t.Fatal(err)
	}
	want := Ucred{Pid: int32(os.Getpid()), Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid())}
	if _, err := a.SendMsg([][]byte{[]byte("cred")}, []Cmsg{CredentialsCmsg(want)}, 0, nil); err != nil {
		t.Fatal(err)
	}
	data, cmsgs, _, _, err := b.RecvMsg(16, unix.CmsgSpace(12), 0)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "cred" || len(cmsgs) != 1 {
		t.Fatalf("RecvMsg = %q %v", data, cmsgs)
	}
	got, err := cmsgs[0].Credentials()
	if err != nil || got != want {
		t.Fatalf("credentials %+v, %v; want %+v", got, err, want)
	}
	// Without an explicit message the kernel still attaches ours.
	a.Send([]byte("implicit"), 0)
	_, cmsgs, _, _, err = b.RecvMsg(16, unix.CmsgSpace(12), 0)
	if err != nil || len(cmsgs) != 1 {
		t.Fatalf("implicit credentials: %v %v", cmsgs, err)
	}
	if got, _ := cmsgs[0].Credentials(); got != want {
		t.Fatalf("implicit credentials %+v, want %+v", got, want)
	}
}

// TestRecvMsgIntoScatter is the recvmsg_into example of CPython's socket
// documentation (socketpair(), so AF_UNIX SOCK_STREAM) byte for byte, and
// the same over SOCK_DGRAM.
func TestRecvMsgIntoScatter(t *testing.T) {
	for _, typ := range []int{unix.SOCK_STREAM, unix.SOCK_DGRAM} {
		a, b, err := Socketpair(unix.AF_UNIX, typ, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		defer b.Close()
		const msg = "Mary had a little lamb"
		if n, err := a.Send([]byte(msg), 0); err != nil || n != 22 {
			t.Fatalf("Send = %d, %v; Python prints 22", n, err)
		}
		b1 := []byte("----")
		b2 := []byte("0123456789")
		b3 := []byte("--------------")
		n, cmsgs, flags, from, err := b.RecvMsgInto([][]byte{b1, b2[2:9], b3}, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		// Python: (22, [], 0, None)
		if n != len(msg) || len(cmsgs) != 0 || flags != 0 || (from != nil && from.String() != "") {
			t.Fatalf("type %d: RecvMsgInto = %d %v %#x %v", typ, n, cmsgs, flags, from)
		}
		// Python: [bytearray(b'Mary'), bytearray(b'01 had a 9'), bytearray(b'little lamb---')]
		if string(b1) != "Mary" || string(b2) != "01 had a 9" || string(b3) != "little lamb---" {
			t.Fatalf("type %d: scatter %q %q %q", typ, b1, b2, b3)
		}
	}
}

func TestSendFile(t *testing.T) {
	c, s := tcpPair(t)
	content := make([]byte, 300000)
	for i := range content {
		content[i] = byte(i * 7)
	}
	f, err := os.CreateTemp(t.TempDir(), "sendfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write(content)

	recv := func(n int) []byte {
		out := make([]byte, 0, n)
		buf := make([]byte, 65536)
		for len(out) < n {
			m, err := s.RecvInto(buf[:min(len(buf), n-len(out))], 0)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, buf[:m]...)
		}
		return out
	}
	done := make(chan []byte)
	go func() { done <- recv(len(content) - 10) }()
	n, err := c.SendFile(f, 10, 0)
	if err != nil || n != int64(len(content)-10) {
		t.Fatalf("SendFile = %d, %v", n, err)
	}
	if got := <-done; !bytes.Equal(got, content[10:]) {
		t.Fatal("SendFile data mismatch")
	}
	if pos, _ := f.Seek(0, io.SeekCurrent); pos != int64(len(content)) {
		t.Fatalf("file offset after SendFile = %d, want %d", pos, len(content))
	}
	go func() { done <- recv(1000) }()
	if n, err := c.SendFile(f, 5, 1000); err != nil || n != 1000 {
		t.Fatalf("SendFile count = %d, %v", n, err)
	}
	if got := <-done; !bytes.Equal(got, content[5:1005]) {
		t.Fatal("SendFile count data mismatch")
	}
	// A pipe cannot be sendfile(2)'d from: the read/send fallback is used.
	pr, pw, _ := os.Pipe()
	go func() { pw.Write([]byte("from a pipe")); pw.Close() }()
	go func() { done <- recv(11) }()
	if n, err := c.SendFile(pr, 0, 11); n != 11 || err != nil {
		t.Fatalf("SendFile(pipe) = %d, %v", n, err)
	} else if got := <-done; string(got) != "from a pipe" {
		t.Fatalf("pipe data %q", got)
	}
	pr.Close()
}

func TestNetlinkRoute(t *testing.T) {
	s, err := NewSocket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Bind(NetlinkAddr{}); err != nil {
		t.Fatal(err)
	}
	a, err := s.SockName()
	if err != nil {
		t.Fatal(err)
	}
	if na, ok := a.(*NetlinkAddr); !ok || na.PID == 0 {
		t.Fatalf("netlink SockName = %#v, want a kernel-assigned port id", a)
	}
	// RTM_GETLINK dump of lo.
	req := make([]byte, unix.NLMSG_HDRLEN+unix.SizeofIfInfomsg)
	nativeEndianPut32(req[0:], uint32(len(req)))
	nativeEndianPut16(req[4:], unix.RTM_GETLINK)
	nativeEndianPut16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	nativeEndianPut32(req[8:], 1)
	req[unix.NLMSG_HDRLEN] = unix.AF_UNSPEC
	if _, err := s.SendTo(req, 0, NetlinkAddr{}); err != nil {
		t.Fatal(err)
	}
	s.SetTimeout(5 * time.Second)
	data, from, err := s.RecvFrom(65536, 0)
	if err != nil {
		t.Fatal(err)
	}
	if fa, ok := from.(*NetlinkAddr); !ok || fa.PID != 0 {
		t.Fatalf("reply from %#v, want the kernel (pid 0)", from)
	}
	if len(data) < unix.NLMSG_HDRLEN || nativeEndian16(data[4:]) != unix.RTM_NEWLINK {
		t.Fatalf("reply of %d bytes, type %d", len(data), nativeEndian16(data[4:]))
	}
}

func TestPacketLoopback(t *testing.T) {
	const ethPIP = 0x0800
	p, err := NewSocket(unix.AF_PACKET, unix.SOCK_DGRAM, int(htons16(ethPIP)))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Bind(PacketAddr{Interface: "lo", Protocol: ethPIP}); err != nil {
		t.Fatal(err)
	}
	p.SetTimeout(5 * time.Second)
	_, addr := udp4(t)
	c, _ := udp4(t)
	marker := []byte("fieldgate-packet-marker")
	c.SendTo(marker, 0, addr)
	for i := 0; i < 50; i++ {
		data, from, err := p.RecvFrom(2048, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, marker) {
			continue
		}
		pa, ok := from.(*PacketAddr)
		lo, _ := net.InterfaceByName("lo")
		if !ok || pa.Index != lo.Index || pa.Protocol != ethPIP {
			t.Fatalf("packet from %#v, want lo (index %d) proto 0x800", from, lo.Index)
		}
		return
	}
	t.Fatal("marker datagram not seen on the packet socket")
}

func TestSockoptBytesAndNull(t *testing.T) {
	s, _ := udp4(t)
	v := []byte{1, 0, 0, 0}
	if err := s.SetsockoptBytes(unix.SOL_SOCKET, unix.SO_BROADCAST, v); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetsockoptBytes(unix.SOL_SOCKET, unix.SO_BROADCAST, 4)
	if err != nil || !bytes.Equal(got, v) {
		t.Fatalf("GetsockoptBytes = %v, %v", got, err)
	}
	if n, _ := s.GetsockoptInt(unix.SOL_SOCKET, unix.SO_BROADCAST); n != 1 {
		t.Fatalf("SO_BROADCAST = %d", n)
	}
	if err := s.SetsockoptNull(unix.SOL_SOCKET, unix.SO_BROADCAST, 4); !errors.Is(err, unix.EFAULT) {
		t.Fatalf("SetsockoptNull on SO_BROADCAST: %v, want EFAULT (NULL value reached the kernel)", err)
	}
	if _, err := s.GetsockoptBytes(unix.SOL_SOCKET, unix.SO_BROADCAST, MaxSockoptLen+1); !errors.Is(err, unix.EINVAL) {
		t.Fatalf("buflen MaxSockoptLen+1: %v, want EINVAL", err)
	}
	if got, err := s.GetsockoptBytes(unix.SOL_SOCKET, unix.SO_BROADCAST, 4096); err != nil || len(got) != 4 {
		t.Fatalf("buflen 4096 (beyond CPython's 1024 cap) = %d bytes, %v; want the option's 4 bytes", len(got), err)
	}
}

func TestAuditEvents(t *testing.T) {
	var events []string
	SetAuditHook(func(ev string, args ...any) { events = append(events, ev) })
	defer SetAuditHook(nil)
	s, addr := udp4(t)
	s.SendTo([]byte("a"), 0, addr)
	s.SendMsg([][]byte{[]byte("b")}, nil, 0, addr)
	s.Connect(addr)
	s.Recv(1, 0)
	want := "socket.__new__ socket.bind socket.sendto socket.sendmsg socket.connect"
	if got := strings.Join(events, " "); got != want {
		t.Fatalf("audit events %q, want %q", got, want)
	}
}

func nativeEndianPut32(b []byte, v uint32) { *(*uint32)(unsafePointer(&b[0])) = v }
func nativeEndianPut16(b []byte, v uint16) { *(*uint16)(unsafePointer(&b[0])) = v }
func nativeEndian16(b []byte) uint16       { return *(*uint16)(unsafePointer(&b[0])) }
func htons16(v uint16) uint16              { return v<<8 | v>>8 }

// sameAddr compares addresses by family and text form, whether values or
// pointers.
func sameAddr(a, b Addr) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Family() == b.Family() && a.String() == b.String()
}

func TestAcceptNoAddrAndTimeout(t *testing.T) {
	ln, err := CreateServer("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ln.SetTimeout(50 * time.Millisecond)
	if _, _, err := ln.Accept(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Accept with nobody connecting: %v, want a timeout", err)
	}
	la, _ := ln.SockName()
	c, _ := NewSocket(unix.AF_INET, unix.SOCK_STREAM, 0)
	defer c.Close()
	if err := c.Connect(la); err != nil {
		t.Fatal(err)
	}
	a, err := ln.AcceptNoAddr()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Family() != unix.AF_INET || a.Type() != unix.SOCK_STREAM {
		t.Fatalf("accepted %d/%d", a.Family(), a.Type())
	}
	pa, _ := a.PeerName()
	ca, _ := c.SockName()
	if !sameAddr(pa, ca) {
		t.Fatalf("AcceptNoAddr peer %v, want %v", pa, ca)
	}
}
