package stream_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoints/socketcand"
	"github.com/fieldgate/fieldgate/gateway/endpoints/tcp"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/unix"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/vsock"
)

func parseEndpoints(eps string) (*config.Config, error) {
	return config.Parse("l.yaml", []byte(`
admin: {listen: ""}
endpoints:
`+eps+`
  rec: {kind: log, path: /tmp/l.log}
routes:
  - {name: r, from: [a], to: [rec]}
`))
}

// TestDecodeLimits: max_clients_per_peer and handshake_timeout are read
// for every stream kind and socketcand (0 when unset: the defaults apply
// at open), and refused with file:line when out of range, above
// max_clients, or on a client.
func TestDecodeLimits(t *testing.T) {
	c, err := parseEndpoints(`  a: {kind: tcp, listen: "127.0.0.1:1", max_clients: 8, max_clients_per_peer: 8, handshake_timeout: 250ms}
  b: {kind: socketcand, listen: "127.0.0.1:2", bus: vcan0, max_clients_per_peer: 2, handshake_timeout: 1m}
  d: {kind: tcp, listen: "127.0.0.1:3"}`)
	if err != nil {
		t.Fatal(err)
	}
	if a := c.Endpoint("a").Settings.(*tcp.Config); a.MaxClientsPerPeer != 8 || a.HandshakeTimeout != 250*time.Millisecond {
		t.Errorf("tcp: %+v", a.Config)
	}
	if b := c.Endpoint("b").Settings.(*socketcand.Config); b.MaxClientsPerPeer != 2 || b.HandshakeTimeout != time.Minute {
		t.Errorf("socketcand: %+v", b)
	}
	if d := c.Endpoint("d").Settings.(*tcp.Config); d.MaxClientsPerPeer != 0 || d.HandshakeTimeout != 0 {
		t.Errorf("defaults: %+v", d.Config)
	}
	for _, tc := range []struct{ eps, want string }{
		{`  a: {kind: tcp, listen: "127.0.0.1:1", max_clients: 4, max_clients_per_peer: 5}`,
			"l.yaml:4:79: endpoints.a.max_clients_per_peer: 5 is above max_clients (hint: at most max_clients (4))"},
		{`  a: {kind: unix, path: /tmp/x.sock, max_clients_per_peer: 0}`,
			"l.yaml:4:60: endpoints.a.max_clients_per_peer: value 0 out of range (hint: allowed range is 1..4096)"},
		{`  a: {kind: vsock, mode: client, cid: 2, port: 5, max_clients_per_peer: 2}`,
			"l.yaml:4:73: endpoints.a.max_clients_per_peer: a client has no clients to limit (hint: remove it, or use mode: server)"},
		{`  a: {kind: tcp, listen: "127.0.0.1:1", handshake_timeout: 10ms}`,
			"l.yaml:4:60: endpoints.a.handshake_timeout: duration 10ms out of range (hint: allowed range is 100ms..5m0s)"},
		{`  a: {kind: socketcand, bus: vcan0, max_clients: 2, max_clients_per_peer: 3}`,
			"l.yaml:4:75: endpoints.a.max_clients_per_peer: 3 is above max_clients"},
	} {
		_, err := parseEndpoints(tc.eps)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %s", tc.eps, err, tc.want)
		}
	}
}
