//go:build hil

package nats_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	natsio "github.com/nats-io/nats.go"

	"github.com/fieldgate/fieldgate/gateway"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
	"github.com/fieldgate/fieldgate/internal/peer"
)

// The rig's peers here are can-utils (cangen, candump, cansend) on vcan0
// and vcan1; the gateways run in this process, the NATS server embedded
// in gateway A.

// TestHILNATSBridge: vcan0 → gateway A (nats publisher, embedded server)
// → gateway B (nats subscriber, a client of A's server) → vcan1, binary
// encoding. 500 cangen frames (11- and 29-bit) arrive on vcan1 byte-exact
// and in order, and every counter agrees: nothing dropped, no sequence gap.
func TestHILNATSBridge(t *testing.T) {
	port := gatewaytest.FreePort(t, "tcp")
	a := startRig(t, "a", fmt.Sprintf(`
endpoints:
  bus: {kind: can, interface: vcan0}
  fleet: {kind: nats, gateway: benchA, server: {listen: "127.0.0.1:%d"}, queue: {size: 4096}}
routes:
  - {name: up, from: [bus], to: [fleet]}
`, port))
	b := startRig(t, "b", fmt.Sprintf(`
endpoints:
  fleet: {kind: nats, gateway: benchB, url: "nats://127.0.0.1:%d", subscribe: [fieldgate.benchA.>]}
  bus: {kind: can, interface: vcan1, queue: {size: 4096}}
routes:
  - {name: down, from: [fleet], to: [bus], allow: [any]}
`, port))
	ep := func(g *gateway.Gateway, name string) gateway.EndpointStatus {
		return gatewaytest.EndpointStatus(g, name)
	}
	waitFor(t, "both connected", 30*time.Second, func() bool { return ep(a, "fleet").Peers == 1 && ep(b, "fleet").Peers == 1 })
	waitSubscribed(t, b, "fleet")

	const n = 500
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
	if ext := sent[n-1]; len(strings.SplitN(ext, "#", 2)[0]) != 8 {
		t.Errorf("cangen -e sent %s, not a 29-bit frame", ext)
	}
	waitFor(t, "the counters", 30*time.Second, func() bool { return ep(b, "bus").FramesOut == n })
	ai, ao, bi, bo := ep(a, "bus").FramesIn, ep(a, "fleet").FramesOut, ep(b, "fleet").FramesIn, ep(b, "bus").FramesOut
	if ai != n || ao != n || bi != n || bo != n {
		t.Errorf("frames: A bus in %d, A nats out %d, B nats in %d, B bus out %d; want %d each", ai, ao, bi, bo, n)
	}
	for _, g := range []*gateway.Gateway{a, b} {
		for _, e := range g.Status().Endpoints {
			if len(e.Dropped) != 0 || e.SeqGaps != 0 {
				t.Errorf("endpoint %s: dropped %v, seq gaps %d", e.Name, e.Dropped, e.SeqGaps)
			}
		}
	}
	t.Logf("%d frames vcan0 → NATS (embedded) → vcan1 byte-exact; last %s", n, sent[n-1])
}

// TestHILNATSAllow: frames a NATS client publishes on a subscribed
// subject reach vcan1 only through the route's allow list. Without allow,
// candump on vcan1 sees nothing and every frame is counted not_allowed;
// with allow: ["123"], only the 11-bit data frame 0x123 is written (not
// its 29-bit namesake, a remote request or an error frame).
func TestHILNATSAllow(t *testing.T) {
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
			port := gatewaytest.FreePort(t, "tcp")
			g := startRig(t, "allow-"+tc.name, fmt.Sprintf(`
endpoints:
  srv: {kind: nats, gateway: s, server: {listen: "127.0.0.1:%d"}}
  ctl: {kind: nats, gateway: s, url: "nats://127.0.0.1:%d", encoding: json, subscribe: [control.>]}
  bus: {kind: can, interface: vcan1}
routes:
  - {name: control, from: [ctl], to: [bus] %s}
`, port, port, tc.allow))
			waitFor(t, "connected", 30*time.Second, func() bool { return gatewaytest.EndpointStatus(g, "ctl").Peers == 1 })
			nc, err := natsio.Connect(fmt.Sprintf("nats://127.0.0.1:%d", port))
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			time.Sleep(200 * time.Millisecond)
			dump := peer.Start(t, "candump", "-L", "vcan1")
			time.Sleep(300 * time.Millisecond)
			for _, o := range objs {
				if err := nc.Publish("control.bench", []byte(o)); err != nil {
					t.Fatal(err)
				}
			}
			nc.Flush()
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
