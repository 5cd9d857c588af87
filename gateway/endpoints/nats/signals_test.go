//go:build !hil

package nats_test

import (
	"fmt"
	"testing"
	"time"

	natsio "github.com/nats-io/nats.go"

	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

// TestSignalsEncoding: with encoding signals, each CAN message the DBC
// describes is one JSON message of decoded values with units, on the
// frame's subject; frames the DBC does not describe are counted
// unsupported.
func TestSignalsEncoding(t *testing.T) {
	port := gatewaytest.FreePort(t, "tcp")
	g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  sig0: {kind: test-source}
  pub: {kind: nats, gateway: gsig, encoding: signals, dbc: ../../busmsg/testdata/engine.dbc, server: {listen: "127.0.0.1:%d"}}
routes:
  - {name: r, from: [sig0], to: [pub]}
`, port))
	waitConnected(t, g, "pub")
	nc, err := natsio.Connect(fmt.Sprintf("nats://127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	sub, _ := nc.SubscribeSync("fieldgate.gsig.>")
	nc.Flush()
	fs := []frame.Frame{
		{Type: frame.CAN, ID: 0x123, Len: 8, Time: 7, Data: [frame.MaxData]byte{0xE8, 0x03, 0xF6, 0x01}},
		{Type: frame.CAN, ID: 0x124, Len: 1, Time: 8},
		{Type: frame.CANFD, ID: 0x123, Len: 8, Time: 9},
	}
	gatewaytest.Inject(t, "sig0", fs)
	m, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"time":7,"seq":1,"kind":"can","id":"123","message":"Engine","signals":{"Speed":{"value":100,"unit":"km/h"},"Temp":{"value":-50,"unit":"degC"},"Gear":{"value":1,"text":"Drive"}}}`
	if m.Subject != "fieldgate.gsig.sig0.can.123" || string(m.Data) != want || m.Header.Get("Fieldgate-Encoding") != "signals" {
		t.Fatalf("%s %s %v", m.Subject, m.Data, m.Header)
	}
	waitFor(t, "unsupported counted", 30*time.Second, func() bool { return gatewaytest.EndpointStatus(g, "pub").Dropped["unsupported"] == 2 })
	if _, err := sub.NextMsg(100 * time.Millisecond); err == nil {
		t.Fatal("a frame the DBC does not describe was published")
	}
}
