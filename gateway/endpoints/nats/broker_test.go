//go:build !hil

package nats_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/cli"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

// TestBrokerConnectionReported: /metrics, /status and `fieldgate status`
// show each broker connection — the server connected to (the embedded
// one, by its URL and name), its state and the round trip — and the
// state follows the connection: closed after the gateway stops.
func TestBrokerConnectionReported(t *testing.T) {
	port := gatewaytest.FreePort(t, "tcp")
	g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  brk-in: {kind: test-source}
  pub: {kind: nats, gateway: gb, server: {listen: "127.0.0.1:%d"}}
  sub: {kind: nats, gateway: gb2, url: "nats://u:secret@127.0.0.1:%d", subscribe: [x.>]}
  brk-bus: {kind: test-bus}
routes:
  - {name: r, from: [brk-in], to: [pub]}
  - {name: s, from: [sub], to: [brk-bus], allow: [any]}
`, port, port))
	waitConnected(t, g, "pub")
	waitConnected(t, g, "sub")
	waitFor(t, "round trips measured", 20*time.Second, func() bool {
		a, b := gatewaytest.EndpointStatus(g, "pub").Broker, gatewaytest.EndpointStatus(g, "sub").Broker
		return a != nil && a.RTT > 0 && b != nil && b.RTT > 0
	})
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	for _, name := range []string{"pub", "sub"} {
		b := gatewaytest.EndpointStatus(g, name).Broker
		if b.URL != url && name == "pub" || name == "sub" && b.URL != fmt.Sprintf("nats://u:xxxxx@127.0.0.1:%d", port) ||
			b.Server != "fieldgate-gb" || b.State != "connected" || b.RTT > 10*time.Second {
			t.Fatalf("%s: broker %+v", name, b)
		}
	}

	srv := httptest.NewServer(g.AdminHandler(nil))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := string(body)
	for _, re := range []string{
		fmt.Sprintf(`(?m)^fieldgate_broker_connection\{endpoint="pub",server="fieldgate-gb",state="connected",url="nats://127\.0\.0\.1:%d"\} 1$`, port),
		fmt.Sprintf(`(?m)^fieldgate_broker_connection\{endpoint="sub",server="fieldgate-gb",state="connected",url="nats://u:xxxxx@127\.0\.0\.1:%d"\} 1$`, port),
		`(?m)^fieldgate_broker_rtt_seconds\{endpoint="pub"\} [0-9.e-]+$`,
		`(?m)^fieldgate_broker_reconnects_total\{endpoint="sub"\} 0$`,
		`(?m)^fieldgate_broker_pending_acks\{endpoint="pub"\} 0$`,
	} {
		if !regexp.MustCompile(re).MatchString(m) {
			t.Errorf("/metrics lacks %s", re)
		}
	}
	if strings.Contains(m, "secret") {
		t.Error("/metrics shows the password")
	}

	st := g.Status()
	var out strings.Builder
	cli.PrintStatus(&out, &st, nil, 0)
	table := out.String()
	for _, re := range []string{
		`(?m)^BROKER +URL +SERVER +STATE +RECONNECTS +PENDING ACKS +REPUBLISHED +RTT$`,
		fmt.Sprintf(`(?m)^pub +nats://127\.0\.0\.1:%d +fieldgate-gb +connected \d+s +0 +0 +0 +[0-9.]+[µm]?s$`, port),
		fmt.Sprintf(`(?m)^sub +nats://u:xxxxx@127\.0\.0\.1:%d +fieldgate-gb +connected \d+s +0 +0 +0 +[0-9.]+[µm]?s$`, port),
	} {
		if !regexp.MustCompile(re).MatchString(table) {
			t.Errorf("fieldgate status lacks %s:\n%s", re, table)
		}
	}
	if strings.Contains(table, "secret") {
		t.Error("fieldgate status shows the password")
	}

	g.Shutdown()
	for _, name := range []string{"pub", "sub"} {
		if b := gatewaytest.EndpointStatus(g, name).Broker; b.State != "closed" {
			t.Errorf("%s after shutdown: %+v", name, b)
		}
	}
}
