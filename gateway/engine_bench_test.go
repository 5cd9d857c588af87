package gateway

import (
	"context"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// memConn is an in-memory endpoint for engine benchmarks: Send counts.
type memConn struct{ sent atomic.Int64 }

func (m *memConn) Receive(ctx context.Context, deliver func([]frame.Frame)) error {
	<-ctx.Done()
	return ctx.Err()
}
func (m *memConn) Send(ctx context.Context, fs []frame.Frame) (int, error) {
	m.sent.Add(int64(len(fs)))
	return len(fs), nil
}
func (m *memConn) Close() error { return nil }

// benchEngine runs frames through deliver → route → queue → writer → Send
// with batches of size batch, and reports allocations per frame.
func benchEngine(b *testing.B, batch int) {
	cfg, err := config.Parse("b.yaml", []byte(strings.ReplaceAll(`
admin: {listen: ""}
endpoints:
  a: {kind: log, mode: read, path: /dev/null}
  b: {kind: log, path: DIR/b.log, queue: {size: 4096, overflow: backpressure}}
routes:
  - {name: r, from: [a], to: [b], filters: ["000:000"], transform: {xor: {data: "01"}}}
`, "DIR", b.TempDir())))
	if err != nil {
		b.Fatal(err)
	}
	g := New(nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := g.Start(ctx, cfg); err != nil {
		b.Fatal(err)
	}
	defer g.Shutdown()
	src := g.eps["a"]
	dst := g.eps["b"]
	mc := &memConn{}
	dst.conn = mc
	frames := make([]frame.Frame, batch)
	for i := range frames {
		frames[i] = frame.Frame{Type: frame.CAN, ID: 0x123, Len: 8}
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		g.deliver(src, frames)
		n += batch
	}
	for mc.sent.Load() < int64(n) {
		runtime.Gosched()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/frame")
}

func BenchmarkEngineBatch1(b *testing.B)  { benchEngine(b, 1) }
func BenchmarkEngineBatch64(b *testing.B) { benchEngine(b, 64) }
