package tcp_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/logfile"
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
	"github.com/fieldgate/fieldgate/gateway/endpoints/tcp"
)

// TestDecode decodes a server with every field, a client and a server with
// only the required ones, and checks the settings and what they declare.
func TestDecode(t *testing.T) {
	c, err := config.Parse("tcp.yaml", []byte(`
admin: {listen: ""}
endpoints:
  srv:
    kind: tcp
    listen: "[::ffff:10.0.0.1]:20000"
    max_clients: 3
    allow_peers: [10.0.0.0/8, 192.168.1.2]
    pdus: true
    tls: {cert: /s.crt, key: /s.key, ca: /ca.crt}
  cli: {kind: tcp, mode: client, peer: "gw.example:20001", reconnect: {min: 10ms, max: 1s}, tls: {ca: /ca.crt, server_name: gw}}
  plain: {kind: tcp, listen: "127.0.0.1:20002"}
  rec: {kind: log, path: /tmp/tcp.log}
routes:
  - {name: r, from: [srv, cli, plain], to: [rec]}
`))
	if err != nil {
		t.Fatal(err)
	}
	srv := c.Endpoint("srv").Settings.(*tcp.Config)
	if srv.TLS == nil || srv.TLS.Pos.Line != 10 {
		t.Errorf("tls: %+v", srv.TLS)
	} else {
		srv.TLS.Pos = config.Pos{}
	}
	want := &tcp.Config{Config: stream.Config{Role: config.Server, MaxClients: 3, PDUs: true,
		AllowPeers: []string{"10.0.0.0/8", "192.168.1.2"}, Reconnect: config.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second},
		TLS: &config.TLS{Cert: "/s.crt", Key: "/s.key", CA: "/ca.crt"}}, Listen: "[::ffff:10.0.0.1]:20000"}
	if !reflect.DeepEqual(srv, want) {
		t.Errorf("server:\n got %+v\nwant %+v", srv, want)
	}
	if tr := srv.Traits(); tr != (config.Traits{Carries: config.CarriesCAN | config.CarriesCANFD | config.CarriesPDUs | config.CarriesEthernet, Direction: config.ReadWrite, Trust: config.TrustRemote}) {
		t.Errorf("server traits: %+v", tr)
	}
	if b := srv.Binds(); !reflect.DeepEqual(b, []config.Bind{{Space: "tcp", Addr: "10.0.0.1:20000"}}) {
		t.Errorf("server binds: %v", b)
	}

	cli := c.Endpoint("cli").Settings.(*tcp.Config)
	cli.TLS.Pos = config.Pos{}
	want = &tcp.Config{Config: stream.Config{Role: config.Client, MaxClients: config.DefaultMaxClients,
		Reconnect: config.Backoff{Min: 10 * time.Millisecond, Max: time.Second},
		TLS:       &config.TLS{CA: "/ca.crt", ServerName: "gw"}}, Peer: "gw.example:20001"}
	if !reflect.DeepEqual(cli, want) {
		t.Errorf("client:\n got %+v\nwant %+v", cli, want)
	}
	if tr := cli.Traits(); tr != (config.Traits{Carries: config.CarriesCAN | config.CarriesCANFD, Trust: config.TrustRemote}) {
		t.Errorf("client traits: %+v", tr)
	}
	if b := cli.Binds(); b != nil {
		t.Errorf("client binds: %v", b)
	}

	plain := c.Endpoint("plain").Settings.(*tcp.Config)
	want = &tcp.Config{Config: stream.Config{Role: config.Server, MaxClients: config.DefaultMaxClients,
		Reconnect: config.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}}, Listen: "127.0.0.1:20002"}
	if !reflect.DeepEqual(plain, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", plain, want)
	}
}

// TestDecodeErrors checks the error messages, with file:line:column.
func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ ep, want string }{
		{`{kind: tcp}`, `t.yaml:4:3: endpoints.a.listen: missing field (hint: host:port, e.g. 0.0.0.0:20000)`},
		{`{kind: tcp, mode: client}`, `t.yaml:4:3: endpoints.a.peer: missing field (hint: host:port, e.g. 0.0.0.0:20000)`},
		{`{kind: tcp, mode: clint, listen: "1.2.3.4:5"}`, `t.yaml:4:24: endpoints.a.mode: invalid value "clint" (hint: did you mean "client"?)`},
		{`{kind: tcp, listen: "1.2.3.4:5", max_clients: 0}`, `t.yaml:4:52: endpoints.a.max_clients: value 0 out of range (hint: allowed range is 1..4096)`},
		{`{kind: tcp, listen: "1.2.3.4:5", allow_peers: [bogus]}`, `t.yaml:4:53: endpoints.a.allow_peers: invalid peer "bogus" (hint: an IP address or a CIDR prefix such as 10.0.0.0/8)`},
		{`{kind: tcp, listen: "1.2.3.4:5", reconnect: {min: 2s, max: 1s}}`, `t.yaml:4:50: endpoints.a.reconnect: max 1s < min 2s (hint: max must be >= min)`},
		{`{kind: tcp, listen: "1.2.3.4:5", tls: {ca: /ca.crt}}`, `t.yaml:4:44: endpoints.a.tls: missing certificate (hint: a server needs cert: and key: files)`},
		{`{kind: tcp, mode: client, peer: "1.2.3.4:5", tls: {cert: /c.crt}}`, `t.yaml:4:56: endpoints.a.tls: cert and key must be set together (hint: give both cert: and key:)`},
		{`{kind: tcp, listen: "nohost"}`, `t.yaml:4:26: endpoints.a.listen: invalid address "nohost" (hint: use host:port, e.g. 127.0.0.1:20000 or [::1]:20000)`},
		{`{kind: tcp, listen: "1.2.3.4:5", cid: 3}`, `t.yaml:4:39: endpoints.a.cid: unknown field "cid"`},
	} {
		_, err := config.Parse("t.yaml", []byte("admin: {listen: \"\"}\nendpoints:\n  rec: {kind: log, path: /tmp/t.log}\n  a: "+tc.ep+"\nroutes:\n  - {name: r, from: [a], to: [rec]}\n"))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %s", tc.ep, err, tc.want)
		}
	}
}
