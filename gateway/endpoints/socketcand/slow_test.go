//go:build !hil

package socketcand

import (
	"bufio"
	"context"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

// TestSlowClientFallsBack: a raw-mode client that stops reading never holds
// up Send or the other clients. Send's direct write takes what its socket
// takes, the rest waits in its queue for its writer goroutine, and once
// that backlog is full its frames are dropped and counted (queue_overflow);
// the client that reads gets every frame. Host only: it pushes megabytes.
func TestSlowClientFallsBack(t *testing.T) {
	s, env, _ := testServerWith(t, &Config{Listen: "127.0.0.1:0", Bus: "vcan0", MaxClients: 4}, nil)
	rc := connectRaw(t, s, env, 1)
	defer rc.close()
	// The stalled client: handshake, then it reads nothing.
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.(*net.TCPConn).SetReadBuffer(4096)
	r := bufio.NewReader(c)
	for _, step := range []struct{ send, want string }{{"", "< hi >"}, {"< open vcan0 >", "< ok >"}, {"< rawmode >", "< ok >"}} {
		io.WriteString(c, step.send)
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		buf := make([]byte, len(step.want))
		if _, err := io.ReadFull(r, buf); err != nil || string(buf) != step.want {
			t.Fatalf("stalled client: %q %v, want %q", buf, err, step.want)
		}
	}
	for s.rawN.Load() != 2 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(RawHold + 50*time.Millisecond)
	batch := testBatch()
	// Until the stalled client's backlog overflows (64 bytes a frame: 1 MiB
	// of backlog and the sockets' buffers), or its writer gives up on it
	// (stream.WriteTimeout, 2 s, which a loaded machine may reach first);
	// each batch once the reading client has the previous ones, so that it
	// never falls behind itself.
	sent := 0
	deadline := time.Now().Add(60 * time.Second)
	for env.Stats.Drops.Load(endpoint.ReasonQueueOverflow) == 0 && env.Stats.Peers.Load() == 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no queue_overflow after %d frames (queued %d, partial %d)", sent, s.direct.queued.Load(), s.direct.partial.Load())
		}
		if k, err := s.Send(context.Background(), batch); k != len(batch) || err != nil {
			t.Fatalf("Send: %d %v", k, err)
		}
		sent += len(batch)
		for rc.got[0].Load() < int64(sent) && time.Now().Before(deadline) {
			runtime.Gosched()
		}
	}
	overflow := env.Stats.Drops.Load(endpoint.ReasonQueueOverflow)
	rc.wait(t, int64(sent))
	if q := s.direct.queued.Load(); q == 0 {
		t.Errorf("the stalled client's frames were never queued for its writer")
	}
	snap := env.Stats.Drops.Snapshot()
	if overflow > 0 && len(snap) != 1 || overflow == 0 && len(snap) != 0 {
		t.Errorf("drops %v, want queue_overflow only", snap)
	}
	if overflow == 0 {
		t.Logf("the stalled client's writer disconnected it (write timeout) before its backlog overflowed")
	}
	t.Logf("%d frames sent; drops %v; queued %d, partial %d", sent, snap, s.direct.queued.Load(), s.direct.partial.Load())
}

// TestBackToBackCoalesced: batches that come faster than coalesceGap (a
// flood) go to the client's writer goroutine, which writes what piled up
// in one write, instead of one write system call per batch; the client
// still gets every frame, in order. Host only: on the rig's slow CPU a
// Send may take longer than the gap.
func TestBackToBackCoalesced(t *testing.T) {
	s, env, _ := testServerWith(t, &Config{Listen: "127.0.0.1:0", Bus: "vcan0", MaxClients: 4}, nil)
	rc := connectRaw(t, s, env, 1)
	defer rc.close()
	batch := testBatch()
	const n = 2000
	for i := range n {
		if k, err := s.Send(context.Background(), batch[i%len(batch):i%len(batch)+1]); k != 1 || err != nil {
			t.Fatalf("Send %d: %d %v", i, k, err)
		}
	}
	rc.wait(t, n)
	if q := s.direct.queued.Load(); q == 0 {
		t.Errorf("%d back-to-back batches were all written by Send, none coalesced by the writer", n)
	}
	if d := env.Stats.Drops.Total(); d != 0 {
		t.Errorf("drops %v", env.Stats.Drops.Snapshot())
	}
}
