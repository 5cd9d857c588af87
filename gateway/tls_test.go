package gateway

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/cannelloni"
	"github.com/fieldgate/fieldgate/internal/certtest"
)

// TestTLSClientCerts: a TCP server with TLS admits only clients with a
// certificate from the configured CA; frames cross the TLS link between two
// gateways.
func TestTLSClientCerts(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := certtest.Write(t, dir, "ca", nil, nil)
	certtest.Write(t, dir, "server", ca, caKey)
	certtest.Write(t, dir, "client", ca, caKey)
	p, pin, pout := freePort(t, "tcp"), freePort(t, "tcp"), freePort(t, "tcp")
	a := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  in: {kind: tcp, listen: "127.0.0.1:%d"}
  link: {kind: tcp, listen: "127.0.0.1:%d", tls: {cert: %s/server.crt, key: %s/server.key, ca: %s/ca.crt}}
routes:
  - {name: up, from: [in], to: [link]}
`, pin, p, dir, dir, dir))
	b := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  link: {kind: tcp, mode: client, peer: "127.0.0.1:%d", reconnect: {min: 10ms, max: 100ms}, tls: {cert: %s/client.crt, key: %s/client.key, ca: %s/ca.crt, server_name: localhost}}
  out: {kind: tcp, listen: "127.0.0.1:%d"}
routes:
  - {name: down, from: [link], to: [out]}
`, p, dir, dir, dir, pout))
	waitPeers(t, a, "link", 1)
	// A client without a certificate is refused by the handshake.
	c, err := tls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", p), &tls.Config{InsecureSkipVerify: true})
	if err == nil {
		c.SetDeadline(time.Now().Add(2 * time.Second))
		io.WriteString(c, cannelloni.Handshake)
		_, err = io.ReadFull(c, make([]byte, 12))
		c.Close()
	}
	if err == nil {
		t.Fatal("client without certificate completed the handshake")
	}
	src := cannelloniClient(t, fmt.Sprintf("127.0.0.1:%d", pin))
	defer src.Close()
	dst := cannelloniClient(t, fmt.Sprintf("127.0.0.1:%d", pout))
	defer dst.Close()
	waitPeers(t, b, "out", 1)
	var buf []byte
	for i := range 500 {
		buf = cannelloni.AppendFrame(buf, &cannelloni.Frame{ID: uint32(i & 0x7FF), Len: 1, Data: [64]byte{byte(i)}})
	}
	src.Write(buf)
	got := make([]byte, len(buf))
	dst.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(dst, got); err != nil || string(got) != string(buf) {
		t.Fatalf("over TLS: %v", err)
	}
	if a.Status().endpointByName("link").Peers != 1 {
		t.Fatal("unauthenticated client counted as a peer")
	}
}

func (st Status) endpointByName(n string) EndpointStatus {
	for _, e := range st.Endpoints {
		if e.Name == n {
			return e
		}
	}
	return EndpointStatus{}
}

// TestMetricsAndMalformed: garbage datagrams are counted as malformed and
// /metrics exposes the counters.
func TestMetricsAndMalformed(t *testing.T) {
	pu := freePort(t, "udp")
	g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  link: {kind: udp, listen: "127.0.0.1:%d"}
  rec: {kind: log, path: %q}
routes:
  - {name: r, from: [link], to: [rec]}
`, pu, filepath.Join(t.TempDir(), "r.log")))
	c, _ := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", pu))
	defer c.Close()
	c.Write([]byte{1, 0, 0, 0, 1})                      // wrong version
	c.Write([]byte{2, 0, 0, 0, 2, 0, 0, 1, 0x23, 1, 7}) // count 2, one frame present
	c.Write([]byte{2, 0, 2, 0, 1, 0, 0, 1, 0x23, 9})    // classic length 9
	// Sequence number 1 counts as a gap once the reorder window (32
	// numbers) has passed it: empty datagrams 3..34.
	for seq := byte(3); seq <= 34; seq++ {
		c.Write([]byte{2, 0, seq, 0, 0})
	}
	waitFor(t, "malformed", func() bool {
		e := g.Status().endpointByName("link")
		return e.Dropped["malformed"] == 3 && e.SeqGaps == 1
	})
	if e := g.Status().endpointByName("link"); e.FramesIn != 1 || e.SeqGaps != 1 {
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
		`fieldgate_endpoint_dropped_frames_total{endpoint="link",reason="malformed"} 3`,
		`fieldgate_endpoint_frames_total{direction="in",endpoint="link",kind="udp"} 1`,
		`fieldgate_route_frames_total{direction="out",route="r"} 1`,
		`fieldgate_udp_sequence_gaps_total{endpoint="link"} 1`,
		`fieldgate_route_latency_seconds_count{route="r"} 1`,
		`fieldgate_route_offloaded{route="r"} 0`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	resp, err = srv.Client().Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("healthz %d", resp.StatusCode)
	}
}
