package slcan

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

// TestFilteredServer: the RFCOMM server's peer filter on a TCP listener
// (the filter sees net.Conns, whatever their family): a refused peer is
// counted (allow_peers, auth) before its connection is closed, and logged
// with the reason; an admitted one is served; a second while it is served
// is counted max_clients.
func TestFilteredServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuf{}
	env := &endpoint.Env{Name: "sl", Stats: &endpoint.Stats{}, Log: slog.New(slog.NewTextHandler(logs, nil))}
	first := true
	allow := func(net.Conn) error {
		if first { // only the accept goroutine calls it
			first = false
			return errors.New("device 00:1A:7D:DA:71:13 is not in peers")
		}
		return nil
	}
	srv := filteredServer(ln, allow, env)
	defer srv.Close()

	refused, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer refused.Close()
	refused.SetReadDeadline(time.Now().Add(20 * time.Second))
	if n, err := refused.Read(make([]byte, 1)); n != 0 || (err != io.EOF && !errors.Is(err, net.ErrClosed) && !isReset(err)) {
		t.Fatalf("refused peer read %d, %v; want the connection closed", n, err)
	}
	if r, d := env.Stats.Rejected.Load(endpoint.ConnNotAllowed), env.Stats.Drops.Load(endpoint.ReasonAuth); r != 1 || d != 1 {
		t.Errorf("after the refusal: allow_peers %d, auth %d; want 1, 1", r, d)
	}

	admitted, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer admitted.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := srv.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := admitted.Write([]byte("V\r")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 2)
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.ReadFull(c, b); err != nil || string(b) != "V\r" {
		t.Fatalf("served connection read %q, %v", b, err)
	}

	busy, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for deadline := time.Now().Add(20 * time.Second); env.Stats.Rejected.Load(endpoint.ConnMaxClients) != 1; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second peer was not refused as max_clients")
		}
	}
	if r, d := env.Stats.Rejected.Load(endpoint.ConnNotAllowed), env.Stats.Drops.Load(endpoint.ReasonAuth); r != 1 || d != 1 {
		t.Errorf("allow_peers %d, auth %d; want still 1, 1", r, d)
	}
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(logs.String(), "is not in peers"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the refusal is not logged with its reason:\n%s", logs.String())
		}
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// isReset reports a connection reset (a closed peer with unread data).
func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op)
}
