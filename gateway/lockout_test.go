package gateway

import (
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRejectedConnectionsExposed: connections a server refuses or closes
// unserved, and the log lines held back about them, appear in /status and
// /metrics by reason.
func TestRejectedConnectionsExposed(t *testing.T) {
	p := freePort(t, "tcp")
	g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  link: {kind: tcp, listen: "127.0.0.1:%d", max_clients_per_peer: 1, handshake_timeout: 1s}
  rec: {kind: log, path: %q}
routes:
  - {name: r, from: [link], to: [rec]}
`, p, filepath.Join(t.TempDir(), "r.log")))
	addr := fmt.Sprintf("127.0.0.1:%d", p)
	silent, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	waitFor(t, "the slot taken", func() bool {
		// A second connection is refused while the first holds the
		// peer's only slot.
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return false
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(time.Second))
		_, err = io.ReadAll(c)
		return err == nil && g.Status().endpointByName("link").Rejected["max_clients_per_peer"] >= 1
	})
	waitFor(t, "the silent client timed out", func() bool {
		return g.Status().endpointByName("link").Rejected["handshake_timeout"] == 1
	})
	// Ten connections that send other bytes. The server counts a failed
	// handshake before it gives the peer's one slot back, so a dial right
	// after may still find the slot taken (counted max_clients_per_peer):
	// dial again until this connection's failure is counted.
	for i := range 10 {
		deadline := time.Now().Add(10 * time.Second)
		for g.Status().endpointByName("link").Rejected["handshake_failed"] < uint64(i+1) {
			if time.Now().After(deadline) {
				t.Fatalf("handshake %d never counted as failed", i+1)
			}
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(c, "not a handshake")
			c.SetReadDeadline(time.Now().Add(3 * time.Second))
			io.ReadAll(c)
			c.Close()
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor(t, "10 failed handshakes", func() bool {
		return g.Status().endpointByName("link").Rejected["handshake_failed"] == 10
	})
	e := g.Status().endpointByName("link")
	if e.LogSuppressed == 0 || e.Dropped["malformed"] != 11 {
		t.Fatalf("link %+v", e)
	}
	srv := httptest.NewServer(g.AdminHandler(func() error { return nil }))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`fieldgate_endpoint_connections_rejected_total{endpoint="link",reason="handshake_timeout"} 1`,
		`fieldgate_endpoint_connections_rejected_total{endpoint="link",reason="handshake_failed"} 10`,
		`fieldgate_endpoint_connections_rejected_total{endpoint="link",reason="max_clients"} 0`,
		fmt.Sprintf(`fieldgate_endpoint_log_lines_suppressed_total{endpoint="link"} %d`, e.LogSuppressed),
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(string(body), `fieldgate_endpoint_connections_rejected_total{endpoint="rec"`) {
		t.Error("a log endpoint reports connections")
	}
}
