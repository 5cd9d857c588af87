package slcan_test

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/endpoints/slcan"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

var fastBackoff = config.Backoff{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond}

func readN(t *testing.T, c net.Conn, want string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	buf := make([]byte, len(want))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != want {
		t.Fatalf("read %q (%v), want %q", buf, err, want)
	}
}

// TestDeviceTCPServer: a network SLCAN bridge's side: one peer at a time,
// a second connection is refused and counted; the next peer is served
// after the first leaves; an oversize line disconnects.
func TestDeviceTCPServer(t *testing.T) {
	r := open(t, &slcan.Config{Options: slcan.Options{Role: slcan.Device, Reconnect: fastBackoff}, Transport: slcan.TransportTCP, Mode: config.Server, Listen: "127.0.0.1:0"})
	addr := r.tr.(interface{ Addr() net.Addr }).Addr().String()
	c1, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	c1.Write([]byte("O\rt1231AA\r"))
	readN(t, c1, "\rz\r")
	if got := r.nextString(t); got != "123#AA" {
		t.Errorf("delivered %s", got)
	}
	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c2.SetReadDeadline(time.Now().Add(20 * time.Second))
	if n, err := c2.Read(make([]byte, 1)); err == nil {
		t.Fatalf("second peer read %d bytes, want the connection closed", n)
	}
	c2.Close()
	gatewaytest.WaitFor(t, 20*time.Second, "the refusal to be counted", func() bool { return r.env.Stats.Rejected.Load(endpoint.ConnMaxClients) == 1 })

	if n, err := r.tr.Send(t.Context(), []frame.Frame{gf(t, "7FF#0102")}); n != 1 || err != nil {
		t.Fatal(n, err)
	}
	readN(t, c1, "t7FF20102\r")

	// Oversize: disconnected and counted; a new peer starts closed.
	c1.Write([]byte(strings.Repeat("7", 200)))
	c1.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := bufio.NewReader(c1).ReadByte(); err == nil {
		t.Fatal("still connected after an oversize line")
	}
	gatewaytest.WaitFor(t, 20*time.Second, "the oversize drop", func() bool { return r.drop(endpoint.ReasonOversize) == 1 })
	var c3 net.Conn
	gatewaytest.WaitFor(t, 20*time.Second, "a new peer to be served", func() bool {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return false
		}
		c.Write([]byte("V\r"))
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, 6)
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "V1013\r" {
			c.Close()
			return false
		}
		c3 = c
		return true
	})
	defer c3.Close()
	c3.Write([]byte("t1230\r"))
	readN(t, c3, "\a")
	if c := r.env.Stats.Connects.Load(); c < 2 {
		t.Errorf("connects %d", c)
	}
}

// TestHostTCPClient: fieldgate drives a network SLCAN bridge (the test's
// adapter behind a TCP listener) in listen-only mode.
func TestHostTCPClient(t *testing.T) {
	a, addr := startTCPAdapter(t)
	r := open(t, &slcan.Config{Options: slcan.Options{Role: slcan.Host, BTR: "031C", ListenOnly: true, CommandTimeout: 5 * time.Second, Reconnect: fastBackoff},
		Transport: slcan.TransportTCP, Mode: config.Client, Peer: addr})
	gatewaytest.WaitFor(t, 20*time.Second, "the adapter to open", func() bool { return r.env.Stats.Peers.Load() == 1 })
	if got := a.received(); got != "C\rV\rN\rs031C\rL\rF\r" {
		t.Errorf("open sequence %q", got)
	}
	a.send("T000000011FF\r")
	if got := r.nextString(t); got != "00000001#FF" {
		t.Errorf("delivered %s", got)
	}
	if _, err := r.tr.Send(t.Context(), []frame.Frame{gf(t, "123#")}); endpoint.DropReason(err) != endpoint.ReasonUnsupported {
		t.Errorf("send to a listen-only adapter: %v", err)
	}
}
