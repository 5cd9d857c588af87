//go:build linux

package core

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/net/nettest"
	"golang.org/x/sys/unix"
)

// TestConnNettest runs x/net's net.Conn conformance suite on the adapter.
func TestConnNettest(t *testing.T) {
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		a, b, err := Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
		if err != nil {
			return nil, nil, nil, err
		}
		c1, c2 = a.Conn(), b.Conn()
		return c1, c2, func() { c1.Close(); c2.Close() }, nil
	})
}

func TestConnTCPAddrs(t *testing.T) {
	c, s := tcpPair(t)
	cc, sc := c.Conn(), s.Conn()
	if _, ok := cc.LocalAddr().(*net.TCPAddr); !ok {
		t.Fatalf("LocalAddr %T, want *net.TCPAddr", cc.LocalAddr())
	}
	if cc.LocalAddr().String() != sc.RemoteAddr().String() {
		t.Fatalf("client local %v != server remote %v", cc.LocalAddr(), sc.RemoteAddr())
	}
	// Non-blocking socket mode does not leak into the adapter.
	s.SetBlocking(false)
	go func() {
		time.Sleep(50 * time.Millisecond)
		cc.Write([]byte("hello"))
		cc.(interface{ CloseWrite() error }).CloseWrite()
	}()
	got, err := io.ReadAll(sc)
	if err != nil || string(got) != "hello" {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
}

func TestPacketConn(t *testing.T) {
	s, addr := udp4(t)
	c, caddr := udp4(t)
	pc := c.PacketConn()
	dst := &net.UDPAddr{IP: addr.IP.AsSlice(), Port: addr.Port}
	if n, err := pc.WriteTo([]byte("pkt"), dst); err != nil || n != 3 {
		t.Fatalf("WriteTo = %d, %v", n, err)
	}
	buf := make([]byte, 8)
	n, from, err := s.PacketConn().ReadFrom(buf)
	if err != nil || !bytes.Equal(buf[:n], []byte("pkt")) {
		t.Fatalf("ReadFrom = %q, %v", buf[:n], err)
	}
	if ua, ok := from.(*net.UDPAddr); !ok || ua.Port != caddr.Port || !ua.IP.Equal(caddr.IP.AsSlice()) {
		t.Fatalf("from %#v, want %v", from, caddr)
	}
	pc.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	if _, _, err := pc.ReadFrom(buf); !isTimeout(err) {
		t.Fatalf("ReadFrom past deadline: %v", err)
	}
	if _, err := pc.WriteTo([]byte("x"), NetAddr{Addr: &addr}); err != nil {
		t.Fatalf("WriteTo(NetAddr): %v", err)
	}
	if _, err := pc.WriteTo([]byte("x"), &net.UDPAddr{IP: net.ParseIP("::1"), Port: 1}); !isTimeout(err) && err == nil {
		t.Fatal("WriteTo an IPv6 address on an AF_INET socket succeeded")
	}
}

func TestConnSeqpacketEOF(t *testing.T) {
	a, b, err := Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a.Send([]byte("rec"), 0)
	a.Close()
	got, err := io.ReadAll(b.Conn())
	if err != nil || string(got) != "rec" {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
}
