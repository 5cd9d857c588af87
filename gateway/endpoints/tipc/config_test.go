package tipc_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/logfile"
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
	"github.com/fieldgate/fieldgate/gateway/endpoints/tipc"
	tp "github.com/fieldgate/fieldgate/tipc"
)

var defaultBackoff = config.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}

// TestDecode decodes servers (one instance, a range, every field) and a
// client, and checks the settings and what they declare.
func TestDecode(t *testing.T) {
	c, err := config.Parse("tipc.yaml", []byte(`
admin: {listen: ""}
endpoints:
  srv: {kind: tipc, service: {type: 18888, instance: 17}}
  rng:
    kind: tipc
    mode: server
    service: {type: 0x4000, lower: 10, upper: 20}
    scope: node
    socket: seqpacket
    max_clients: 2
  cli: {kind: tipc, mode: client, service: {type: 4294967295, instance: 0}, pdus: true, reconnect: {min: 10ms, max: 1s}}
  rec: {kind: log, path: /tmp/tipc.log}
routes:
  - {name: r, from: [srv, rng, cli], to: [rec]}
`))
	if err != nil {
		t.Fatal(err)
	}
	srv := c.Endpoint("srv").Settings.(*tipc.Config)
	want := &tipc.Config{Config: stream.Config{Role: config.Server, MaxClients: config.DefaultMaxClients, Reconnect: defaultBackoff},
		Service: tp.ServiceRange{Type: 18888, Lower: 17, Upper: 17}, Scope: tp.ClusterScope, SocketType: tipc.Stream}
	if !reflect.DeepEqual(srv, want) {
		t.Errorf("server:\n got %+v\nwant %+v", srv, want)
	}
	if tr := srv.Traits(); tr != (config.Traits{Carries: config.CarriesCAN | config.CarriesCANFD, Direction: config.ReadWrite, Trust: config.TrustRemote}) {
		t.Errorf("server traits: %+v", tr)
	}
	if b := srv.Binds(); !reflect.DeepEqual(b, []config.Bind{{Space: "tipc", Addr: "18888:17"}}) {
		t.Errorf("server binds: %v", b)
	}

	rng := c.Endpoint("rng").Settings.(*tipc.Config)
	want = &tipc.Config{Config: stream.Config{Role: config.Server, MaxClients: 2, Reconnect: defaultBackoff},
		Service: tp.ServiceRange{Type: 0x4000, Lower: 10, Upper: 20}, Scope: tp.NodeScope, SocketType: tipc.SeqPacket}
	if !reflect.DeepEqual(rng, want) {
		t.Errorf("range server:\n got %+v\nwant %+v", rng, want)
	}
	if b := rng.Binds(); !reflect.DeepEqual(b, []config.Bind{{Space: "tipc", Addr: "16384:10-20"}}) {
		t.Errorf("range server binds: %v", b)
	}

	cli := c.Endpoint("cli").Settings.(*tipc.Config)
	want = &tipc.Config{Config: stream.Config{Role: config.Client, MaxClients: config.DefaultMaxClients, PDUs: true,
		Reconnect: config.Backoff{Min: 10 * time.Millisecond, Max: time.Second}},
		Service: tp.ServiceRange{Type: 0xFFFFFFFF}, SocketType: tipc.Stream}
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

// TestDecodeRDM decodes rdm endpoints: publishing and sending to one
// instance, multicasting to a range, and sending back to the last sender.
func TestDecodeRDM(t *testing.T) {
	c, err := config.Parse("tipc.yaml", []byte(`
admin: {listen: ""}
endpoints:
  any: {kind: tipc, socket: rdm, service: {type: 18900, instance: 1}, to: {type: 18901, instance: 7}}
  mc: {kind: tipc, socket: rdm, service: {type: 18900, lower: 2, upper: 3}, scope: node, to: {type: 18902, lower: 0, upper: 99}, pdus: true}
  send: {kind: tipc, socket: rdm, to: {type: 18902, lower: 5, upper: 5}}
  reply: {kind: tipc, socket: rdm, mode: server, service: {type: 18903, instance: 0}}
  rec: {kind: log, path: /tmp/tipc.log}
routes:
  - {name: r, from: [any, mc, send, reply], to: [rec]}
`))
	if err != nil {
		t.Fatal(err)
	}
	base := stream.Config{Role: config.Server, MaxClients: config.DefaultMaxClients, Reconnect: defaultBackoff}
	pdus := base
	pdus.PDUs = true
	for _, tc := range []struct {
		name  string
		want  *tipc.Config
		binds []config.Bind
	}{
		{"any", &tipc.Config{Config: base, SocketType: tipc.RDM, Service: tp.ServiceRange{Type: 18900, Lower: 1, Upper: 1}, Scope: tp.ClusterScope,
			To: tp.ServiceRange{Type: 18901, Lower: 7, Upper: 7}}, []config.Bind{{Space: "tipc", Addr: "18900:1"}}},
		{"mc", &tipc.Config{Config: pdus, SocketType: tipc.RDM, Service: tp.ServiceRange{Type: 18900, Lower: 2, Upper: 3}, Scope: tp.NodeScope,
			To: tp.ServiceRange{Type: 18902, Lower: 0, Upper: 99}, Multicast: true}, []config.Bind{{Space: "tipc", Addr: "18900:2-3"}}},
		{"send", &tipc.Config{Config: base, SocketType: tipc.RDM, To: tp.ServiceRange{Type: 18902, Lower: 5, Upper: 5}, Multicast: true}, nil},
		{"reply", &tipc.Config{Config: base, SocketType: tipc.RDM, Service: tp.ServiceRange{Type: 18903}, Scope: tp.ClusterScope},
			[]config.Bind{{Space: "tipc", Addr: "18903:0"}}},
	} {
		got := c.Endpoint(tc.name).Settings.(*tipc.Config)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
		if b := got.Binds(); !reflect.DeepEqual(b, tc.binds) {
			t.Errorf("%s binds %v, want %v", tc.name, b, tc.binds)
		}
		if tr := got.Traits(); tr.Trust != config.TrustRemote || tr.Direction != config.ReadWrite {
			t.Errorf("%s traits %+v", tc.name, tr)
		}
	}
}

// TestFields: the kind declares the common stream fields around its own,
// without the IP-only allow_peers and tls.
func TestFields(t *testing.T) {
	k, ok := config.LookupKind("tipc")
	if !ok {
		t.Fatal("tipc is not registered")
	}
	var got []string
	for _, f := range k.Fields {
		got = append(got, f.Name)
	}
	if want := []string{"mode", "service", "scope", "socket", "to", "max_clients", "max_clients_per_peer", "handshake_timeout", "reconnect", "pdus"}; !reflect.DeepEqual(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
}

// TestDecodeErrors checks the error messages, with file:line:column.
func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ ep, want string }{
		{`{kind: tipc}`, `t.yaml:4:3: endpoints.a.service: missing field (hint: a mapping such as {type: 18888, instance: 17})`},
		{`{kind: tipc, service: "18888:17"}`, `t.yaml:4:28: endpoints.a.service: expected a mapping, found "18888:17" (hint: a mapping such as {type: 18888, instance: 17})`},
		{`{kind: tipc, service: {instance: 1}}`, `t.yaml:4:28: endpoints.a.service.type: missing field (hint: the service type, 64 to 4294967295 (0-63 are reserved for the kernel))`},
		{`{kind: tipc, service: {type: 63, instance: 1}}`, `t.yaml:4:35: endpoints.a.service.type: service type 63 is reserved (hint: service types 0-63 are reserved for the kernel; use 64 or above)`},
		{`{kind: tipc, service: {type: 0x100000000, instance: 1}}`, `t.yaml:4:35: endpoints.a.service.type: value 0x100000000 out of range (hint: allowed range is 0..0xffffffff)`},
		{`{kind: tipc, service: {type: x, instance: -1}}`, "t.yaml:4:35: endpoints.a.service.type: invalid number \"x\" (hint: an integer between 0 and 0xffffffff (0x.. for hex))\n" +
			"t.yaml:4:48: endpoints.a.service.instance: invalid number \"-1\" (hint: an integer between 0 and 0xffffffff (0x.. for hex))"},
		{`{kind: tipc, service: {type: 100}}`, `t.yaml:4:28: endpoints.a.service.instance: missing field (hint: the service instance, e.g. 17 (a server may publish a range with lower: and upper: instead))`},
		{`{kind: tipc, service: {type: 100, instance: 1, lower: 0}}`, `t.yaml:4:60: endpoints.a.service.lower: lower and instance are exclusive (hint: give either instance: or lower: and upper:)`},
		{`{kind: tipc, service: {type: 100, lower: 5}}`, `t.yaml:4:28: endpoints.a.service.upper: missing field (hint: a range needs both lower: and upper: (or one instance:))`},
		{`{kind: tipc, service: {type: 100, lower: 5, upper: 4}}`, `t.yaml:4:57: endpoints.a.service.upper: upper 4 is below lower 5 (hint: lower must be <= upper)`},
		{`{kind: tipc, mode: client, service: {type: 100, lower: 1, upper: 2}}`, "t.yaml:4:61: endpoints.a.service.lower: a client cannot connect to a range (hint: a client connects to one instance: use instance:)\n" +
			"t.yaml:4:71: endpoints.a.service.upper: a client cannot connect to a range (hint: a client connects to one instance: use instance:)"},
		{`{kind: tipc, service: {type: 100, instanse: 1}}`, "t.yaml:4:28: endpoints.a.service.instance: missing field (hint: the service instance, e.g. 17 (a server may publish a range with lower: and upper: instead))\n" +
			`t.yaml:4:40: endpoints.a.service.instanse: unknown field "instanse" (hint: did you mean "instance"?)`},
		{`{kind: tipc, service: {type: 100, instance: 1}, scope: zone}`, `t.yaml:4:61: endpoints.a.scope: invalid value "zone" (hint: did you mean "node"?)`},
		{`{kind: tipc, mode: client, service: {type: 100, instance: 1}, scope: node}`, `t.yaml:4:75: endpoints.a.scope: scope applies to a server only (hint: only a server publishes; a client finds the service wherever it is published)`},
		{`{kind: tipc, service: {type: 100, instance: 1}, socket: dgram}`, `t.yaml:4:62: endpoints.a.socket: invalid value "dgram" (hint: one of: stream, seqpacket, rdm)`},
		{`{kind: tipc, socket: rdm}`, `t.yaml:4:3: endpoints.a.to: missing field (hint: an rdm endpoint needs to: (where frames go), service: (where it receives) or both)`},
		{`{kind: tipc, socket: rdm, mode: client, to: {type: 100, instance: 1}}`, `t.yaml:4:38: endpoints.a.mode: socket: rdm has no client mode (hint: remove mode: an rdm endpoint receives at service: and sends to to:)`},
		{`{kind: tipc, socket: rdm, scope: node, to: {type: 100, instance: 1}}`, `t.yaml:4:39: endpoints.a.scope: scope needs service: (hint: scope is how far service: is published)`},
		{`{kind: tipc, socket: rdm, to: [100, 1]}`, `t.yaml:4:36: endpoints.a.to: expected a mapping, found a list (hint: a mapping such as {type: 18888, instance: 2}, or {type: 18888, lower: 0, upper: 99} to multicast)`},
		{`{kind: tipc, socket: rdm, to: {type: 1, instance: 1}}`, `t.yaml:4:43: endpoints.a.to.type: service type 1 is reserved (hint: service types 0-63 are reserved for the kernel; use 64 or above)`},
		{`{kind: tipc, socket: rdm, to: {type: 100, lower: 9, upper: 1}}`, `t.yaml:4:65: endpoints.a.to.upper: upper 1 is below lower 9 (hint: lower must be <= upper)`},
		{`{kind: tipc, socket: rdm, to: {type: 100, lower: 9}}`, `t.yaml:4:36: endpoints.a.to.upper: missing field (hint: a multicast range needs both lower: and upper:)`},
		{`{kind: tipc, socket: rdm, to: {type: 100}}`, `t.yaml:4:36: endpoints.a.to.instance: missing field (hint: the instance to send to, or lower: and upper: to multicast to a range)`},
		{`{kind: tipc, socket: rdm, to: {type: 100, instance: 1, upper: 3}}`, `t.yaml:4:68: endpoints.a.to.upper: upper and instance are exclusive (hint: give instance: (one socket) or lower: and upper: (multicast))`},
		{`{kind: tipc, socket: rdm, to: {type: 100, instance: 1}, max_clients: 3}`, `t.yaml:4:75: endpoints.a.max_clients: max_clients applies to stream and seqpacket sockets (hint: remove it: socket: rdm has no connections)`},
		{`{kind: tipc, socket: rdm, to: {type: 100, instance: 1}, reconnect: {min: 1s}}`, `t.yaml:4:73: endpoints.a.reconnect: reconnect applies to stream and seqpacket sockets (hint: remove it: socket: rdm has no connections)`},
		{`{kind: tipc, mode: client, service: {type: 100, instance: 1}, to: {type: 100, instance: 2}}`, `t.yaml:4:72: endpoints.a.to: to applies to socket: rdm only (hint: a client connects to service:; to: is for socket: rdm)`},
		{`{kind: tipc, service: {type: 100, instance: 1}, socket: seqpacket, pdus: true}`, `t.yaml:4:79: endpoints.a.pdus: pdus needs socket: stream (hint: use socket: stream for a link that carries PDUs)`},
		{`{kind: tipc, service: {type: 100, instance: 1}, allow_peers: [1.2.3.4]}`, `t.yaml:4:54: endpoints.a.allow_peers: unknown field "allow_peers"`},
		{`{kind: tipc, service: {type: 100, instance: 1}, tls: {cert: /a, key: /b}}`, `t.yaml:4:54: endpoints.a.tls: unknown field "tls"`},
		{`{kind: tipc, service: {type: 100, instance: 1}, servise: 1}`, `t.yaml:4:54: endpoints.a.servise: unknown field "servise" (hint: did you mean "service"?)`},
	} {
		_, err := config.Parse("t.yaml", []byte("admin: {listen: \"\"}\nendpoints:\n  rec: {kind: log, path: /tmp/t.log}\n  a: "+tc.ep+"\nroutes:\n  - {name: r, from: [a], to: [rec]}\n"))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %s", tc.ep, err, tc.want)
		}
	}
}

// TestBindConflict: two servers publishing one service conflict (whatever
// their scope or socket type); a client of it, and a server of another
// instance, do not.
func TestBindConflict(t *testing.T) {
	_, err := config.Parse("t.yaml", []byte(`admin: {listen: ""}
endpoints:
  a: {kind: tipc, service: {type: 100, instance: 7}}
  b: {kind: tipc, service: {type: 100, instance: 8}}
  c: {kind: tipc, mode: client, service: {type: 100, instance: 7}}
  d: {kind: tipc, service: {type: 100, instance: 7}, scope: node, socket: seqpacket}
  e: {kind: tipc, service: {type: 100, lower: 1, upper: 9}}
  f: {kind: tipc, service: {type: 100, lower: 1, upper: 9}}
routes:
  - {name: r, from: [a, b, c, e], to: [d, f]}
`))
	want := "t.yaml:6:3: endpoints.d: binds tipc 100:7, which a (t.yaml:3:3) already binds (hint: give each listener its own port, path or file)\n" +
		"t.yaml:8:3: endpoints.f: binds tipc 100:1-9, which e (t.yaml:7:3) already binds (hint: give each listener its own port, path or file)"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}
