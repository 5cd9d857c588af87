package socketcand_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/logfile"
	"github.com/fieldgate/fieldgate/gateway/endpoints/socketcand"
)

// TestDecode decodes a socketcand endpoint with every field and one with
// only the required ones, and checks the settings and what they declare.
func TestDecode(t *testing.T) {
	c, err := config.Parse("sc.yaml", []byte(`
admin: {listen: ""}
endpoints:
  sc:
    kind: socketcand
    listen: "[::ffff:10.0.0.1]:29540"
    bus: vcan0
    interface: vcan1
    beacon: true
    max_clients: 3
    allow_peers: [10.0.0.0/8, 192.168.1.2]
    framing: compact
    rtr: message
    statistics: client
  plain: {kind: socketcand, listen: "127.0.0.1:29537", bus: can0}
  rec: {kind: log, path: /tmp/sc.log}
routes:
  - {name: r, from: [sc, plain], to: [rec]}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := c.Endpoint("sc").Settings.(*socketcand.Config)
	want := &socketcand.Config{Listen: "[::ffff:10.0.0.1]:29540", Bus: "vcan0", Interface: "vcan1", Beacon: true,
		MaxClients: 3, AllowPeers: []string{"10.0.0.0/8", "192.168.1.2"},
		Framing: socketcand.FramingCompact, RTR: socketcand.RTRMessage, Statistics: socketcand.StatClient}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("settings:\n got %+v\nwant %+v", got, want)
	}
	tr := got.Traits()
	if tr.Carries != config.CarriesCAN|config.CarriesCANFD || tr.Direction != config.ReadWrite ||
		tr.Trust != config.TrustRemote || tr.Interface != "vcan1" {
		t.Errorf("traits: %+v", tr)
	}
	if b := got.Binds(); !reflect.DeepEqual(b, []config.Bind{{Space: "tcp", Addr: "10.0.0.1:29540"}}) {
		t.Errorf("binds: %v", b)
	}

	p := c.Endpoint("plain").Settings.(*socketcand.Config)
	if !reflect.DeepEqual(p, &socketcand.Config{Listen: "127.0.0.1:29537", Bus: "can0", MaxClients: config.DefaultMaxClients,
		Framing: socketcand.FramingAligned, RTR: socketcand.RTRDrop, Statistics: socketcand.StatInterface}) {
		t.Errorf("defaults: %+v", p)
	}
	if p.Traits().Interface != "" {
		t.Errorf("interface without the option: %q", p.Traits().Interface)
	}
}

// TestDecodeDefaultListen checks the default address and its bind.
func TestDecodeDefaultListen(t *testing.T) {
	c, err := config.Parse("sc.yaml", []byte(`
admin: {listen: ""}
endpoints:
  sc: {kind: socketcand, bus: vcan0}
  rec: {kind: log, path: /tmp/sc.log}
routes:
  - {name: r, from: [sc], to: [rec]}
`))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Endpoint("sc").Settings.(*socketcand.Config)
	if s.Listen != "127.0.0.1:29536" || s.TLS != nil {
		t.Errorf("got %+v", s)
	}
}

// TestDecodeErrors checks the error messages, with file:line:column.
func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{`  sc: {kind: socketcand}`,
			"sc.yaml:4:3: endpoints.sc.bus: missing field (hint: the bus name clients open, e.g. vcan0)"},
		{`  sc: {kind: socketcand, bus: vcan0, interface: "a very long interface"}`,
			`sc.yaml:4:49: endpoints.sc.interface: invalid interface name "a very long interface" (hint: interface names are at most 15 characters)`},
		{`  sc: {kind: socketcand, bus: vcan0, max_clients: 0}`,
			"sc.yaml:4:51: endpoints.sc.max_clients: value 0 out of range (hint: allowed range is 1..4096)"},
		{`  sc: {kind: socketcand, bus: vcan0, tls: {ca: ca.pem}}`,
			"sc.yaml:4:43: endpoints.sc.tls: missing certificate (hint: a server needs cert: and key: files)"},
		{`  sc: {kind: socketcand, bus: vcan0, mode: client}`,
			`sc.yaml:4:38: endpoints.sc.mode: unknown field "mode"`},
		{`  sc: {kind: socketcand, bus: vcan0, framing: newline}`,
			`endpoints.sc.framing: invalid value "newline" (hint: one of: aligned, compact)`},
		{`  sc: {kind: socketcand, bus: vcan0, rtr: frame}`,
			`endpoints.sc.rtr: invalid value "frame" (hint: one of: drop, message)`},
		{`  sc: {kind: socketcand, bus: vcan0, statistics: clients}`,
			`endpoints.sc.statistics: invalid value "clients" (hint: did you mean "client"?)`},
		{`  sc: {kind: socketcand, bus: vcan0, listen: "127.0.0.1:9108"}
  sc2: {kind: socketcand, bus: vcan0, listen: "0.0.0.0:9108"}`,
			"sc.yaml:5:3: endpoints.sc2: binds tcp 0.0.0.0:9108, which sc (sc.yaml:4:3) already binds"},
	} {
		_, err := config.Parse("sc.yaml", []byte(`
admin: {listen: ""}
endpoints:
`+tc.yaml+`
  rec: {kind: log, path: /tmp/sc.log}
routes:
  - {name: r, from: [sc], to: [rec]}
`))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %s", tc.yaml, err, tc.want)
		}
	}
}
