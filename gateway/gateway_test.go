package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/cannelloni"
	"github.com/fieldgate/fieldgate/gateway/config"
)

func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startGateway(t *testing.T, yaml string) *Gateway {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	g := New(nil)
	ctx, cancel := context.WithCancel(context.Background())
	if err := g.Start(ctx, cfg); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Shutdown(); cancel() })
	return g
}

// cannelloniClient connects to a cannelloni TCP server and completes the handshake.
func cannelloniClient(t *testing.T, addr string) net.Conn {
	t.Helper()
	var c net.Conn
	var err error
	for range 100 {
		if c, err = net.Dial("tcp", addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, cannelloni.Handshake); err != nil {
		t.Fatal(err)
	}
	hs := make([]byte, 12)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, hs); err != nil || string(hs) != cannelloni.Handshake {
		t.Fatalf("handshake: %q %v", hs, err)
	}
	c.SetReadDeadline(time.Time{})
	return c
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timeout waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func waitPeers(t *testing.T, g *Gateway, ep string, n int64) {
	waitFor(t, ep+" peers", func() bool {
		for _, e := range g.Status().Endpoints {
			if e.Name == ep && e.Peers == n {
				return true
			}
		}
		return false
	})
}

// TestTCPUDPTCP sends frames into gateway A over cannelloni TCP, across a
// cannelloni UDP link to gateway B, and reads them from B's TCP server: every
// frame arrives, byte for byte, and the counters agree exactly.
func TestTCPUDPTCP(t *testing.T) {
	tcpA, tcpB := freePort(t, "tcp"), freePort(t, "tcp")
	udpA, udpB := freePort(t, "udp"), freePort(t, "udp")
	dir := t.TempDir()
	logPath := filepath.Join(dir, "b.log")
	a := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  in: {kind: tcp, mode: server, listen: "127.0.0.1:%d"}
  link: {kind: udp, listen: "127.0.0.1:%d", peer: "127.0.0.1:%d", queue: {size: 16384}}
routes:
  - {name: in-link, from: [in], to: [link]}
`, tcpA, udpA, udpB))
	b := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  link: {kind: udp, listen: "127.0.0.1:%d", peer: "127.0.0.1:%d"}
  out: {kind: tcp, mode: server, listen: "127.0.0.1:%d", queue: {size: 16384}}
  rec: {kind: log, path: %q, interface: vcan1, queue: {size: 16384}}
routes:
  - {name: link-out, from: [link], to: [out, rec]}
`, udpB, udpA, tcpB, logPath))
	src := cannelloniClient(t, fmt.Sprintf("127.0.0.1:%d", tcpA))
	defer src.Close()
	dst := cannelloniClient(t, fmt.Sprintf("127.0.0.1:%d", tcpB))
	defer dst.Close()
	waitPeers(t, a, "in", 1)
	waitPeers(t, b, "out", 1)

	const N = 5000
	var want []byte
	var sendBuf []byte
	for i := range N {
		var f cannelloni.Frame
		switch i % 4 {
		case 0:
			f = cannelloni.Frame{ID: uint32(i % 0x800), Len: 8}
		case 1:
			f = cannelloni.Frame{ID: 0x80000000 | uint32(i), Len: 3}
		case 2:
			f = cannelloni.Frame{ID: 0x100, FD: true, Flags: 1, Len: 64}
		case 3:
			f = cannelloni.Frame{ID: 0x40000123, Len: 2} // RTR
		}
		for j := range int(f.Len) {
			f.Data[j] = byte(i + j)
		}
		want = cannelloni.AppendFrame(want, &f)
		sendBuf = cannelloni.AppendFrame(sendBuf, &f)
		if len(sendBuf) > 4000 {
			src.Write(sendBuf)
			sendBuf = sendBuf[:0]
			time.Sleep(time.Millisecond) // stay under the default socket buffers
		}
	}
	src.Write(sendBuf)
	got := make([]byte, len(want))
	dst.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(dst, got); err != nil {
		sa, sb := a.Status(), b.Status()
		t.Fatalf("read: %v\nA: %+v\nB: %+v", err, sa, sb)
	}
	if string(got) != string(want) {
		t.Fatal("frames differ")
	}
	waitFor(t, "log written", func() bool {
		for _, e := range b.Status().Endpoints {
			if e.Name == "rec" && e.FramesOut == N {
				return true
			}
		}
		return false
	})
	for _, g := range []*Gateway{a, b} {
		waitFor(t, "counters settle", func() bool {
			r := g.Status().Routes[0]
			return r.In == r.Out+DroppedTotal(r.Dropped)
		})
		for _, r := range g.Status().Routes {
			if r.Out+DroppedTotal(r.Dropped) != r.In {
				t.Errorf("route %s: in %d != out %d + dropped %v", r.Name, r.In, r.Out, r.Dropped)
			}
		}
	}
	ra := a.Status().Routes[0]
	rb := b.Status().Routes[0]
	if ra.In != N || ra.Out != N || rb.In != 2*N || rb.Out != 2*N {
		t.Fatalf("counts: A %+v B %+v", ra, rb)
	}
	for _, e := range b.Status().Endpoints {
		if e.Name == "link" && e.SeqGaps != 0 {
			t.Errorf("sequence gaps on loopback: %d", e.SeqGaps)
		}
	}
	f, _ := os.Open(logPath)
	defer f.Close()
	sc := bufio.NewScanner(f)
	lines := 0
	for sc.Scan() {
		if lines == 0 && !strings.HasSuffix(sc.Text(), " vcan1 000#0001020304050607") {
			t.Errorf("first log line %q", sc.Text())
		}
		lines++
	}
	if lines != N {
		t.Fatalf("log has %d lines, want %d", lines, N)
	}
}
func slogDiscard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
