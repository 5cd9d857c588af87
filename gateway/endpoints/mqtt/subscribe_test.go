//go:build !hil

package mqtt_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway"
	"github.com/fieldgate/fieldgate/gateway/busmsg"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

// subscriber starts a gateway whose mqtt endpoint "sub" subscribes to
// in/# on b and routes to the test bus busName with routeExtra.
func subscriber(t *testing.T, b *broker, enc, busName, routeExtra, subExtra string) (*gateway.Gateway, *gatewaytest.Bus, func() map[string]uint64) {
	t.Helper()
	g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  sub: {kind: mqtt, url: %[1]q, client_id: sub-%[4]s, gateway: s, encoding: %[2]s, subscribe: ["in/#"] %[3]s}
  %[4]s: {kind: test-bus}
routes:
  - {name: r, from: [sub], to: [%[4]s] %[5]s}
`, b.url(), enc, subExtra, busName, routeExtra))
	waitConnected(t, g, "sub")
	return g, gatewaytest.BusOf(t, busName), func() map[string]uint64 {
		s := gatewaytest.EndpointStatus(g, "sub")
		m := map[string]uint64{"in": s.FramesIn, "gaps": s.SeqGaps}
		for k, v := range s.Dropped {
			m[k] = v
		}
		for _, r := range g.Status().Routes {
			if r.Name == "r" {
				for k, v := range r.Dropped {
					m["route_"+k] = v
				}
			}
		}
		return m
	}
}

// pyPub publishes hex payloads (argv[3:]) on topic argv[2] with
// python3-paho-mqtt at QoS 1 and waits for each acknowledgement.
const pyPub = `
import sys, paho.mqtt.client as mqtt
port, topic = int(sys.argv[1]), sys.argv[2]
c = mqtt.Client(client_id="pypub", clean_session=True)
c.connect("127.0.0.1", port)
c.loop_start()
for h in sys.argv[3:]:
    c.publish(topic, bytes.fromhex(h), qos=1).wait_for_publish()
c.disconnect()
c.loop_stop()
print("DONE")
`

func pyPublish(t *testing.T, b *broker, topic string, payloads ...[]byte) {
	t.Helper()
	args := []string{fmt.Sprint(b.port), topic}
	for _, p := range payloads {
		args = append(args, hex.EncodeToString(p))
	}
	if out := python(t, pyPub, args...); strings.TrimSpace(out) != "DONE" {
		t.Fatalf("python publisher: %q", out)
	}
}

// waitCounters waits until the counters st returns are want.
func waitCounters(t *testing.T, st func() map[string]uint64, want map[string]uint64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for fmt.Sprint(st()) != fmt.Sprint(want) {
		if time.Now().After(deadline) {
			t.Fatalf("counters %v, want %v", st(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestAllowApplies: frames from an mqtt subscription (messages sent by
// mosquitto_pub) reach a bus only through the route's allow list.
// Without allow nothing is written and every frame is counted
// not_allowed; with allow: ["123"] only 11-bit data frame 0x123 passes.
func TestAllowApplies(t *testing.T) {
	b := startMosquitto(t)
	objs := []string{
		`{"kind":"can","id":"123","data":"01"}`,
		`{"kind":"can","id":"00000123","ext":true,"data":"02"}`,
		`{"kind":"can","id":"123","rtr":true,"len":1}`,
		`{"kind":"can","id":"20000123","err":true,"data":"0000000000000000"}`,
		`{"kind":"can","id":"124","data":"03"}`,
		`{"kind":"can","id":"123","data":"04"}`,
	}
	t.Run("none", func(t *testing.T) {
		_, bus, st := subscriber(t, b, "json", "bus-noallow", "", "")
		pubLines(t, b, "in/x", objs...)
		waitFor(t, "frames counted", 30*time.Second, func() bool { return st()["in"] == uint64(len(objs)) })
		waitFor(t, "drops counted", 30*time.Second, func() bool { return st()["route_not_allowed"] == uint64(len(objs)) })
		time.Sleep(50 * time.Millisecond)
		if n := bus.Len(); n != 0 {
			t.Fatalf("%d frames written without allow", n)
		}
	})
	t.Run("123", func(t *testing.T) {
		_, bus, st := subscriber(t, b, "json", "bus-allow123", `, allow: ["123"]`, "")
		pubLines(t, b, "in/y", objs...)
		waitFor(t, "frames counted", 30*time.Second, func() bool { return st()["in"] == uint64(len(objs)) })
		waitFor(t, "two frames", 30*time.Second, func() bool { return bus.Len() == 2 })
		time.Sleep(50 * time.Millisecond)
		got := bus.Frames()
		if len(got) != 2 || got[0].String() != "123#01" || got[1].String() != "123#04" {
			t.Fatalf("written: %v", got)
		}
		if s := st(); s["route_not_allowed"] != 4 {
			t.Fatalf("counters %v", s)
		}
	})
}

// TestMalformedAndOversize: undecodable messages on a subscribed topic
// (from python3-paho-mqtt and mosquitto_pub) are counted malformed, one
// each, and change nothing on the bus; a message over max_message is
// counted oversize; liveness messages (…/status) are skipped; good
// messages around them arrive.
func TestMalformedAndOversize(t *testing.T) {
	b := startMosquitto(t)
	t.Run("binary", func(t *testing.T) {
		_, bus, st := subscriber(t, b, "binary", "bus-malformed-bin", ", allow: [any]", ", max_message: 2KiB")
		good := busmsg.BeginBinary(nil, 1, 5)
		f := frame.Frame{Type: frame.CAN, ID: 0x321, Len: 1}
		f.Data[0] = 0x42
		good, _ = busmsg.AppendBinary(good, &f)
		bad := [][]byte{
			{}, []byte("hello"), good[:len(good)-1], append(bytes.Clone(good), 0),
			func() []byte { b := bytes.Clone(good); b[0] = 9; return b }(),
			func() []byte { b := bytes.Clone(good); b[busmsg.BinaryHeaderLen+1] = 1; return b }(),
		}
		big := busmsg.BeginBinary(nil, 2, 5)
		for range 40 {
			g := frame.Frame{Type: frame.CANFD, ID: 0x100, Len: 64}
			big, _ = busmsg.AppendBinary(big, &g)
		}
		g2 := bytes.Clone(good)
		g2[9] = 2 // sequence 2: no gap after 1
		msgs := append(append([][]byte{good}, bad...), big, g2)
		pyPublish(t, b, "in/a/b/can/321", msgs...)
		pub(t, b, "-q", "1", "-t", "in/gw/status", "-m", "offline")
		want := map[string]uint64{"in": 2, "gaps": 0, "malformed": uint64(len(bad)), "oversize": 1}
		waitCounters(t, st, want)
		if got := bus.Frames(); len(got) != 2 || got[0].String() != "321#42" || got[1].String() != "321#42" {
			t.Fatalf("bus: %v", got)
		}
	})
	t.Run("json", func(t *testing.T) {
		_, bus, st := subscriber(t, b, "json", "bus-malformed-json", ", allow: [any]", "")
		pubLines(t, b, "in/b/c/can/1", `{"kind":"can","id":"1","data":"01","seq":1}`, `{"kind":"can","id":"800"}`, `not json`,
			`{"kind":"can","id":"1","data":"01","x":1}`, `{"kind":"can","id":"1","data":"02","seq":2}`)
		want := map[string]uint64{"in": 2, "gaps": 0, "malformed": 3}
		waitCounters(t, st, want)
		if got := bus.Frames(); len(got) != 2 || got[1].String() != "001#02" {
			t.Fatalf("bus: %v", got)
		}
	})
}

// TestSeqGaps: frames missing in a publisher's sequence (publisher: the
// topic up to <gateway>) are counted exactly once they have been missing
// for a while; late messages fill their holes, repeats count nothing;
// each publisher is followed on its own.
func TestSeqGaps(t *testing.T) {
	b := startMosquitto(t)
	_, _, st := subscriber(t, b, "binary", "bus-gaps", ", allow: [any]", "")
	msg := func(seq uint64, n int) []byte {
		b := busmsg.BeginBinary(nil, seq, 0)
		for range n {
			f := frame.Frame{Type: frame.CAN, ID: 1}
			b, _ = busmsg.AppendBinary(b, &f)
		}
		return b
	}
	// a: 1-3, 4-5, 10 (6-9 missing), 7 late (6, 8, 9 missing: 3), 10 again.
	pyPublish(t, b, "in/a/ep/can/001", msg(1, 3), msg(4, 2), msg(10, 1), msg(7, 1), msg(10, 1))
	// b: 100-104, 106 (105 missing: 1).
	pyPublish(t, b, "in/b/ep/can/001", msg(100, 5), msg(106, 1))
	// a, through another endpoint's topic: 13-14 (11, 12 missing: 2).
	pyPublish(t, b, "in/a/ep2/can/batch", msg(13, 2))
	waitFor(t, "frames", 30*time.Second, func() bool { return st()["in"] == 16 })
	waitFor(t, "gaps", 30*time.Second, func() bool { return st()["gaps"] >= 6 })
	time.Sleep(3 * time.Second) // nothing more expires
	if g := st()["gaps"]; g != 6 {
		t.Fatalf("gaps %d, want 6", g)
	}
}
