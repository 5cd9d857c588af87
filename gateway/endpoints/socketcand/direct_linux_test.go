package socketcand

import (
	"context"
	"testing"
	"time"
)

// TestDirectWrite: with one raw-mode client that keeps up and batches
// coming at least coalesceGap apart (a paced bus), every batch is written
// by Send itself (the goroutine that read the bus), with one write and no
// hand-off to the client's writer goroutine; the client gets every frame.
func TestDirectWrite(t *testing.T) {
	s, env, _ := testServerWith(t, &Config{Listen: "127.0.0.1:0", Bus: "vcan0", MaxClients: 4}, nil)
	rc := connectRaw(t, s, env, 1)
	defer rc.close()
	batch := testBatch()
	const n = 300 // 300 frames of 64 bytes: far below the socket's buffers
	for i := range n {
		time.Sleep(2 * coalesceGap) // at least: longer only helps
		if k, err := s.Send(context.Background(), batch[i%len(batch):i%len(batch)+1]); k != 1 || err != nil {
			t.Fatalf("Send %d: %d %v", i, k, err)
		}
	}
	rc.wait(t, n)
	if q, p := s.direct.queued.Load(), s.direct.partial.Load(); q != 0 || p != 0 {
		t.Errorf("%d batches left to the writer goroutine (%d partial direct writes), want 0", q, p)
	}
	if d := env.Stats.Drops.Total(); d != 0 {
		t.Errorf("drops %v", env.Stats.Drops.Snapshot())
	}
}
