package bluetooth_test

import (
	"context"
	"log/slog"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	bt "github.com/fieldgate/fieldgate/bluetooth"
	"github.com/fieldgate/fieldgate/core"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/endpoints/bluetooth"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/logfile"
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
)

var defaultBackoff = config.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}

func mustAddr(t testing.TB, s string) core.BDAddr {
	a, err := core.ParseBDAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestDecode decodes servers and clients of both kinds and checks the
// settings and what they declare.
func TestDecode(t *testing.T) {
	c, err := config.Parse("bt.yaml", []byte(`
admin: {listen: ""}
endpoints:
  rs: {kind: rfcomm, channel: 5}
  rs2: {kind: rfcomm, address: "00:1a:7d:da:71:13", channel: 30, security: high, peers: ["00:11:22:33:44:55", "AA:BB:CC:DD:EE:FF"], max_clients: 2}
  rc: {kind: rfcomm, mode: client, address: "00:11:22:33:44:55", channel: 1, local: "00:1A:7D:DA:71:13", security: medium, reconnect: {min: 10ms, max: 1s}}
  ls: {kind: l2cap, psm: 0x1001, mtu: 4096, security: fips}
  lc: {kind: l2cap, mode: client, address: "00:11:22:33:44:55", psm: 0x10ff, pdus: true}
  rec: {kind: log, path: /tmp/bt.log}
routes:
  - {name: r, from: [rs, rs2, rc, ls, lc], to: [rec]}
`))
	if err != nil {
		t.Fatal(err)
	}
	a1, a2, a3 := mustAddr(t, "00:1A:7D:DA:71:13"), mustAddr(t, "00:11:22:33:44:55"), mustAddr(t, "AA:BB:CC:DD:EE:FF")
	server := stream.Config{Role: config.Server, MaxClients: config.DefaultMaxClients, Reconnect: defaultBackoff}
	for _, tc := range []struct {
		name  string
		want  *bluetooth.Config
		binds []config.Bind
	}{
		{"rs", &bluetooth.Config{Config: server, Proto: bluetooth.RFCOMM, Channel: 5, Security: bt.SecurityLow},
			[]config.Bind{{Space: "rfcomm", Addr: "00:00:00:00:00:00 channel=5"}}},
		{"rs2", &bluetooth.Config{Config: stream.Config{Role: config.Server, MaxClients: 2, Reconnect: defaultBackoff},
			Proto: bluetooth.RFCOMM, Address: a1, Channel: 30, Security: bt.SecurityHigh, Peers: []core.BDAddr{a2, a3}},
			[]config.Bind{{Space: "rfcomm", Addr: "00:1A:7D:DA:71:13 channel=30"}}},
		{"rc", &bluetooth.Config{Config: stream.Config{Role: config.Client, MaxClients: config.DefaultMaxClients,
			Reconnect: config.Backoff{Min: 10 * time.Millisecond, Max: time.Second}},
			Proto: bluetooth.RFCOMM, Address: a2, Local: a1, Channel: 1, Security: bt.SecurityMedium}, nil},
		{"ls", &bluetooth.Config{Config: server, Proto: bluetooth.L2CAP, PSM: 0x1001, MTU: 4096, Security: bt.SecurityFIPS},
			[]config.Bind{{Space: "l2cap", Addr: "00:00:00:00:00:00 psm=0x1001"}}},
		{"lc", &bluetooth.Config{Config: stream.Config{Role: config.Client, MaxClients: config.DefaultMaxClients, Reconnect: defaultBackoff, PDUs: true},
			Proto: bluetooth.L2CAP, Address: a2, PSM: 0x10ff, MTU: 672, Security: bt.SecurityLow}, nil},
	} {
		got := c.Endpoint(tc.name).Settings.(*bluetooth.Config)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
		if b := got.Binds(); !reflect.DeepEqual(b, tc.binds) {
			t.Errorf("%s binds %v, want %v", tc.name, b, tc.binds)
		}
		// Frames from a Bluetooth peer are untrusted: routes to a bus
		// need an allow list.
		if tr := got.Traits(); tr.Trust != config.TrustRemote || tr.Direction != config.ReadWrite {
			t.Errorf("%s traits %+v", tc.name, tr)
		}
	}
}

// TestFields: each kind declares the common stream fields around its own,
// without the IP-only allow_peers and tls.
func TestFields(t *testing.T) {
	for kind, want := range map[string][]string{
		"rfcomm": {"mode", "address", "channel", "local", "security", "peers", "max_clients", "max_clients_per_peer", "handshake_timeout", "reconnect", "pdus"},
		"l2cap":  {"mode", "address", "psm", "local", "mtu", "security", "peers", "max_clients", "max_clients_per_peer", "handshake_timeout", "reconnect", "pdus"},
	} {
		k, ok := config.LookupKind(kind)
		if !ok {
			t.Fatalf("%s is not registered", kind)
		}
		var got []string
		for _, f := range k.Fields {
			got = append(got, f.Name)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s fields %v, want %v", kind, got, want)
		}
	}
}

// TestDecodeErrors checks the error messages, with file:line:column.
func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ ep, want string }{
		{`{kind: rfcomm}`, `t.yaml:4:3: endpoints.a.channel: missing field (hint: the RFCOMM channel, 1 to 30)`},
		{`{kind: rfcomm, channel: 31}`, `t.yaml:4:30: endpoints.a.channel: value 31 out of range (hint: allowed range is 1..30)`},
		{`{kind: rfcomm, mode: client, channel: 1}`, `t.yaml:4:3: endpoints.a.address: missing field (hint: the device to connect to: a Bluetooth device address such as 00:1A:7D:DA:71:13)`},
		{`{kind: rfcomm, mode: client, channel: 1, address: "00:11:22:33:44"}`, `t.yaml:4:56: endpoints.a.address: invalid device address "00:11:22:33:44" (hint: a Bluetooth device address such as 00:1A:7D:DA:71:13)`},
		{`{kind: rfcomm, mode: client, channel: 1, address: "00:00:00:00:00:00"}`, `t.yaml:4:56: endpoints.a.address: a client needs a device address, not 00:00:00:00:00:00 (hint: the device to connect to: a Bluetooth device address such as 00:1A:7D:DA:71:13)`},
		{`{kind: rfcomm, channel: 1, local: "00:11:22:33:44:55"}`, `t.yaml:4:40: endpoints.a.local: local applies to a client only (hint: a server listens on address:)`},
		{`{kind: rfcomm, channel: 1, security: secret}`, `t.yaml:4:43: endpoints.a.security: invalid value "secret" (hint: one of: low, medium, high)`},
		{`{kind: rfcomm, channel: 1, security: fips}`, `t.yaml:4:43: endpoints.a.security: invalid value "fips" (hint: one of: low, medium, high)`},
		{`{kind: l2cap, psm: 0x1001, security: fipps}`, `t.yaml:4:43: endpoints.a.security: invalid value "fipps" (hint: did you mean "fips"?)`},
		{`{kind: rfcomm, channel: 1, peers: ["00:11:22:33:44:55", nobody]}`, `t.yaml:4:62: endpoints.a.peers: invalid device address "nobody" (hint: a Bluetooth device address such as 00:1A:7D:DA:71:13)`},
		{`{kind: rfcomm, mode: client, address: "00:11:22:33:44:55", channel: 1, peers: ["00:11:22:33:44:55"]}`, `t.yaml:4:84: endpoints.a.peers: peers applies to a server only (hint: a client connects to address: only)`},
		{`{kind: rfcomm, channel: 1, psm: 0x1001}`, `t.yaml:4:33: endpoints.a.psm: unknown field "psm"`},
		{`{kind: rfcomm, channel: 1, allow_peers: [10.0.0.1]}`, `t.yaml:4:33: endpoints.a.allow_peers: unknown field "allow_peers"`},
		{`{kind: l2cap}`, `t.yaml:4:3: endpoints.a.psm: missing field (hint: an L2CAP PSM such as 0x1001)`},
		{`{kind: l2cap, psm: 0x1002}`, `t.yaml:4:25: endpoints.a.psm: invalid PSM 0x1002 (hint: a PSM is odd with bit 8 clear: 0x1001, 0x1003, …, 0x10ff, 0x1201, …)`},
		{`{kind: l2cap, psm: 0x1101}`, `t.yaml:4:25: endpoints.a.psm: invalid PSM 0x1101 (hint: a PSM is odd with bit 8 clear: 0x1001, 0x1003, …, 0x10ff, 0x1201, …)`},
		{`{kind: l2cap, psm: 3}`, `t.yaml:4:25: endpoints.a.psm: value 3 out of range (hint: allowed range is 4097..65535)`},
		{`{kind: l2cap, psm: 0x1001, mtu: 40000}`, `t.yaml:4:38: endpoints.a.mtu: value 40000 out of range (hint: allowed range is 48..32768)`},
		{`{kind: l2cap, psm: 0x1001, channel: 1}`, `t.yaml:4:33: endpoints.a.channel: unknown field "channel"`},
	} {
		_, err := config.Parse("t.yaml", []byte("admin: {listen: \"\"}\nendpoints:\n  rec: {kind: log, path: /tmp/t.log}\n  a: "+tc.ep+"\nroutes:\n  - {name: r, from: [a], to: [rec]}\n"))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %s", tc.ep, err, tc.want)
		}
	}
}

