package unix_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/logfile"
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
	"github.com/fieldgate/fieldgate/gateway/endpoints/unix"
)

// TestDecode decodes a server with every field and a client, and checks
// the settings and what they declare.
func TestDecode(t *testing.T) {
	c, err := config.Parse("unix.yaml", []byte(`
admin: {listen: ""}
endpoints:
  srv: {kind: unix, path: /run/fg/bus.sock, type: stream, max_clients: 2, pdus: true}
  cli: {kind: unix, mode: client, path: /run/fg/other.sock, type: seqpacket, reconnect: {min: 1ms, max: 2ms}}
  rec: {kind: log, path: /tmp/unix.log}
routes:
  - {name: r, from: [srv, cli], to: [rec]}
`))
	if err != nil {
		t.Fatal(err)
	}
	srv := c.Endpoint("srv").Settings.(*unix.Config)
	want := &unix.Config{Config: stream.Config{Role: config.Server, MaxClients: 2, PDUs: true,
		Reconnect: config.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}}, Path: "/run/fg/bus.sock", SocketType: unix.Stream}
	if !reflect.DeepEqual(srv, want) {
		t.Errorf("server:\n got %+v\nwant %+v", srv, want)
	}
	if tr := srv.Traits(); tr != (config.Traits{Carries: config.CarriesCAN | config.CarriesCANFD | config.CarriesPDUs | config.CarriesEthernet, Direction: config.ReadWrite, Trust: config.TrustRemote}) {
		t.Errorf("server traits: %+v", tr)
	}
	if b := srv.Binds(); !reflect.DeepEqual(b, []config.Bind{{Space: "unix", Addr: "/run/fg/bus.sock"}}) {
		t.Errorf("server binds: %v", b)
	}

	cli := c.Endpoint("cli").Settings.(*unix.Config)
	want = &unix.Config{Config: stream.Config{Role: config.Client, MaxClients: config.DefaultMaxClients,
		Reconnect: config.Backoff{Min: time.Millisecond, Max: 2 * time.Millisecond}}, Path: "/run/fg/other.sock", SocketType: unix.SeqPacket}
	if !reflect.DeepEqual(cli, want) {
		t.Errorf("client:\n got %+v\nwant %+v", cli, want)
	}
	if tr := cli.Traits(); tr != (config.Traits{Carries: config.CarriesCAN | config.CarriesCANFD, Trust: config.TrustRemote}) {
		t.Errorf("client traits: %+v", tr)
	}
	if b := cli.Binds(); b != nil {
		t.Errorf("client binds: %v", b)
	}
}

// TestDecodeErrors checks the error messages, with file:line:column.
func TestDecodeErrors(t *testing.T) {
	long := "/" + strings.Repeat("a", 107)
	for _, tc := range []struct{ ep, want string }{
		{`{kind: unix}`, `t.yaml:4:3: endpoints.a.path: missing field (hint: a socket path such as /run/fieldgate/bus.sock)`},
		{`{kind: unix, path: ` + long + `}`, `t.yaml:4:25: endpoints.a.path: path too long (hint: unix socket paths are at most 107 bytes)`},
		{`{kind: unix, path: /x.sock, type: dgram}`, `t.yaml:4:40: endpoints.a.type: invalid value "dgram" (hint: one of: stream, seqpacket)`},
		{`{kind: unix, path: /x.sock, type: seqpacket, pdus: true, reconnect: {min: 2s, max: 1s}}`, "t.yaml:4:57: endpoints.a.pdus: pdus needs type: stream (hint: use type: stream for a link that carries PDUs)\n" +
			"t.yaml:4:74: endpoints.a.reconnect: max 1s < min 2s (hint: max must be >= min)"},
		{`{kind: unix, path: /x.sock, tls: {cert: /a, key: /b}}`, `t.yaml:4:34: endpoints.a.tls: unknown field "tls"`},
	} {
		_, err := config.Parse("t.yaml", []byte("admin: {listen: \"\"}\nendpoints:\n  rec: {kind: log, path: /tmp/t.log}\n  a: "+tc.ep+"\nroutes:\n  - {name: r, from: [a], to: [rec]}\n"))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %s", tc.ep, err, tc.want)
		}
	}
}
