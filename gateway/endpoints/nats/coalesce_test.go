//go:build !hil

package nats_test

import (
	"fmt"
	"testing"
	"time"

	natsio "github.com/nats-io/nats.go"

	"github.com/fieldgate/fieldgate/gateway/busmsg"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

// TestCoalesce: frames handed to the endpoint one per batch (a bus whose
// frames come one at a time) share binary messages: after the burst
// budget, at most one message that is not full per coalesce (100 ms
// here). A nats.go subscriber reads every frame, in order, byte for
// byte, with consecutive sequence numbers; the frames still waiting when
// the gateway stops are published as it closes, and every count agrees.
func TestCoalesce(t *testing.T) {
	port := gatewaytest.FreePort(t, "tcp")
	g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  in-co: {kind: test-source}
  pub: {kind: nats, gateway: gco, coalesce: 100ms, server: {listen: "127.0.0.1:%d"}, queue: {size: 4096}}
routes:
  - {name: r, from: [in-co], to: [pub]}
`, port))
	waitConnected(t, g, "pub")
	nc, err := natsio.Connect(fmt.Sprintf("nats://127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	sub, err := nc.SubscribeSync("fieldgate.gco.>")
	if err != nil {
		t.Fatal(err)
	}
	sub.SetPendingLimits(-1, -1)
	nc.Flush()
	const n = 600
	fs := make([]frame.Frame, n)
	for i := range fs {
		fs[i] = frame.Frame{Type: frame.CAN, ID: uint32(i % 0x800), Len: 8, Time: time.Now().UnixNano()}
		for j := range 8 {
			fs[i].Data[j] = byte(i*7 + j)
		}
	}
	var got []frame.Frame
	msgs := 0
	next := uint64(1)
	recv := func(k int) {
		t.Helper()
		for len(got) < k {
			m, err := sub.NextMsg(20 * time.Second)
			if err != nil {
				t.Fatalf("after %d frames in %d messages: %v", len(got), msgs, err)
			}
			bm, err := busmsg.ParseBinary(m.Data)
			if err != nil {
				t.Fatal(err)
			}
			if bm.Seq != next || m.Header.Get(busmsg.HeaderSeq) != fmt.Sprint(next) {
				t.Fatalf("message %d: seq %d (header %s), want %d", msgs, bm.Seq, m.Header.Get(busmsg.HeaderSeq), next)
			}
			next += uint64(bm.N)
			for {
				var f frame.Frame
				if !bm.Next(&f) {
					break
				}
				got = append(got, f)
			}
			msgs++
		}
	}
	// Half: the frames left waiting go when their slot comes (the
	// timer).
	start := time.Now()
	for i := range fs[:n/2] {
		gatewaytest.Inject(t, "in-co", fs[i:i+1])
	}
	recv(n / 2)
	// The other half, then the gateway stops once every frame is
	// reported sent (the last ones waiting for their slot): they are
	// published as the endpoint closes.
	for i := n / 2; i < n; i++ {
		gatewaytest.Inject(t, "in-co", fs[i:i+1])
	}
	waitFor(t, "frames handed over", 20*time.Second, func() bool { return gatewaytest.EndpointStatus(g, "pub").FramesOut == n })
	injected := time.Since(start)
	g.Shutdown()
	recv(n)
	sameFrames(t, got, fs)
	// 4 messages at once, then at most one per 100 ms (plus the one at
	// close, and messages cut at 255 frames).
	if limit := 2*4 + int(injected/(100*time.Millisecond)) + 2 + n/255; msgs > limit {
		t.Errorf("%d frames in %d messages (injected in %v): want at most %d", n, msgs, injected, limit)
	}
	st := gatewaytest.EndpointStatus(g, "pub")
	if st.FramesOut != n || len(st.Dropped) != 0 {
		t.Errorf("publisher %+v", st)
	}
	t.Logf("%d frames handed over one per batch in %v went in %d messages", n, injected.Round(time.Millisecond), msgs)
	if len(got) != n {
		t.Fatalf("%d frames received, want %d", len(got), n)
	}
}
