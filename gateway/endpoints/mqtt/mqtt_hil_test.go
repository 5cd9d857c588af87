//go:build hil

package mqtt_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
	"github.com/fieldgate/fieldgate/internal/peer"
)

// The rig's peers here are can-utils (cangen, candump) on vcan0 and
// vcan1 and Debian's mosquitto and mosquitto_pub; the gateways run in
// this process.

// TestHILMQTTBridge: vcan0 → gateway A (mqtt publisher, binary, QoS 1) →
// mosquitto → gateway B (mqtt subscriber) → vcan1. 400 cangen frames
// (11- and 29-bit) arrive on vcan1 byte-exact and in order, and every
// counter agrees: nothing dropped, no sequence gap.
func TestHILMQTTBridge(t *testing.T) {
	b := startMosquitto(t, "set_tcp_nodelay true")
	a := startRig(t, "a", fmt.Sprintf(`
endpoints:
  bus: {kind: can, interface: vcan0}
  fleet: {kind: mqtt, url: %q, gateway: benchA, queue: {size: 4096}}
routes:
  - {name: up, from: [bus], to: [fleet]}
`, b.url()))
	bg := startRig(t, "b", fmt.Sprintf(`
endpoints:
  fleet: {kind: mqtt, url: %q, gateway: benchB, subscribe: [fieldgate/benchA/#]}
  bus: {kind: can, interface: vcan1, queue: {size: 4096}}
routes:
  - {name: down, from: [fleet], to: [bus], allow: [any]}
`, b.url()))
	waitFor(t, "both connected", 30*time.Second, func() bool {
		return gatewaytest.EndpointStatus(a, "fleet").Peers == 1 && gatewaytest.EndpointStatus(bg, "fleet").Peers == 1
	})

	const n = 400
	in := peer.Start(t, "candump", "-L", "-n", strconv.Itoa(n), "vcan0")
	out := peer.Start(t, "candump", "-L", "-n", strconv.Itoa(n), "vcan1")
	time.Sleep(300 * time.Millisecond)
	peer.Run(t, "cangen", "vcan0", "-n", strconv.Itoa(n/2), "-g", "1")
	peer.Run(t, "cangen", "vcan0", "-n", strconv.Itoa(n/2), "-g", "1", "-e")
	sent, got := gatewaytest.CandumpFrames(t, in, n), gatewaytest.CandumpFrames(t, out, n)
	for i := range sent {
		if got[i] != sent[i] {
			t.Fatalf("frame %d: vcan1 got %s, cangen sent %s", i, got[i], sent[i])
		}
	}
	waitFor(t, "the counters", 30*time.Second, func() bool {
		return gatewaytest.EndpointStatus(bg, "bus").FramesOut == n && gatewaytest.EndpointStatus(a, "fleet").FramesOut == n
	})
	for _, g := range []*gateway.Gateway{a, bg} {
		for _, e := range g.Status().Endpoints {
			if len(e.Dropped) != 0 || e.SeqGaps != 0 {
				t.Errorf("endpoint %s: dropped %v, seq gaps %d", e.Name, e.Dropped, e.SeqGaps)
			}
		}
	}
	t.Logf("%d frames vcan0 → mosquitto → vcan1 byte-exact; last %s", n, sent[n-1])
}

// TestHILMQTTAllow: frames mosquitto_pub publishes on a subscribed topic
// reach vcan1 only through the route's allow list. Without allow,
// candump on vcan1 sees nothing and every frame is counted not_allowed;
// with allow: ["123"], only the 11-bit data frame 0x123 is written.
func TestHILMQTTAllow(t *testing.T) {
	b := startMosquitto(t)
	objs := []string{
		`{"kind":"can","id":"123","data":"01"}`,
		`{"kind":"can","id":"00000123","ext":true,"data":"02"}`,
		`{"kind":"can","id":"123","rtr":true,"len":1}`,
		`{"kind":"can","id":"20000004","err":true,"data":"0000080000000000"}`,
		`{"kind":"can","id":"7DF","data":"0201"}`,
		`{"kind":"can","id":"123","data":"04"}`,
	}
	for _, tc := range []struct {
		name, allow string
		want        []string
	}{
		{"none", "", nil},
		{"123", `, allow: ["123"]`, []string{"123#01", "123#04"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := startRig(t, "allow-"+tc.name, fmt.Sprintf(`
endpoints:
  ctl: {kind: mqtt, url: %q, client_id: allow-%s, gateway: s, encoding: json, subscribe: [control/#]}
  bus: {kind: can, interface: vcan1}
routes:
  - {name: control, from: [ctl], to: [bus] %s}
`, b.url(), tc.name, tc.allow))
			waitFor(t, "connected", 30*time.Second, func() bool { return gatewaytest.EndpointStatus(g, "ctl").Peers == 1 })
			dump := peer.Start(t, "candump", "-L", "vcan1")
			time.Sleep(300 * time.Millisecond)
			pubLines(t, b, "control/bench", objs...)
			waitFor(t, "frames received", 30*time.Second, func() bool { return gatewaytest.EndpointStatus(g, "ctl").FramesIn == uint64(len(objs)) })
			time.Sleep(time.Second) // anything written shows up in candump by now
			var got []string
			for {
				l, ok := dump.Next(t, 10*time.Millisecond)
				if !ok {
					break
				}
				if f := strings.Fields(l); len(f) == 3 {
					got = append(got, f[2])
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("vcan1 got %q, want %q", got, tc.want)
			}
			var notAllowed uint64
			for _, r := range g.Status().Routes {
				notAllowed = r.Dropped["not_allowed"]
			}
			if want := uint64(len(objs) - len(tc.want)); notAllowed != want {
				t.Fatalf("not_allowed %d, want %d", notAllowed, want)
			}
		})
	}
}

// startRig starts a gateway of yaml in this process, with its log shown if
// the test fails.
func startRig(t *testing.T, name, yaml string) *gateway.Gateway {
	t.Helper()
	return gatewaytest.Start(t, name, yaml).Gateway
}
