//go:build !hil

package socketcand

import (
	"bufio"
	"context"
	"io"
	"net"
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
	// of backlog and the sockets' buffers), within 2 s (stream.WriteTimeout,
	// after which its writer disconnects it) on a fast host; all the while
	// the reading client takes every frame.
	sent := 0
	deadline := time.Now().Add(30 * time.Second)
	for env.Stats.Drops.Load(endpoint.ReasonQueueOverflow) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no queue_overflow after %d frames (queued %d, partial %d)", sent, s.direct.queued.Load(), s.direct.partial.Load())
		}
		if k, err := s.Send(context.Background(), batch); k != len(batch) || err != nil {
			t.Fatalf("Send: %d %v", k, err)
		}
		sent += len(batch)
	}
	rc.wait(t, int64(sent))
	if q := s.direct.queued.Load(); q == 0 {
		t.Errorf("the stalled client's frames were never queued for its writer")
	}
	snap := env.Stats.Drops.Snapshot()
	if len(snap) != 1 {
		t.Errorf("drops %v, want queue_overflow only", snap)
	}
	t.Logf("%d frames sent; drops %v; queued %d, partial %d", sent, snap, s.direct.queued.Load(), s.direct.partial.Load())
}
