//go:build !hil

package mqtt_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

// TestBrokerKilled: mosquitto is killed (SIGKILL) while the endpoint
// publishes at QoS 1 and started again on the same port. The publisher
// reconnects and loses nothing: every frame is acknowledged by the
// broker (frames_out) with no drop. The broker's death loses what it
// held for the subscriber, and the subscriber (a second client of the
// same broker, reconnecting too) misses what is published before it has
// subscribed again; it counts exactly those frames as seq_gaps: the
// distinct frames on the bus plus the gaps make every frame sent, and
// nothing unknown arrives.
//
// At QoS 0 the publisher loses what it wrote into the dying connection
// without knowing: the subscriber's seq_gaps count it, and the same sum
// holds.
func TestBrokerKilled(t *testing.T) {
	for _, c := range []struct {
		enc string
		qos int
	}{{"binary", 1}, {"json", 1}, {"binary", 0}} {
		t.Run(fmt.Sprintf("%s-qos%d", c.enc, c.qos), func(t *testing.T) { brokerKilled(t, c.enc, c.qos) })
	}
}

func brokerKilled(t *testing.T, enc string, qos int) {
	name := fmt.Sprintf("%s-qos%d", enc, qos)
	b := startMosquitto(t)
	g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  src-%[4]s: {kind: test-source}
  pub: {kind: mqtt, url: %[1]q, client_id: kill-pub-%[4]s, gateway: gw, encoding: %[2]s, qos: %[3]d, reconnect: {min: 50ms, max: 200ms}, queue: {size: 100000}}
  sub: {kind: mqtt, url: %[1]q, client_id: kill-sub-%[4]s, gateway: s, encoding: %[2]s, qos: %[3]d, subscribe: [fieldgate/gw/#], reconnect: {min: 50ms, max: 200ms}}
  bus-kill-%[4]s: {kind: test-bus, queue: {size: 100000}}
routes:
  - {name: out, from: [src-%[4]s], to: [pub]}
  - {name: in, from: [sub], to: [bus-kill-%[4]s], allow: [any]}
`, b.url(), enc, qos, name))
	waitConnected(t, g, "pub")
	waitConnected(t, g, "sub")
	bus := gatewaytest.BusOf(t, "bus-kill-"+name)
	const n1, n2 = 12800, 640
	all := canFrames(n1 + n2)
	// Publish n1 frames, 64 every 2 ms, and kill the broker along the way.
	injected := make(chan struct{})
	go func() {
		defer close(injected)
		for i := 0; i < n1; i += 64 {
			gatewaytest.Inject(t, "src-"+name, all[i:i+64])
			time.Sleep(2 * time.Millisecond)
		}
	}()
	waitFor(t, "frames flowing", 30*time.Second, func() bool { return bus.Len() >= 500 })
	b.kill()
	killedAt := bus.Len()
	time.Sleep(300 * time.Millisecond)
	b.start()
	<-injected
	waitFor(t, "publisher reconnected", 30*time.Second, func() bool {
		return gatewaytest.EndpointStatus(g, "pub").Reconnects >= 1 && gatewaytest.EndpointStatus(g, "pub").Peers == 1
	})
	waitFor(t, "subscriber reconnected", 30*time.Second, func() bool {
		return gatewaytest.EndpointStatus(g, "sub").Reconnects >= 1 && gatewaytest.EndpointStatus(g, "sub").Peers == 1
	})
	waitFor(t, "first part acknowledged", 60*time.Second, func() bool { return gatewaytest.EndpointStatus(g, "pub").FramesOut == n1 })
	// Frames after both reconnected reveal any gap at the end of the first part.
	gatewaytest.Inject(t, "src-"+name, all[n1:])
	distinct := func() int {
		seen := map[uint32]bool{}
		for _, f := range bus.Frames() {
			seen[index(&f)] = true
		}
		return len(seen)
	}
	deadline := time.Now().Add(60 * time.Second)
	for uint64(distinct())+gatewaytest.EndpointStatus(g, "sub").SeqGaps != n1+n2 {
		if time.Now().After(deadline) {
			ps, ss := gatewaytest.EndpointStatus(g, "pub"), gatewaytest.EndpointStatus(g, "sub")
			t.Fatalf("%d distinct frames (%d in all) + %d gaps != %d sent; publisher out %d, dropped %v, republished %d, reconnects %d; subscriber in %d, dropped %v, reconnects %d",
				distinct(), bus.Len(), ss.SeqGaps, n1+n2, ps.FramesOut, ps.Dropped, ps.Republished, ps.Reconnects, ss.FramesIn, ss.Dropped, ss.Reconnects)
		}
		time.Sleep(5 * time.Millisecond)
	}
	waitFor(t, "all acknowledged", 30*time.Second, func() bool { return gatewaytest.EndpointStatus(g, "pub").FramesOut == n1+n2 })
	ps, ss := gatewaytest.EndpointStatus(g, "pub"), gatewaytest.EndpointStatus(g, "sub")
	if len(ps.Dropped) != 0 || ps.Connects < 2 {
		t.Fatalf("publisher: dropped %v, connects %d", ps.Dropped, ps.Connects)
	}
	for _, f := range bus.Frames() {
		if i := index(&f); i >= n1+n2 || f.Type != frame.CAN || f.ID != all[i].ID || f.Data != all[i].Data {
			t.Fatalf("unknown frame on the bus: %s", f.String())
		}
	}
	if d := distinct(); d < n2 {
		t.Fatalf("%d distinct frames, want at least the %d sent after the reconnect", d, n2)
	}
	t.Logf("%s qos %d: killed at %d frames received; publisher republished %d messages, %d reconnects; subscriber: %d frames (%d distinct), %d gaps, %d reconnects",
		enc, qos, killedAt, ps.Republished, ps.Reconnects, bus.Len(), distinct(), ss.SeqGaps, ss.Reconnects)
}
