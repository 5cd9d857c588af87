//go:build !hil

package nats_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

// TestRoundTrip: frames of every type go from gateway A (embedded
// server) to gateway B (a client of A's server, subscribed to A's
// subjects) and onto a bus, byte for byte, in order, with nothing lost
// or counted missing; for each encoding that carries frames.
func TestRoundTrip(t *testing.T) {
	for _, enc := range []string{"binary", "json"} {
		t.Run(enc, func(t *testing.T) {
			port := gatewaytest.FreePort(t, "tcp")
			a := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  in-%[1]s: {kind: test-source}
  pub: {kind: nats, gateway: ga, encoding: %[1]s, server: {listen: "127.0.0.1:%[2]d"}, queue: {size: 16384}}
routes:
  - {name: r, from: [in-%[1]s], to: [pub]}
`, enc, port))
			b := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  sub: {kind: nats, gateway: gb, url: "nats://127.0.0.1:%[2]d", encoding: %[1]s, subscribe: [fieldgate.ga.>]}
  bus-%[1]s: {kind: test-bus, queue: {size: 16384}}
routes:
  - {name: r, from: [sub], to: [bus-%[1]s], allow: [any]}
`, enc, port))
			waitConnected(t, a, "pub")
			waitSubscribed(t, b, "sub")
			want := testFrames(10000)
			gatewaytest.Inject(t, "in-"+enc, want)
			bus := gatewaytest.BusOf(t, "bus-"+enc)
			waitFor(t, "frames on the bus", 20*time.Second, func() bool { return bus.Len() >= len(want) })
			time.Sleep(20 * time.Millisecond)
			sameFrames(t, bus.Frames(), want)
			pa, sb := gatewaytest.EndpointStatus(a, "pub"), gatewaytest.EndpointStatus(b, "sub")
			if pa.FramesOut != uint64(len(want)) || len(pa.Dropped) != 0 {
				t.Errorf("publisher: %+v", pa)
			}
			if sb.FramesIn != uint64(len(want)) || len(sb.Dropped) != 0 || sb.SeqGaps != 0 {
				t.Errorf("subscriber: %+v", sb)
			}
		})
	}
}
