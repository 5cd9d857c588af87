package stream_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/cannelloni"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
	"github.com/fieldgate/fieldgate/gateway/endpoints/tcp"
	"github.com/fieldgate/fieldgate/gateway/endpoints/unix"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/internal/certtest"
)

// logBuf collects log lines, safe for the server's goroutines.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSuffix(l.b.String(), "\n"), "\n")
}

// openLogged is open with a logger writing into the returned buffer.
func openLogged(t *testing.T, ctx context.Context, kind string, s config.Settings) (*running, *logBuf) {
	t.Helper()
	lb := &logBuf{}
	env := &endpoint.Env{Name: "srv", Stats: &endpoint.Stats{}, Log: slog.New(slog.NewTextHandler(lb, nil))}
	tr, err := endpoint.Open(ctx, &config.Endpoint{Name: "srv", Kind: kind, Settings: s}, env)
	if err != nil {
		t.Fatal(err)
	}
	r2 := &running{t: t, tr: tr, env: env, got: make(chan frame.Frame, 1024), done: make(chan error, 1)}
	go func() {
		r2.done <- tr.Receive(ctx, func(fs []frame.Frame) {
			for i := range fs {
				r2.got <- fs[i]
			}
		})
	}()
	t.Cleanup(func() { tr.Close() })
	return r2, lb
}

// dialFrom connects from local address src (127.0.0.2: Linux routes all
// of 127/8 to lo) and, with handshake, exchanges CANNELLONIv1.
func dialFrom(t *testing.T, network, src, addr string, handshake bool) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
	}
	c, err := d.Dial(network, addr)
	if err != nil {
		if src != "" {
			t.Skipf("cannot connect from %s: %v", src, err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if handshake {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(c, cannelloni.Handshake); err != nil {
			t.Fatal(err)
		}
		var hs [len(cannelloni.Handshake)]byte
		if _, err := io.ReadFull(c, hs[:]); err != nil || string(hs[:]) != cannelloni.Handshake {
			t.Fatalf("handshake from %s: %q %v", c.LocalAddr(), hs, err)
		}
		c.SetDeadline(time.Time{})
	}
	return c
}

// closedWithin reads from c until the server closes it (end of stream,
// or a reset when it closed with our bytes unread), and returns how long
// that took (failing after limit).
func closedWithin(t *testing.T, c net.Conn, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	c.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, c)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("connection not closed by the server within %v: %v", limit, err)
	}
	return time.Since(start)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timeout waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPerPeerLimit: 16 connections from 127.0.0.1 that complete the
// handshake and then only listen (legitimate, never kicked) take
// max_clients_per_peer (4) slots, not all 16 of max_clients; a client
// from 127.0.0.2 still links and receives frames.
func TestPerPeerLimit(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := open(t, ctx, "srv", "tcp", &tcp.Config{Config: stream.Config{Role: config.Server, MaxClients: 16,
		HandshakeTimeout: time.Second}, Listen: "127.0.0.1:0"})
	addr := s.addr().String()
	var idle []net.Conn
	for range 16 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte(cannelloni.Handshake))
		idle = append(idle, c)
	}
	waitFor(t, "4 peers and 12 refusals", func() bool {
		return s.env.Stats.Peers.Load() == 4 && s.env.Stats.Rejected.Load(endpoint.ConnMaxPerPeer) == 12
	})
	other := dialFrom(t, "tcp", "127.0.0.2", addr, true)
	waitFor(t, "the client from 127.0.0.2", func() bool { return s.env.Stats.Peers.Load() == 5 })
	// Listeners that completed the handshake stay past the handshake
	// timeout.
	time.Sleep(1300 * time.Millisecond)
	if p := s.env.Stats.Peers.Load(); p != 5 {
		t.Fatalf("%d peers after the handshake timeout, want 5 (idle listeners are not kicked)", p)
	}
	fs := canFrames()[:2]
	if n, err := s.tr.Send(ctx, fs); n != 2 || err != nil {
		t.Fatalf("send: %d %v", n, err)
	}
	want := frame.AppendCannelloni(frame.AppendCannelloni(nil, &fs[0]), &fs[1])
	for _, c := range []net.Conn{other, idle[0]} {
		got := make([]byte, len(cannelloni.Handshake)+len(want))
		if c == other {
			got = got[len(cannelloni.Handshake):]
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(c, got); err != nil || !bytes.HasSuffix(got, want) {
			t.Fatalf("%v received %x, %v; want …%x", c.LocalAddr(), got, err, want)
		}
	}
	if r := s.env.Stats.Rejected.Snapshot(); len(r) != 1 {
		t.Errorf("rejected %v, want only 12 max_clients_per_peer", r)
	}
}

