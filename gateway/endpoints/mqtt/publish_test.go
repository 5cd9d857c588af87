//go:build !hil

package mqtt_test

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/busmsg"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

// waitSubReady publishes markers on ready/<tag> until mosquitto_sub s
// (subscribed to it too) shows one: then its subscriptions are in place.
func waitSubReady(t *testing.T, b *broker, s *mosqSub, tag string) {
	t.Helper()
	waitFor(t, "mosquitto_sub subscribed", 30*time.Second, func() bool {
		pub(t, b, "-t", "ready/"+tag, "-m", "x")
		time.Sleep(50 * time.Millisecond)
		return strings.Contains(s.out.String(), "ready/"+tag)
	})
}

// linesUnder returns the lines of s whose topic starts with prefix.
func linesUnder(s *mosqSub, prefix string) []string {
	var out []string
	for _, l := range s.out.lines() {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// TestMosquittoJSON: frames of every type published in the json
// encoding reach mosquitto_sub on <prefix>/<gateway>/<endpoint>/<kind>/<ID>,
// in order, byte for byte, with consecutive sequence numbers; the
// gateway's retained online message is on <prefix>/<gateway>/status.
func TestMosquittoJSON(t *testing.T) {
	b := startMosquitto(t)
	s := startSub(t, b, "-v", "-q", "1", "-t", "fleet/eu/gw1/#", "-t", "ready/json")
	waitSubReady(t, b, s, "json")
	g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  bus0: {kind: test-source}
  pub: {kind: mqtt, url: %q, gateway: gw1, prefix: fleet/eu, encoding: json, qos: 1, queue: {size: 65536}}
routes:
  - {name: r, from: [bus0], to: [pub]}
`, b.url()))
	waitConnected(t, g, "pub")
	want := testFrames(300)
	gatewaytest.Inject(t, "bus0", want)
	waitFor(t, "300 frames at mosquitto_sub", 30*time.Second, func() bool { return len(linesUnder(s, "fleet/eu/gw1/bus0/")) >= 300 })
	var got []frame.Frame
	for i, l := range linesUnder(s, "fleet/eu/gw1/bus0/") {
		topic, payload, _ := strings.Cut(l, " ")
		var f frame.Frame
		info, err := busmsg.ParseJSON([]byte(payload), &f)
		if err != nil {
			t.Fatalf("line %d %q: %v", i, l, err)
		}
		if !info.HasSeq || info.Seq != uint64(i+1) {
			t.Fatalf("line %d: seq %d (has %v), want %d", i, info.Seq, info.HasSeq, i+1)
		}
		wantTopic := "fleet/eu/gw1/bus0/" + busmsg.KindToken(want[i].Type) + "/" + string(busmsg.AppendID(nil, &want[i]))
		if topic != wantTopic {
			t.Fatalf("line %d: topic %s, want %s", i, topic, wantTopic)
		}
		got = append(got, f)
	}
	sameFrames(t, got, want)
	if st := linesUnder(s, "fleet/eu/gw1/status"); len(st) != 1 || st[0] != "fleet/eu/gw1/status online" {
		t.Fatalf("status lines %q, want one online", st)
	}
	waitFor(t, "300 frames counted out", 30*time.Second, func() bool { return gatewaytest.EndpointStatus(g, "pub").FramesOut >= 300 })
	es := gatewaytest.EndpointStatus(g, "pub")
	if es.FramesOut != 300 || len(es.Dropped) != 0 || es.Connects != 1 || es.Peers != 1 {
		t.Fatalf("pub: out %d, dropped %v, connects %d, peers %d; want 300, none, 1, 1", es.FramesOut, es.Dropped, es.Connects, es.Peers)
	}
}

// pySub is a python3-paho-mqtt subscriber that prints READY once
// subscribed and then "topic hexpayload" per message.
const pySub = `
import sys, paho.mqtt.client as mqtt
port, topic = int(sys.argv[1]), sys.argv[2]
def on_connect(c, u, f, rc):
    c.subscribe(topic, qos=1)
def on_subscribe(c, u, mid, q):
    print("READY", flush=True)
def on_message(c, u, m):
    print(m.topic, m.payload.hex(), flush=True)
c = mqtt.Client(client_id="pysub", clean_session=True)
c.on_connect, c.on_subscribe, c.on_message = on_connect, on_subscribe, on_message
c.connect("127.0.0.1", port)
c.loop_forever()
`

// startPySub runs pySub on topic and returns its output lines as they come.
func startPySub(t *testing.T, b *broker, topic string) <-chan string {
	t.Helper()
	cmd := exec.Command("/usr/bin/python3", "-c", pySub, fmt.Sprint(b.port), topic)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1<<16)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	select {
	case l := <-lines:
		if l != "READY" {
			t.Fatalf("python subscriber: %q", l)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("python subscriber not ready")
	}
	return lines
}

// TestMosquittoBinaryPython: frames published in the binary encoding at
// QoS 0 reach a python3-paho-mqtt subscriber, batched (several frames a
// message), on <...>/<kind>/<ID> or <...>/<kind>/batch, and decode to
// the frames sent, in order.
func TestMosquittoBinaryPython(t *testing.T) {
	b := startMosquitto(t)
	lines := startPySub(t, b, "fieldgate/gw2/+/+/+")
	g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  bus0: {kind: test-source}
  pub: {kind: mqtt, url: %q, gateway: gw2, encoding: binary, qos: 0, queue: {size: 65536}}
routes:
  - {name: r, from: [bus0], to: [pub]}
`, b.url()))
	waitConnected(t, g, "pub")
	want := testFrames(2000)
	gatewaytest.Inject(t, "bus0", want)
	var got []frame.Frame
	msgs := 0
	deadline := time.After(30 * time.Second)
	for len(got) < len(want) {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("python subscriber ended")
			}
			topic, hx, _ := strings.Cut(l, " ")
			data, err := hex.DecodeString(hx)
			if err != nil {
				t.Fatal(err)
			}
			m, err := busmsg.ParseBinary(data)
			if err != nil {
				t.Fatalf("message %d on %s: %v", msgs, topic, err)
			}
			if m.Seq != uint64(len(got)+1) {
				t.Fatalf("message %d: seq %d, want %d", msgs, m.Seq, len(got)+1)
			}
			first := len(got)
			for {
				var f frame.Frame
				if !m.Next(&f) {
					break
				}
				got = append(got, f)
			}
			w := &want[first]
			base := "fieldgate/gw2/bus0/" + busmsg.KindToken(w.Type) + "/"
			if topic != base+string(busmsg.AppendID(nil, w)) && topic != base+busmsg.BatchToken {
				t.Fatalf("message %d: topic %s, want %s<ID> or batch (first %d: %s, frames %d)", msgs, topic, base, first, w.String(), m.N)
			}
			msgs++
		case <-deadline:
			t.Fatalf("%d of %d frames after 30 s", len(got), len(want))
		}
	}
	sameFrames(t, got, want)
	if msgs >= len(want) {
		t.Fatalf("%d messages for %d frames: not batched", msgs, len(want))
	}
	waitFor(t, "2000 frames counted out", 30*time.Second, func() bool { return gatewaytest.EndpointStatus(g, "pub").FramesOut >= 2000 })
	if es := gatewaytest.EndpointStatus(g, "pub"); es.FramesOut != 2000 || len(es.Dropped) != 0 {
		t.Fatalf("pub: out %d, dropped %v", es.FramesOut, es.Dropped)
	}
}

