//go:build linux

package core

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestCreateServerDualStack(t *testing.T) {
	if !HasDualStackIPv6() {
		t.Fatal("host kernel has IPv6 but HasDualStackIPv6 = false")
	}
	srv, err := CreateServer("[::]:0", &ServerOptions{Family: unix.AF_INET6, DualStackIPv6: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if v, _ := srv.GetsockoptInt(unix.IPPROTO_IPV6, unix.IPV6_V6ONLY); v != 0 {
		t.Fatalf("IPV6_V6ONLY = %d on a dual-stack server", v)
	}
	if v, _ := srv.GetsockoptInt(unix.SOL_SOCKET, unix.SO_REUSEADDR); v != 1 {
		t.Fatalf("SO_REUSEADDR = %d", v)
	}
	a, _ := srv.SockName()
	port := a.(*Inet6Addr).Port
	for _, host := range []string{"127.0.0.1", "::1"} {
		c, err := CreateConnection(context.Background(), net.JoinHostPort(host, strconv.Itoa(port)), &ConnOptions{Timeout: 5 * time.Second})
		if err != nil {
			t.Fatalf("connect %s: %v", host, err)
		}
		if c.Timeout() != 5*time.Second {
			t.Fatalf("CreateConnection timeout %v", c.Timeout())
		}
		s, peer, err := srv.Accept()
		if err != nil {
			t.Fatal(err)
		}
		p6 := peer.(*Inet6Addr)
		if host == "127.0.0.1" && (!p6.IP.Is4In6() || p6.IP.Unmap().String() != host) {
			t.Fatalf("IPv4 client seen as %v, want ::ffff:127.0.0.1", peer)
		}
		c.SendAll([]byte(host), 0)
		got, _ := s.Recv(64, 0)
		if string(got) != host {
			t.Fatalf("got %q", got)
		}
		s.Close()
		c.Close()
	}
	// Without dual stack an IPv6 server is v6-only.
	v6, err := CreateServer("[::1]:0", &ServerOptions{Family: unix.AF_INET6, ReusePort: true, Backlog: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer v6.Close()
	if v, _ := v6.GetsockoptInt(unix.IPPROTO_IPV6, unix.IPV6_V6ONLY); v != 1 {
		t.Fatalf("IPV6_V6ONLY = %d", v)
	}
	if v, _ := v6.GetsockoptInt(unix.SOL_SOCKET, unix.SO_REUSEPORT); v != 1 {
		t.Fatalf("SO_REUSEPORT = %d", v)
	}
	if _, err := CreateServer("127.0.0.1:0", &ServerOptions{DualStackIPv6: true}); !errors.Is(err, unix.EINVAL) {
		t.Fatalf("DualStackIPv6 with AF_INET: %v", err)
	}
}

func TestCreateConnectionErrors(t *testing.T) {
	p, _ := NewSocket(unix.AF_INET, unix.SOCK_STREAM, 0)
	p.Bind(InetAddr{IP: loop4})
	dead, _ := p.SockName()
	p.Close()
	port := strconv.Itoa(dead.(*InetAddr).Port)

	_, err := CreateConnection(context.Background(), "127.0.0.1:"+port, nil)
	if !errors.Is(err, unix.ECONNREFUSED) {
		t.Fatalf("dead port: %v", err)
	}
	// localhost resolves to 127.0.0.1 and ::1: both refused, both reported.
	_, err = CreateConnection(context.Background(), "localhost:"+port, &ConnOptions{AllErrors: true})
	if !errors.Is(err, unix.ECONNREFUSED) {
		t.Fatalf("AllErrors: %v", err)
	}
	if j, ok := err.(interface{ Unwrap() []error }); !ok || len(j.Unwrap()) < 1 {
		t.Fatalf("AllErrors error %T is not joined", err)
	} else {
		t.Logf("%d attempts: %v", len(j.Unwrap()), strings.ReplaceAll(err.Error(), "\n", " | "))
	}
	if _, err := CreateConnection(context.Background(), "no-port", nil); err == nil {
		t.Fatal("address without port accepted")
	}

	ln, _ := CreateServer("127.0.0.1:0", nil)
	defer ln.Close()
	la, _ := ln.SockName()
	c, err := CreateConnection(context.Background(), la.String(), &ConnOptions{SourceAddress: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ca, _ := c.SockName()
	if ca.(*InetAddr).IP != loop4 {
		t.Fatalf("source %v", ca)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := CreateConnection(ctx, la.String(), nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ctx: %v", err)
	}
}