// TestMaxClientsCountsHandshakes: connections still in their handshake
// hold a slot, so max_clients bounds them too (until the timeout frees
// them).
func TestMaxClientsCountsHandshakes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := open(t, ctx, "srv", "tcp", &tcp.Config{Config: stream.Config{Role: config.Server, MaxClients: 2, MaxClientsPerPeer: 2,
		HandshakeTimeout: 2 * time.Second}, Listen: "127.0.0.1:0"})
	addr := s.addr().String()
	dialFrom(t, "tcp", "", addr, false)
	dialFrom(t, "tcp", "", addr, false)
	third := dialFrom(t, "tcp", "127.0.0.2", addr, false)
	// Refused at once, long before the silent two time out.
	closedWithin(t, third, 1500*time.Millisecond)
	if got := s.env.Stats.Rejected.Load(endpoint.ConnMaxClients); got != 1 {
		t.Fatalf("max_clients refusals %d, want 1", got)
	}
	waitFor(t, "the silent two timed out", func() bool { return s.env.Stats.Rejected.Load(endpoint.ConnHandshakeTimeout) == 2 })
	// The server counts a timeout before it gives the slot back: a dial
	// right after may still be refused, so dial until one links.
	linked := false
	for i := 0; i < 100 && !linked; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, cannelloni.Handshake)
		var hs [len(cannelloni.Handshake)]byte
		_, err = io.ReadFull(c, hs[:])
		linked = err == nil && string(hs[:]) == cannelloni.Handshake
		if !linked {
			c.Close()
			time.Sleep(10 * time.Millisecond)
			continue
		}
		t.Cleanup(func() { c.Close() })
	}
	if !linked {
		t.Fatal("no client linked after the silent two timed out")
	}
	waitFor(t, "a peer", func() bool { return s.env.Stats.Peers.Load() == 1 })
}

// TestHandshakeTimeout: a peer that connects and says nothing is
// disconnected after handshake_timeout and counted (handshake_timeout,
// and a malformed drop as configs/README.md says); one that sends other
// bytes is disconnected at once and counted (handshake_failed,
// malformed).
func TestHandshakeTimeout(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := open(t, ctx, "srv", "tcp", &tcp.Config{Config: stream.Config{Role: config.Server, MaxClients: 4,
		HandshakeTimeout: time.Second}, Listen: "127.0.0.1:0"})
	silent := dialFrom(t, "tcp", "", s.addr().String(), false)
	if d := closedWithin(t, silent, 5*time.Second); d < 900*time.Millisecond {
		t.Fatalf("closed after %v, before the 1s timeout", d)
	}
	waitFor(t, "the count", func() bool { return s.env.Stats.Rejected.Load(endpoint.ConnHandshakeTimeout) == 1 })
	wrong := dialFrom(t, "tcp", "", s.addr().String(), false)
	io.WriteString(wrong, "CANNELLONIv0")
	if d := closedWithin(t, wrong, 3*time.Second); d > 750*time.Millisecond {
		t.Errorf("a wrong handshake was closed only after %v (the timeout is 1s)", d)
	}
	waitFor(t, "the count", func() bool { return s.env.Stats.Rejected.Load(endpoint.ConnHandshakeFailed) == 1 })
	st := s.env.Stats
	if st.Drops.Load(endpoint.ReasonMalformed) != 2 || st.Drops.Total() != 2 || st.Connects.Load() != 0 || st.Peers.Load() != 0 {
		t.Fatalf("drops %v, connects %d, peers %d", st.Drops.Snapshot(), st.Connects.Load(), st.Peers.Load())
	}
}

