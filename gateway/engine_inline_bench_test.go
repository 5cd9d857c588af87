package gateway

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// memTryConn is memConn with an inline path whose socket always has room:
// TrySend takes every frame, so deliver writes each batch itself and the
// writer goroutine never runs (the path the can endpoint takes in the rig
// while its destination keeps up). sent counts TrySend's frames only;
// frames that went through the queue and Send are counted in queued.
type memTryConn struct {
	memConn
	queued atomic.Int64
}

func (m *memTryConn) TrySend(fs []frame.Frame) (int, error) {
	m.sent.Add(int64(len(fs)))
	return len(fs), nil
}

func (m *memTryConn) Send(ctx context.Context, fs []frame.Frame) (int, error) {
	m.queued.Add(int64(len(fs)))
	return len(fs), nil
}

// benchEngineInline runs frames through deliver → route (filter + XOR
// transform) → inline send with batches of size batch, on the calling
// goroutine only, and reports allocations per frame. With no second
// goroutine, its instruction count per frame (valgrind --tool=callgrind)
// does not depend on scheduling.
func benchEngineInline(b *testing.B, batch int) {
	g, src, dst, frames := benchGateway(b, batch)
	mc := &memTryConn{}
	dst.inl.mu.Lock() // no send in flight while the conn is swapped
	dst.conn = mc
	dst.inl.ts = mc
	dst.inl.buf = make([]frame.Frame, 2*endpoint.BatchSize)
	dst.inl.mu.Unlock()
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		g.deliver(src, frames)
		n += batch
	}
	if got, q := mc.sent.Load(), mc.queued.Load(); got != int64(n) || q != 0 {
		b.Fatalf("inline path sent %d frames of %d, %d went through the queue", got, n, q)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/frame")
}

func BenchmarkEngineInlineBatch1(b *testing.B)  { benchEngineInline(b, 1) }
func BenchmarkEngineInlineBatch64(b *testing.B) { benchEngineInline(b, 64) }
