//go:build !hil

package mqtt_test

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	natsio "github.com/nats-io/nats.go"

	"github.com/fieldgate/fieldgate/gateway/busmsg"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

// TestEmbeddedNATSMQTT: the nats kind's embedded server with its MQTT
// listener switched on (server.mqtt_listen) serves both protocols. An
// mqtt endpoint publishes frames to it at QoS 1 (binary and json); a
// second mqtt endpoint subscribed through it writes them to a bus, byte
// for byte and in order, and a nats.go client sees the same payloads on
// the NATS subjects (topic a/b/c is subject a.b.c). The retained online
// message is kept by the server too.
func TestEmbeddedNATSMQTT(t *testing.T) {
	for _, enc := range []string{"binary", "json"} {
		t.Run(enc, func(t *testing.T) { embeddedNATSMQTT(t, enc) })
	}
}

func embeddedNATSMQTT(t *testing.T, enc string) {
	natsPort, mqttPort := gatewaytest.FreePort(t, "tcp"), gatewaytest.FreePort(t, "tcp")
	g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  hub: {kind: nats, gateway: hub, server: {listen: "127.0.0.1:%[1]d", store_dir: %[3]q, mqtt_listen: "127.0.0.1:%[2]d"}}
  src-%[4]s: {kind: test-source}
  pub: {kind: mqtt, url: "tcp://127.0.0.1:%[2]d", client_id: nm-pub-%[4]s, gateway: gw, encoding: %[4]s, qos: 1, queue: {size: 65536}}
  sub: {kind: mqtt, url: "tcp://127.0.0.1:%[2]d", client_id: nm-sub-%[4]s, gateway: s, encoding: %[4]s, qos: 1, subscribe: ["fieldgate/gw/#"]}
  bus-nm-%[4]s: {kind: test-bus, queue: {size: 65536}}
routes:
  - {name: out, from: [src-%[4]s], to: [pub]}
  - {name: in, from: [sub], to: [bus-nm-%[4]s], allow: [any]}
`, natsPort, mqttPort, t.TempDir(), enc))
	waitConnected(t, g, "pub")
	waitConnected(t, g, "sub")
	nc, err := natsio.Connect(fmt.Sprintf("nats://127.0.0.1:%d", natsPort))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ns, err := nc.SubscribeSync("fieldgate.gw.src-" + enc + ".>")
	if err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	want := testFrames(600)
	gatewaytest.Inject(t, "src-"+enc, want)
	bus := gatewaytest.BusOf(t, "bus-nm-"+enc)
	waitFor(t, "600 frames on the bus", 30*time.Second, func() bool { return bus.Len() >= len(want) })
	sameFrames(t, bus.Frames(), want)
	// The same messages on NATS subjects.
	var got []frame.Frame
	for len(got) < len(want) {
		m, err := ns.NextMsg(20 * time.Second)
		if err != nil {
			t.Fatalf("nats.go subscriber after %d frames: %v", len(got), err)
		}
		w := &want[len(got)]
		base := "fieldgate.gw.src-" + enc + "." + busmsg.KindToken(w.Type) + "."
		if m.Subject != base+string(busmsg.AppendID(nil, w)) && m.Subject != base+busmsg.BatchToken {
			t.Fatalf("subject %s, want %s<ID> or batch", m.Subject, base)
		}
		if enc == "json" {
			var f frame.Frame
			if _, err := busmsg.ParseJSON(m.Data, &f); err != nil {
				t.Fatal(err)
			}
			got = append(got, f)
			continue
		}
		bm, err := busmsg.ParseBinary(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		for {
			var f frame.Frame
			if !bm.Next(&f) {
				break
			}
			got = append(got, f)
		}
	}
	sameFrames(t, got, want)
	waitFor(t, "all acknowledged", 30*time.Second, func() bool { return gatewaytest.EndpointStatus(g, "pub").FramesOut == 600 })
	if ps, ss := gatewaytest.EndpointStatus(g, "pub"), gatewaytest.EndpointStatus(g, "sub"); len(ps.Dropped) != 0 || len(ss.Dropped) != 0 || ss.SeqGaps != 0 {
		t.Fatalf("pub dropped %v; sub dropped %v, gaps %d", ps.Dropped, ss.Dropped, ss.SeqGaps)
	}
	// The retained online message, for a subscriber that comes later
	// (mosquitto_sub, against the NATS server).
	out, err := exec.Command("mosquitto_sub", "-h", "127.0.0.1", "-p", fmt.Sprint(mqttPort), "-q", "1", "-t", "fieldgate/gw/status", "-C", "1", "-W", "20").Output()
	if err != nil || strings.TrimSpace(string(out)) != "online" {
		t.Fatalf("retained status %q (%v), want online", out, err)
	}
}
