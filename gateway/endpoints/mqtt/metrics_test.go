//go:build !hil

package mqtt_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

// TestMetricsShowBroker: /metrics (the admin handler) shows the broker connection of an mqtt
// endpoint: peers 1 while connected, 0 after the broker died, and the
// reconnect counted once it is back.
func TestMetricsShowBroker(t *testing.T) {
	b := startMosquitto(t)
	g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  src: {kind: test-source}
  pub: {kind: mqtt, url: %q, gateway: m, reconnect: {min: 50ms, max: 100ms}}
routes:
  - {name: r, from: [src], to: [pub]}
`, b.url()))
	waitConnected(t, g, "pub")
	srv := httptest.NewServer(g.AdminHandler(func() error { return nil }))
	defer srv.Close()
	metrics := func() string {
		resp, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	has := func(line string) func() bool {
		return func() bool { return strings.Contains(metrics(), "\n"+line+"\n") }
	}
	waitFor(t, "peers 1", 30*time.Second, has(`fieldgate_endpoint_peers{endpoint="pub"} 1`))
	waitFor(t, "reconnects 0", 30*time.Second, has(`fieldgate_broker_reconnects_total{endpoint="pub"} 0`))
	b.kill()
	waitFor(t, "peers 0", 30*time.Second, has(`fieldgate_endpoint_peers{endpoint="pub"} 0`))
	b.start()
	waitFor(t, "reconnected", 30*time.Second, func() bool {
		return has(`fieldgate_endpoint_peers{endpoint="pub"} 1`)() && has(`fieldgate_broker_reconnects_total{endpoint="pub"} 1`)()
	})
	if es := gatewaytest.EndpointStatus(g, "pub"); es.Connects != 2 || es.Reconnects != 1 {
		t.Fatalf("status: connects %d, reconnects %d", es.Connects, es.Reconnects)
	}
}
