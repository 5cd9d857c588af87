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

// benchGateway starts the gateway the engine benchmarks share: a log
// source a routed to a log sink b through a filter and an XOR transform.
// It returns the two endpoints and a batch of batch frames to deliver.
func benchGateway(b *testing.B, batch int) (g *Gateway, src, dst *node, frames []frame.Frame) {
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
	g = New(nil)
	ctx, cancel := context.WithCancel(context.Background())
	if err := g.Start(ctx, cfg); err != nil {
		cancel()
		b.Fatal(err)
	}
	b.Cleanup(func() { g.Shutdown(); cancel() })
	frames = make([]frame.Frame, batch)
	for i := range frames {
		frames[i] = frame.Frame{Type: frame.CAN, ID: 0x123, Len: 8}
	}
	return g, g.eps["a"], g.eps["b"], frames
}

// benchEngine runs frames through deliver → route → queue → writer → Send
// with batches of size batch, and reports allocations per frame.
func benchEngine(b *testing.B, batch int) {
	g, src, dst, frames := benchGateway(b, batch)
	mc := &memConn{}
	dst.conn = mc
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