// TestBindConflict: two servers on one adapter and channel (or PSM)
// conflict; another channel, or a client, does not.
func TestBindConflict(t *testing.T) {
	_, err := config.Parse("t.yaml", []byte(`admin: {listen: ""}
endpoints:
  a: {kind: rfcomm, channel: 3}
  b: {kind: rfcomm, channel: 4}
  c: {kind: rfcomm, mode: client, address: "00:11:22:33:44:55", channel: 3}
  d: {kind: rfcomm, channel: 3, security: high}
  e: {kind: l2cap, psm: 0x1001}
  f: {kind: l2cap, psm: 0x1001, mtu: 1000}
routes:
  - {name: r, from: [a, b, c, e], to: [d, f]}
`))
	want := "t.yaml:6:3: endpoints.d: binds rfcomm 00:00:00:00:00:00 channel=3, which a (t.yaml:3:3) already binds (hint: give each listener its own port, path or file)\n" +
		"t.yaml:8:3: endpoints.f: binds l2cap 00:00:00:00:00:00 psm=0x1001, which e (t.yaml:7:3) already binds (hint: give each listener its own port, path or file)"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// TestOpenWithoutBluetooth: where the kernel has no Bluetooth (the
// development machines) or the platform has none, a server or a client
// fails at once with an error that says why. The rig opens them in
// bluetooth_hil_test.go.
func TestOpenWithoutBluetooth(t *testing.T) {
	if runtime.GOOS == "linux" {
		if _, err := bt.Devices(); err == nil {
			t.Skip("this kernel has Bluetooth")
		}
	}
	for _, p := range []bluetooth.Proto{bluetooth.RFCOMM, bluetooth.L2CAP} {
		want := string(p) + " endpoints are not supported on " + runtime.GOOS
		if runtime.GOOS == "linux" {
			want = string(p) + " endpoints need Bluetooth in the kernel: "
		}
		for _, role := range []config.Role{config.Server, config.Client} {
			c := &bluetooth.Config{Config: stream.Config{Role: role, MaxClients: 1, Reconnect: defaultBackoff},
				Proto: p, Address: core.BDAddr{1, 2, 3, 4, 5, 6}, Channel: 1, PSM: 0x1001, MTU: 672, Security: bt.SecurityLow}
			env := &endpoint.Env{Name: "t", Stats: &endpoint.Stats{}, Log: slog.New(slog.DiscardHandler)}
			tr, err := endpoint.Open(context.Background(), &config.Endpoint{Name: "t", Kind: string(p), Settings: c}, env)
			if err == nil {
				tr.Close()
				t.Fatalf("%s %s: opened", p, role)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s %s: open: %v\nwant %s", p, role, err, want)
			}
		}
	}
}
