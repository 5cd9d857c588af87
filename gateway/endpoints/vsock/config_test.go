package vsock_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/logfile"
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
	"github.com/fieldgate/fieldgate/gateway/endpoints/vsock"
)

// TestDecode decodes a server and a client with every field, and checks
// the settings and what they declare.
func TestDecode(t *testing.T) {
	c, err := config.Parse("vsock.yaml", []byte(`
admin: {listen: ""}
endpoints:
  srv: {kind: vsock, port: 20000}
  cli: {kind: vsock, mode: client, cid: 2, port: 0x4e21, pdus: true, max_clients: 5, reconnect: {min: 50ms, max: 1s}}
  rec: {kind: log, path: /tmp/vsock.log}
routes:
  - {name: r, from: [srv, cli], to: [rec]}
`))
	if err != nil {
		t.Fatal(err)
	}
	srv := c.Endpoint("srv").Settings.(*vsock.Config)
	want := &vsock.Config{Config: stream.Config{Role: config.Server, MaxClients: config.DefaultMaxClients,
		Reconnect: config.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}}, Port: 20000}
	if !reflect.DeepEqual(srv, want) {
		t.Errorf("server:\n got %+v\nwant %+v", srv, want)
	}
	if tr := srv.Traits(); tr != (config.Traits{Carries: config.CarriesCAN | config.CarriesCANFD, Direction: config.ReadWrite, Trust: config.TrustRemote}) {
		t.Errorf("server traits: %+v", tr)
	}
	if b := srv.Binds(); !reflect.DeepEqual(b, []config.Bind{{Space: "vsock", Addr: "20000"}}) {
		t.Errorf("server binds: %v", b)
	}

	cli := c.Endpoint("cli").Settings.(*vsock.Config)
	want = &vsock.Config{Config: stream.Config{Role: config.Client, MaxClients: 5, PDUs: true,
		Reconnect: config.Backoff{Min: 50 * time.Millisecond, Max: time.Second}}, CID: 2, Port: 20001}
	if !reflect.DeepEqual(cli, want) {
		t.Errorf("client:\n got %+v\nwant %+v", cli, want)
	}
	if tr := cli.Traits(); tr != (config.Traits{Carries: config.CarriesCAN | config.CarriesCANFD | config.CarriesPDUs | config.CarriesEthernet, Trust: config.TrustRemote}) {
		t.Errorf("client traits: %+v", tr)
	}
	if b := cli.Binds(); b != nil {
		t.Errorf("client binds: %v", b)
	}
}

// TestDecodeErrors checks the error messages, with file:line:column.
func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ ep, want string }{
		{`{kind: vsock}`, `t.yaml:4:3: endpoints.a.port: missing field (hint: the vsock port, e.g. 20000)`},
		{`{kind: vsock, mode: client}`, "t.yaml:4:3: endpoints.a.port: missing field (hint: the vsock port, e.g. 20000)\n" +
			"t.yaml:4:3: endpoints.a.cid: missing field (hint: the peer CID: 2 = host, 1 = local loopback, guests have their own)"},
		{`{kind: vsock, port: 0, cid: -1}`, "t.yaml:4:34: endpoints.a.cid: invalid number \"-1\" (hint: an integer between 0 and 0xffffffff (0x.. for hex))\n" +
			"t.yaml:4:26: endpoints.a.port: value 0 out of range (hint: allowed range is 1..0xfffffffe)"},
		{`{kind: vsock, port: 7, allow_peers: [1.2.3.4]}`, `t.yaml:4:29: endpoints.a.allow_peers: unknown field "allow_peers"`},
	} {
		_, err := config.Parse("t.yaml", []byte("admin: {listen: \"\"}\nendpoints:\n  rec: {kind: log, path: /tmp/t.log}\n  a: "+tc.ep+"\nroutes:\n  - {name: r, from: [a], to: [rec]}\n"))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %s", tc.ep, err, tc.want)
		}
	}
}

// TestBindConflict: two servers on one vsock port conflict; a client does not.
func TestBindConflict(t *testing.T) {
	_, err := config.Parse("t.yaml", []byte(`admin: {listen: ""}
endpoints:
  a: {kind: vsock, port: 7}
  b: {kind: vsock, port: 7}
  c: {kind: vsock, mode: client, cid: 2, port: 7}
routes:
  - {name: r, from: [a, c], to: [b]}
`))
	want := "t.yaml:4:3: endpoints.b: binds vsock 7, which a (t.yaml:3:3) already binds (hint: give each listener its own port, path or file)"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}
