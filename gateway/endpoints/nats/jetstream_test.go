//go:build !hil

package nats_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	natsio "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fieldgate/fieldgate/gateway/busmsg"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

// streamFrames reads every message of a stream (by sequence number: the
// stream's own API, no consumer) and decodes its frames (binary),
// checking that no Nats-Msg-Id repeats.
func streamFrames(t *testing.T, url, stream string) []frame.Frame {
	t.Helper()
	nc, err := natsio.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info := st.CachedInfo().State
	var out []frame.Frame
	ids := map[string]bool{}
	for seq := info.FirstSeq; seq <= info.LastSeq && info.Msgs > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		id := m.Header.Get(natsio.MsgIdHdr)
		if id == "" || ids[id] {
			t.Fatalf("Nats-Msg-Id %q missing or repeated", id)
		}
		ids[id] = true
		bm, err := busmsg.ParseBinary(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		var f frame.Frame
		for bm.Next(&f) {
			out = append(out, f)
		}
	}
	return out
}

// TestJetStreamEmbedded: a publisher with jetstream stores every frame
// once in the embedded server's stream (acknowledged: frames out only
// when stored), and a replay endpoint of another gateway puts a sequence
// range of that stream onto a bus, byte for byte, then finishes.
func TestJetStreamEmbedded(t *testing.T) {
	port := gatewaytest.FreePort(t, "tcp")
	dir := t.TempDir()
	a := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  in-js: {kind: test-source}
  pub: {kind: nats, gateway: gj, server: {listen: "127.0.0.1:%d", store_dir: %q}, jetstream: {stream: FRAMES}, queue: {size: 4096, overflow: backpressure}}
routes:
  - {name: r, from: [in-js], to: [pub]}
`, port, dir))
	waitConnected(t, a, "pub")
	want := testFrames(3000)
	gatewaytest.Inject(t, "in-js", want)
	waitFor(t, "frames stored", 30*time.Second, func() bool { return gatewaytest.EndpointStatus(a, "pub").FramesOut == uint64(len(want)) })
	if st := gatewaytest.EndpointStatus(a, "pub"); len(st.Dropped) != 0 {
		t.Fatalf("publisher: %+v", st)
	}
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	sameFrames(t, streamFrames(t, url, "FRAMES"), want)

	// Replay messages 2..5 of the stream (the frames they hold).
	nc, _ := natsio.Connect(url)
	defer nc.Close()
	js, _ := jetstream.New(nc)
	stream, err := js.Stream(context.Background(), "FRAMES")
	if err != nil {
		t.Fatal(err)
	}
	var from, to int
	for seq := uint64(1); seq <= 5; seq++ {
		m, err := stream.GetMsg(context.Background(), seq)
		if err != nil {
			t.Fatal(err)
		}
		bm, _ := busmsg.ParseBinary(m.Data)
		if seq == 1 {
			from = bm.N
		}
		to += bm.N
	}
	b := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  rp: {kind: nats, url: %q, gateway: gr, replay: {stream: FRAMES, start_seq: 2, stop_seq: 5}}
  bus-replay: {kind: test-bus, queue: {size: 4096, overflow: backpressure}}
routes:
  - {name: r, from: [rp], to: [bus-replay], allow: [any]}
`, url))
	bus := gatewaytest.BusOf(t, "bus-replay")
	waitFor(t, "replayed", 20*time.Second, func() bool { return bus.Len() >= to-from })
	time.Sleep(100 * time.Millisecond)
	sameFrames(t, bus.Frames(), want[from:to])
	if st := gatewaytest.EndpointStatus(b, "rp"); st.FramesIn != uint64(to-from) || len(st.Dropped) != 0 {
		t.Fatalf("replay: %+v", st)
	}
}

// TestReplayRealtime: a replay with realtime keeps the frames' spacing
// (three frames captured 300 ms apart take about 600 ms).
func TestReplayRealtime(t *testing.T) {
	port := gatewaytest.FreePort(t, "tcp")
	dir := t.TempDir()
	a := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  in-rt: {kind: test-source}
  pub: {kind: nats, gateway: grt, server: {listen: "127.0.0.1:%d", store_dir: %q}, jetstream: {stream: RT}}
routes:
  - {name: r, from: [in-rt], to: [pub]}
`, port, dir))
	waitConnected(t, a, "pub")
	t0 := time.Now().UnixNano()
	for i := range 3 {
		gatewaytest.Inject(t, "in-rt", []frame.Frame{{Type: frame.CAN, ID: uint32(i), Len: 1, Time: t0 + int64(i)*300e6}})
		waitFor(t, "stored", 30*time.Second, func() bool { return gatewaytest.EndpointStatus(a, "pub").FramesOut == uint64(i+1) })
	}
	start := time.Now()
	startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  rp: {kind: nats, url: "nats://127.0.0.1:%d", gateway: gr, replay: {stream: RT, realtime: true}}
  bus-rt: {kind: test-bus}
routes:
  - {name: r, from: [rp], to: [bus-rt], allow: [any]}
`, port))
	bus := gatewaytest.BusOf(t, "bus-rt")
	waitFor(t, "replayed", 30*time.Second, func() bool { return bus.Len() == 3 })
	if d := time.Since(start); d < 550*time.Millisecond || d > 3*time.Second {
		t.Fatalf("realtime replay took %v", d)
	}
}
