package slcan_test

import (
	"bytes"
	"context"
	"time"

	"log/slog"
	"sync"
	"testing"

	"github.com/fieldgate/fieldgate/can"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/endpoints/slcan"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// running is one open endpoint with its Receive loop.
type running struct {
	tr   endpoint.Transceiver
	env  *endpoint.Env
	logs *logBuf
	got  chan frame.Frame
	done chan error
}

// open opens an slcan endpoint of settings c through the registry and runs
// its Receive, copying every delivered frame to got.
func open(t *testing.T, c *slcan.Config) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &logBuf{}
	env := &endpoint.Env{Name: "sl", Stats: &endpoint.Stats{}, Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	tr, err := endpoint.Open(ctx, &config.Endpoint{Name: "sl", Kind: "slcan", Settings: c}, env)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	r := &running{tr: tr, env: env, logs: logs, got: make(chan frame.Frame, 4096), done: make(chan error, 1)}
	go func() {
		r.done <- tr.Receive(ctx, func(fs []frame.Frame) {
			for i := range fs {
				r.got <- fs[i]
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		tr.Close()
		<-r.done
		if t.Failed() {
			t.Logf("endpoint log:\n%s", logs.String())
		}
	})
	return r
}

// next returns the next delivered frame.
func (r *running) next(t *testing.T) frame.Frame {
	t.Helper()
	select {
	case f := <-r.got:
		return f
	case <-timeout():
		t.Fatal("no frame delivered")
	}
	return frame.Frame{}
}

// nextString returns the next delivered frame in cansend syntax.
func (r *running) nextString(t *testing.T) string {
	t.Helper()
	f := r.next(t)
	return f.String()
}

func (r *running) drop(reason endpoint.Reason) uint64 { return r.env.Stats.Drops.Load(reason) }

func timeout() <-chan time.Time { return time.After(20 * time.Second) }

// gf returns the gateway frame of a cansend-syntax frame.
func gf(t testing.TB, s string) frame.Frame {
	t.Helper()
	c, err := can.ParseFrame(s)
	if err != nil {
		t.Fatal(err)
	}
	var f frame.Frame
	frame.FromCAN(&f, &c, c.IsFD())
	return f
}
