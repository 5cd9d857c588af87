package udp

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

// TestDirectIOAddresses: the link's own sendto/recvmsg reach peers and
// report senders as net.UDPConn does, on an IPv4 socket and on a
// dual-stack one (an IPv4 peer seen v4-mapped, replies reaching it).
func TestDirectIOAddresses(t *testing.T) {
	for _, tc := range []struct{ listen, peerNet, peerAddr string }{
		{"127.0.0.1:0", "udp4", "127.0.0.1:0"},
		{"[::]:0", "udp4", "127.0.0.1:0"},
		{"[::]:0", "udp6", "[::1]:0"},
	} {
		t.Run(tc.listen+"<-"+tc.peerAddr, func(t *testing.T) {
			la, _ := net.ResolveUDPAddr("udp", tc.listen)
			c, err := net.ListenUDP("udp", la)
			if err != nil {
				t.Skip(err)
			}
			defer c.Close()
			d, err := newDirectIO(c)
			if err != nil {
				t.Fatal(err)
			}
			pa, _ := net.ResolveUDPAddr(tc.peerNet, tc.peerAddr)
			p, err := net.ListenUDP(tc.peerNet, pa)
			if err != nil {
				t.Skip(err)
			}
			defer p.Close()
			to := netip.AddrPortFrom(netip.MustParseAddr(map[string]string{"udp4": "127.0.0.1", "udp6": "::1"}[tc.peerNet]), uint16(c.LocalAddr().(*net.UDPAddr).Port))
			if _, err := p.WriteToUDPAddrPort([]byte("ping"), to); err != nil {
				t.Fatal(err)
			}
			buf, oob := make([]byte, 100), make([]byte, 64)
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, _, from, err := d.recv(buf, oob)
			if err != nil || string(buf[:n]) != "ping" {
				t.Fatalf("recv: %q %v", buf[:n], err)
			}
			// What net.UDPConn would have said.
			want := p.LocalAddr().(*net.UDPAddr).AddrPort()
			if from.Port() != want.Port() || from.Addr().Unmap() != want.Addr().Unmap() {
				t.Fatalf("from %v, want %v", from, want)
			}
			if la.IP.To4() == nil && tc.peerNet == "udp4" && !from.Addr().Is4In6() {
				t.Errorf("from %v on a dual-stack socket, want v4-mapped as net.UDPConn reports", from)
			}
			if err := d.send([]byte("pong"), from); err != nil {
				t.Fatal(err)
			}
			p.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, err = p.Read(buf)
			if err != nil || string(buf[:n]) != "pong" {
				t.Fatalf("reply: %q %v", buf[:n], err)
			}
		})
	}
}

// TestDirectIOWrongFamily: an IPv6 peer on an IPv4 socket is an error, not
// a datagram to a wrong address.
func TestDirectIOWrongFamily(t *testing.T) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d, _ := newDirectIO(c)
	if err := d.send([]byte("x"), netip.MustParseAddrPort("[2001:db8::1]:9")); err == nil {
		t.Fatal("sent to an IPv6 address from an IPv4 socket")
	}
}

// TestLinkNoAllocs: sending a frame over a link and receiving it on the
// other end allocate nothing per frame.
func TestLinkNoAllocs(t *testing.T) {
	if !runtimeLinux {
		t.Skip("the direct path is Linux's")
	}
	pa, pb := gatewaytest.FreePort(t, "udp"), gatewaytest.FreePort(t, "udp")
	mk := func(listen, peer int) *udpConn {
		cfg, err := config.Parse("t.yaml", []byte(fmt.Sprintf(`
endpoints:
  u: {kind: udp, listen: "127.0.0.1:%d", peer: "127.0.0.1:%d", coalesce: 0}
routes: []
`, listen, peer)))
		if err != nil {
			t.Fatal(err)
		}
		c, err := open(context.Background(), cfg.Endpoints[0], testEnv())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c.(*udpConn)
	}
	a, b := mk(pa, pb), mk(pb, pa)
	got := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.Receive(ctx, func(fs []frame.Frame) { got <- struct{}{} })
	fs := canFrames(0x123)
	ctx0 := context.Background()
	roundTrip := func() {
		if n, err := a.Send(ctx0, fs); n != 1 || err != nil {
			t.Fatalf("send: %d %v", n, err)
		}
		<-got
	}
	roundTrip()
	if n := testing.AllocsPerRun(200, roundTrip); n != 0 {
		t.Errorf("%.1f allocations per frame sent and received, want 0", n)
	}
}
