package stream_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/cannelloni"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// filtering is a TCP transport with an allow list of its own, as the
// Bluetooth kinds' peers is: it admits a peer while allow is set.
type filtering struct {
	ln    net.Listener
	allow atomic.Bool
}

func (f *filtering) Listen(context.Context) (net.Listener, error) { return f.ln, nil }
func (f *filtering) Dial(context.Context) (net.Conn, error)       { panic("server only") }
func (f *filtering) AllowPeer(c net.Conn) error {
	if f.allow.Load() {
		return nil
	}
	return errors.New("not in the test's list")
}

// TestPeerFilter: a server refuses a connection its transport's PeerFilter
// refuses before the handshake, counting it as an allow_peers rejection
// and an auth drop; one it admits is served.
func TestPeerFilter(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tr := &filtering{ln: ln}
	env := &endpoint.Env{Name: "f", Stats: &endpoint.Stats{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	cfg := &stream.Config{Role: config.Server, MaxClients: 4, Reconnect: backoff}
	s, err := stream.Open(context.Background(), cfg, tr, env)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Receive(ctx, func([]frame.Frame) {}) }()
	defer func() { cancel(); s.Close(); <-done }()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	var b [12]byte
	if n, err := io.ReadFull(c, b[:]); err == nil {
		t.Fatalf("refused peer read %q", b[:n])
	}
	c.Close()
	if r, d := env.Stats.Rejected.Load(endpoint.ConnNotAllowed), env.Stats.Drops.Load(endpoint.ReasonAuth); r != 1 || d != 1 || env.Stats.Connects.Load() != 0 {
		t.Fatalf("rejected %d, auth drops %d, connects %d; want 1, 1, 0", r, d, env.Stats.Connects.Load())
	}

	tr.allow.Store(true)
	c, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, b[:]); err != nil || string(b[:]) != cannelloni.Handshake {
		t.Fatalf("admitted peer read %q, %v", b[:], err)
	}
}
