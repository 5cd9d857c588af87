package socketcand

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// safeBuf is a log destination shared by the server's goroutines.
type safeBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *safeBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *safeBuf) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSuffix(l.b.String(), "\n"), "\n")
}

// lockoutServer runs a socketcand endpoint with settings cfg (listening on
// 127.0.0.1) and its log in the returned buffer.
func lockoutServer(t *testing.T, cfg *Config) (*server, *endpoint.Env, *safeBuf) {
	t.Helper()
	lb := &safeBuf{}
	env := &endpoint.Env{Name: "sc", Stats: &endpoint.Stats{}, Log: slog.New(slog.NewTextHandler(lb, nil))}
	cfg.Listen, cfg.Bus = "127.0.0.1:0", "vcan0"
	ctx, cancel := context.WithCancel(context.Background())
	tr, err := open(ctx, &config.Endpoint{Name: "sc", Kind: "socketcand", Settings: cfg}, env)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := tr.(*server)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Receive(ctx, func([]frame.Frame) {})
	}()
	t.Cleanup(func() {
		cancel()
		s.Close()
		<-done
	})
	return s, env, lb
}

// connect connects from src ("" for any; 127.0.0.2 is on lo on Linux)
// and reads "< hi >".
func connect(t *testing.T, s *server, src string) (net.Conn, *bufio.Reader) {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
	}
	c, err := d.Dial("tcp", s.Addr().String())
	if err != nil {
		if src != "" {
			t.Skipf("cannot connect from %s: %v", src, err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := bufio.NewReader(c)
	exchange(t, c, r, "", "< hi >")
	return c, r
}

// closedIn waits until the server closes c and returns how long it took.
func closedIn(t *testing.T, c net.Conn, r *bufio.Reader, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	c.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, r)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("not closed by the server within %v: %v", limit, err)
	}
	return time.Since(start)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timeout waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestLockout: 16 connections from 127.0.0.1 that never send a command
// used to hold every slot of max_clients: 16; now they hold 4
// (max_clients_per_peer), and a client from 127.0.0.2 opens the bus and
// receives frames.
func TestLockout(t *testing.T) {
	s, env, _ := lockoutServer(t, &Config{MaxClients: 16, HandshakeTimeout: time.Minute})
	for range 16 {
		d, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
	}
	eventually(t, "12 refusals", func() bool { return env.Stats.Rejected.Load(endpoint.ConnMaxPerPeer) == 12 })
	c, r := connect(t, s, "127.0.0.2")
	exchange(t, c, r, "< open vcan0 >", "< ok >")
	exchange(t, c, r, "< rawmode >", "< ok >")
	time.Sleep(RawHold)
	if n, err := s.Send(context.Background(), []frame.Frame{{ID: 0x123, Type: frame.CAN, Len: 1, Data: [frame.MaxData]byte{0x42}, Time: 1e9}}); n != 1 || err != nil {
		t.Fatalf("send: %d %v", n, err)
	}
	if got := readMsg(t, c, r); got != "< frame 123 1.000000 42 >" {
		t.Fatalf("client from 127.0.0.2 got %q", got)
	}
	if p := env.Stats.Peers.Load(); p != 5 {
		t.Errorf("peers %d, want 5", p)
	}
}

// TestOpenDeadline: a client must open the bus within handshake_timeout,
// however busy it keeps the connection ("< echo >" does not extend it);
// it is then disconnected and counted. A client that opened the bus may
// stay silent: it listens.
func TestOpenDeadline(t *testing.T) {
	s, env, _ := lockoutServer(t, &Config{MaxClients: 16, HandshakeTimeout: 300 * time.Millisecond})
	listener, lr := connect(t, s, "")
	exchange(t, listener, lr, "< open vcan0 >", "< ok >")
	exchange(t, listener, lr, "< rawmode >", "< ok >")

	silent, sr := connect(t, s, "")
	if d := closedIn(t, silent, sr, 3*time.Second); d < 200*time.Millisecond {
		t.Fatalf("silent client closed after %v, before the timeout", d)
	}
	chatty, cr := connect(t, s, "")
	start := time.Now()
	for time.Since(start) < 4*time.Second {
		if _, err := io.WriteString(chatty, "< echo >"); err != nil {
			break
		}
		chatty.SetReadDeadline(time.Now().Add(time.Second))
		if _, err := cr.ReadString('>'); err != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("a client sending only echo stayed %v (the timeout is 300ms)", d)
	}
	other, or := connect(t, s, "")
	io.WriteString(other, "< open can9 >")
	if got := readMsg(t, other, or); got != "< error could not open bus >" {
		t.Fatalf("other bus: %q", got)
	}
	closedIn(t, other, or, 3*time.Second)
	eventually(t, "the counts", func() bool {
		return env.Stats.Rejected.Load(endpoint.ConnHandshakeTimeout) == 2 && env.Stats.Rejected.Load(endpoint.ConnHandshakeFailed) == 1 &&
			env.Stats.Peers.Load() == 1
	})
	// The listener, silent since it opened the bus, is still served.
	if n, err := s.Send(context.Background(), []frame.Frame{{ID: 0x7E8, Type: frame.CAN, Len: 0, Time: 2e9}}); n != 1 || err != nil {
		t.Fatalf("send: %d %v", n, err)
	}
	if got := readMsg(t, listener, lr); got != "< frame 7E8 2.000000  >" {
		t.Fatalf("listener got %q", got)
	}
	if p, total := env.Stats.Peers.Load(), env.Stats.Rejected.Total(); p != 1 || total != 3 {
		t.Fatalf("peers %d, rejected %v", p, env.Stats.Rejected.Snapshot())
	}
}

// TestLogBounded: 30 clients from one address that open the wrong bus
// cause 90 log lines (connected, refused, disconnected); 5 are written,
// 85 counted, and one summary line reports them at Close.
func TestLogBounded(t *testing.T) {
	s, env, lb := lockoutServer(t, &Config{MaxClients: 16})
	for range 30 {
		c, r := connect(t, s, "")
		io.WriteString(c, "< open nosuchbus >")
		closedIn(t, c, r, 3*time.Second)
	}
	eventually(t, "30 failures and their lines", func() bool {
		return env.Stats.Rejected.Load(endpoint.ConnHandshakeFailed) == 30 && env.Stats.LogSuppressed.Load() == 85
	})
	if l := lb.lines(); len(l) != 5 {
		t.Fatalf("%d log lines, want 5:\n%s", len(l), strings.Join(l, "\n"))
	}
	s.Close()
	if l := lb.lines(); len(l) != 6 || !strings.Contains(l[5], "peer=127.0.0.1 suppressed=85") {
		t.Fatalf("after Close: %d lines:\n%s", len(l), strings.Join(l, "\n"))
	}
}
