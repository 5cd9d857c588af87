package vsock

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
	"github.com/fieldgate/fieldgate/gateway/frame"
	vs "github.com/fieldgate/fieldgate/vsock"
)

func testEnv() *endpoint.Env {
	return &endpoint.Env{Name: "v", Stats: &endpoint.Stats{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// TestNotSupported: off Linux, opening fails with a clear error.
func TestNotSupported(t *testing.T) {
	if runtime.GOOS == "linux" {
		t.Skip("vsock is supported on linux")
	}
	c := &Config{Config: stream.Config{Role: config.Client}, CID: 2, Port: 20000}
	_, err := endpoint.Open(context.Background(), &config.Endpoint{Name: "v", Kind: "vsock", Settings: c}, testEnv())
	if err == nil || !strings.Contains(err.Error(), "vsock endpoints are not supported on "+runtime.GOOS) {
		t.Errorf("open: %v", err)
	}
}

// TestDialContext: the client's dial honours its context. Without a
// vsock_loopback transport a dial to CID 1 waits (for the kernel's 2 s
// connect timeout unless cancelled); with one it is reset at once.
func TestDialContext(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("vsock is Linux only")
	}
	c := &Config{Config: stream.Config{Role: config.Client, Reconnect: config.Backoff{Min: 10 * time.Millisecond, Max: 10 * time.Millisecond}}, CID: vs.CIDLocal, Port: 0xFFF0}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	conn, err := c.Transport().Dial(ctx)
	if err == nil {
		conn.Close()
		t.Skip("something listens on vsock port 0xFFF0 of CID 1")
	}
	// The kernel's own connect timeout is 2 s (an ignored context took
	// 2.03 s); when the context ends, the dial returns with either its
	// error or the kernel's, at once.
	if d := time.Since(start); d > 1900*time.Millisecond {
		t.Errorf("Dial returned after %v (%v), its context ended after 100ms", d, err)
	}
	t.Logf("dial: %v after %v", err, time.Since(start))

	// The endpoint's Receive returns promptly when cancelled mid-dial.
	tr, err := endpoint.Open(context.Background(), &config.Endpoint{Name: "v", Kind: "vsock", Settings: c}, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	rctx, rcancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tr.Receive(rctx, func([]frame.Frame) {}) }()
	time.Sleep(100 * time.Millisecond)
	rcancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Receive: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Receive did not return within 5s of its cancel")
	}
}

// TestListen: a server listens on a vsock port of the local CID, and stops
// when cancelled. Skipped without /dev/vsock.
func TestListen(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("vsock is Linux only")
	}
	if _, err := vs.LocalCID(); err != nil {
		t.Skip(err)
	}
	c := &Config{Config: stream.Config{Role: config.Server, MaxClients: 1}, Port: vs.PortAny}
	tr, err := endpoint.Open(context.Background(), &config.Endpoint{Name: "v", Kind: "vsock", Settings: c}, testEnv())
	if err != nil {
		t.Skip("cannot listen on vsock here:", err)
	}
	defer tr.Close()
	a, ok := tr.(interface{ Addr() net.Addr }).Addr().(*vs.Addr)
	if !ok || a.Port == 0 || a.Port == vs.PortAny {
		t.Errorf("listening address %v", a)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tr.Receive(ctx, func([]frame.Frame) {}) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Receive: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Receive did not return after cancel")
	}
}
