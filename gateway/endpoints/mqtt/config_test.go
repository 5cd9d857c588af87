//go:build !hil

package mqtt_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoints/mqtt"
)

func parse(t *testing.T, ep string) (*config.Config, error) {
	t.Helper()
	return config.Parse("testdata/t.yaml", []byte("admin: {listen: \"\"}\nendpoints:\n  src: {kind: test-source}\n  a: "+ep+"\nroutes:\n  - {name: r, from: [src], to: [a]}\n"))
}

func TestDecode(t *testing.T) {
	c, err := parse(t, `{kind: mqtt, url: "tcp://broker:1883", gateway: b1}`)
	if err != nil {
		t.Fatal(err)
	}
	got := c.Endpoint("a").Settings.(*mqtt.Config)
	want := &mqtt.Config{URL: "tcp://broker:1883", Prefix: "fieldgate", Gateway: "b1", Encoding: "binary", QoS: 1,
		MaxMessage: 256 << 10, Liveness: true, KeepAlive: 30 * time.Second,
		Reconnect: config.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("\n got %+v\nwant %+v", got, want)
	}
	if tr := got.Traits(); tr.Trust != config.TrustRemote || tr.Reads() || !tr.Writes() {
		t.Errorf("publisher traits %+v", tr)
	}
	if s := got.StatusTopic(); s != "fieldgate/b1/status" {
		t.Errorf("status topic %s", s)
	}

	c, err = parse(t, `{kind: mqtt, url: "mqtts://broker:8883", client_id: x1, prefix: fleet/eu, gateway: bench-1, encoding: signals, dbc: demo.dbc,
	   qos: 0, retain: true, max_message: 64KiB, liveness: false, keepalive: 5s, credentials: {user: u, password: p}, reconnect: {min: 1s, max: 10s}}`)
	if err != nil {
		t.Fatal(err)
	}
	got = c.Endpoint("a").Settings.(*mqtt.Config)
	if got.URL != "mqtts://broker:8883" || got.ClientID != "x1" || got.Prefix != "fleet/eu" || got.DB == nil || got.QoS != 0 || !got.Retain ||
		got.MaxMessage != 64<<10 || got.Liveness || got.KeepAlive != 5*time.Second || got.Credentials != (mqtt.Credentials{User: "u", Password: "p"}) ||
		got.Reconnect.Min != time.Second || got.StatusTopic() != "fleet/eu/bench-1/status" {
		t.Errorf("%+v", got)
	}
	c, err = parse(t, `{kind: mqtt, url: "tcp://broker:1883", subscribe: ["fieldgate/+/bus/can/#", "a/b"]}`)
	if err != nil {
		t.Fatal(err)
	}
	if tr := c.Endpoint("a").Settings.Traits(); !tr.Reads() || !tr.Writes() || tr.Trust != config.TrustRemote {
		t.Errorf("subscriber traits %+v", tr)
	}
}

// TestRefused: each bad setting is refused with its position and field.
func TestRefused(t *testing.T) {
	for _, c := range []struct{ ep, want string }{
		{`{kind: mqtt}`, "endpoints.a.url: missing field"},
		{`{kind: mqtt, url: "http://x:1"}`, "scheme must be tcp"},
		{`{kind: mqtt, url: "tcp://x"}`, "want scheme://host:port"},
		{`{kind: mqtt, url: "tcp://x:1", prefix: "a//b"}`, "endpoints.a.prefix"},
		{`{kind: mqtt, url: "tcp://x:1", prefix: "a/#"}`, "endpoints.a.prefix"},
		{`{kind: mqtt, url: "tcp://x:1", gateway: "a/b"}`, "endpoints.a.gateway"},
		{`{kind: mqtt, url: "tcp://x:1", qos: 2}`, "endpoints.a.qos"},
		{`{kind: mqtt, url: "tcp://x:1", retain: true}`, "retain applies to the signals encoding only"},
		{`{kind: mqtt, url: "tcp://x:1", encoding: signals}`, "endpoints.a.dbc: missing field"},
		{`{kind: mqtt, url: "tcp://x:1", dbc: demo.dbc}`, "dbc applies to the signals encoding only"},
		{`{kind: mqtt, url: "tcp://x:1", encoding: signals, dbc: bad.dbc}`, "bad.dbc:5"},
		{`{kind: mqtt, url: "tcp://x:1", encoding: signals, dbc: demo.dbc, subscribe: [a/#]}`, "the signals encoding is publish only"},
		{`{kind: mqtt, url: "tcp://x:1", subscribe: ["a/#/b"]}`, "'#' must be the last level"},
		{`{kind: mqtt, url: "tcp://x:1", subscribe: ["a/b+"]}`, "is not allowed"},
		{`{kind: mqtt, url: "tcp://x:1", subscribe: [""]}`, "endpoints.a.subscribe"},
		{`{kind: mqtt, url: "tcp://x:1", max_message: 100}`, "max_message 100 out of range"},
		{`{kind: mqtt, url: "tcp://x:1", keepalive: 0s}`, "endpoints.a.keepalive"},
		{`{kind: mqtt, url: "tcp://x:1", tls: {ca: /x}}`, "use ssl://host:8883 with tls"},
		{`{kind: mqtt, url: "tcp://x:1", credentials: {password: p}}`, "endpoints.a.credentials.user: missing field"},
		{`{kind: mqtt, url: "tcp://x:1", nope: 1}`, "nope"},
	} {
		_, err := parse(t, c.ep)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.ep, err, c.want)
		} else if !strings.Contains(err.Error(), "testdata/t.yaml:") {
			t.Errorf("%s: %v: no file:line", c.ep, err)
		}
	}
}

// TestNATSMQTTListenNeedsJetStream: the nats kind's server.mqtt_listen
// is refused without a store directory (MQTT needs JetStream).
func TestNATSMQTTListenNeedsJetStream(t *testing.T) {
	_, err := parse(t, `{kind: nats, server: {listen: "127.0.0.1:0", mqtt_listen: "127.0.0.1:0"}}`)
	if err == nil || !strings.Contains(err.Error(), "endpoints.a.server.mqtt_listen") || !strings.Contains(err.Error(), "store_dir") {
		t.Fatalf("%v", err)
	}
}

func TestFields(t *testing.T) {
	k, _ := config.LookupKind("mqtt")
	var names []string
	for _, f := range k.Fields {
		names = append(names, f.Name)
	}
	want := []string{"url", "client_id", "prefix", "gateway", "encoding", "dbc", "qos", "retain", "subscribe", "max_message", "liveness", "keepalive", "tls", "credentials", "reconnect"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("fields %v", names)
	}
}