// TestTLSHandshakeTimeout: on a TLS server the deadline covers the TLS
// handshake: a plain TCP peer that says nothing is disconnected and
// counted; a TLS client without a certificate the CA signed is counted
// as handshake_failed and an auth drop.
func TestTLSHandshakeTimeout(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := certtest.Write(t, dir, "ca", nil, nil)
	certtest.Write(t, dir, "server", ca, caKey)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := open(t, ctx, "srv", "tcp", &tcp.Config{Config: stream.Config{Role: config.Server, MaxClients: 4, HandshakeTimeout: 2 * time.Second,
		TLS: &config.TLS{Cert: dir + "/server.crt", Key: dir + "/server.key", CA: dir + "/ca.crt"}}, Listen: "127.0.0.1:0"})
	silent := dialFrom(t, "tcp", "", s.addr().String(), false)
	closedWithin(t, silent, 3*time.Second)
	waitFor(t, "the timeout", func() bool { return s.env.Stats.Rejected.Load(endpoint.ConnHandshakeTimeout) == 1 })
	c, err := tls.Dial("tcp", s.addr().String(), &tls.Config{InsecureSkipVerify: true})
	if err == nil {
		c.SetDeadline(time.Now().Add(3 * time.Second))
		_, err = io.ReadFull(c, make([]byte, 12))
		c.Close()
	}
	if err == nil {
		t.Fatal("a client without certificate was served")
	}
	waitFor(t, "the failure", func() bool { return s.env.Stats.Rejected.Load(endpoint.ConnHandshakeFailed) == 1 })
	if d := s.env.Stats.Drops.Snapshot(); d["malformed"] != 1 || d["auth"] != 1 || len(d) != 2 {
		t.Fatalf("drops %v", d)
	}
}

// TestLogLinesBounded: 40 junk connections from one address write the
// first 5 log lines, count the other 35, and one summary line reports
// them (here at Close, else when the minute is over).
func TestLogLinesBounded(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, lb := openLogged(t, ctx, "tcp", &tcp.Config{Config: stream.Config{Role: config.Server, MaxClients: 4}, Listen: "127.0.0.1:0"})
	for range 40 {
		c := dialFrom(t, "tcp", "", s.addr().String(), false)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		closedWithin(t, c, 3*time.Second)
	}
	waitFor(t, "40 failed handshakes", func() bool { return s.env.Stats.Rejected.Load(endpoint.ConnHandshakeFailed) == 40 })
	if l := lb.lines(); len(l) != 5 || s.env.Stats.LogSuppressed.Load() != 35 {
		t.Fatalf("%d log lines (%d suppressed), want 5 (35):\n%s", len(l), s.env.Stats.LogSuppressed.Load(), strings.Join(l, "\n"))
	}
	if d := s.env.Stats.Drops.Load(endpoint.ReasonMalformed); d != 40 {
		t.Errorf("malformed %d, want 40", d)
	}
	s.tr.Close()
	l := lb.lines()
	if len(l) != 6 || !strings.Contains(l[5], "peer=127.0.0.1 suppressed=35") {
		t.Fatalf("after Close: %d lines, last %q", len(l), l[len(l)-1])
	}
}

// TestUnixPerUID: unix peers are limited per uid (SO_PEERCRED): all
// connections of this test are one peer.
func TestUnixPerUID(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("unix peers are identified by uid on Linux only")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := filepath.Join(t.TempDir(), "bus.sock")
	s := open(t, ctx, "srv", "unix", &unix.Config{Config: stream.Config{Role: config.Server, MaxClients: 8, MaxClientsPerPeer: 2}, Path: path, SocketType: unix.Stream})
	dialFrom(t, "unix", "", path, true)
	dialFrom(t, "unix", "", path, true)
	third := dialFrom(t, "unix", "", path, false)
	closedWithin(t, third, 3*time.Second)
	// The server counts the two handshakes it completed a moment after
	// the clients see theirs complete.
	deadline := time.Now().Add(5 * time.Second)
	for s.env.Stats.Peers.Load() != 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := s.env.Stats.Rejected.Load(endpoint.ConnMaxPerPeer); got != 1 || s.env.Stats.Peers.Load() != 2 {
		t.Fatalf("per-uid refusals %d, peers %d; want 1, 2", got, s.env.Stats.Peers.Load())
	}
}