// TestSignalsRetained: with the signals encoding and retain, the broker
// keeps each CAN message's last decoded values: a mosquitto_sub started
// after the frames were published gets, per message topic, the last
// frame's signals with their units and value descriptions. A frame the
// DBC does not describe is counted unsupported.
func TestSignalsRetained(t *testing.T) {
	b := startMosquitto(t)
	g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  bus: {kind: test-source}
  sig: {kind: mqtt, url: %q, gateway: sig, encoding: signals, dbc: testdata/demo.dbc, retain: true}
routes:
  - {name: r, from: [bus], to: [sig]}
`, b.url()))
	waitConnected(t, g, "sig")
	engine := func(rpm4 uint16, gear byte) frame.Frame {
		f := frame.Frame{Type: frame.CAN, ID: 0x123, Len: 8}
		f.Data[0], f.Data[1], f.Data[2], f.Data[3] = byte(rpm4), byte(rpm4>>8), 130, gear
		return f
	}
	vehicle := frame.Frame{Type: frame.CAN, ID: 0x321, Len: 8}
	vehicle.Data[0], vehicle.Data[1] = 0x10, 0x27 // 100.00 km/h
	unknown := frame.Frame{Type: frame.CAN, ID: 0x7FF, Len: 1}
	gatewaytest.Inject(t, "bus", []frame.Frame{engine(1000, 1), vehicle, unknown, engine(3250, 3)})
	waitFor(t, "published", 30*time.Second, func() bool {
		es := gatewaytest.EndpointStatus(g, "sig")
		return es.FramesOut == 3 && es.Dropped["unsupported"] == 1
	})
	out, err := exec.Command("mosquitto_sub", "-h", "127.0.0.1", "-p", fmt.Sprint(b.port), "-v", "-t", "fieldgate/sig/bus/can/+", "-C", "2", "-W", "20").Output()
	if err != nil {
		t.Fatalf("mosquitto_sub: %v: %s", err, out)
	}
	got := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		topic, payload, _ := strings.Cut(l, " ")
		got[topic] = payload
	}
	e := got["fieldgate/sig/bus/can/123"]
	for _, w := range []string{`"message":"Engine"`, `"EngineSpeed":{"value":812.5,"unit":"rpm"}`, `"Gear":{"value":3,"text":"Drive"}`, `"CoolantTemp":{"value":90,"unit":"degC"}`, `"seq":3`} {
		if !strings.Contains(e, w) {
			t.Errorf("retained Engine %s: no %s", e, w)
		}
	}
	if v := got["fieldgate/sig/bus/can/321"]; !strings.Contains(v, `"VehicleSpeed":{"value":100,"unit":"km/h"}`) {
		t.Errorf("retained Vehicle %s", v)
	}
}
