package packet

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

// Stand-ins for the kinds the Ethernet route checks involve, declaring
// the traits of the real can, udp and tcp kinds, so these tests exercise
// the packet kind's declarations without depending on those packages.
type (
	stubCAN struct{ iface string }
	stubUDP struct{ listen string }
	stubTCP struct{ listen string }
)

func (s *stubCAN) Traits() config.Traits {
	return config.Traits{Carries: config.CarriesCAN | config.CarriesCANFD, Trust: config.TrustBus, Interface: s.iface}
}

func (s *stubUDP) Traits() config.Traits {
	return config.Traits{Carries: config.CarriesCAN | config.CarriesCANFD | config.CarriesPDUs | config.CarriesEthernet, Trust: config.TrustRemote}
}

func (s *stubUDP) Binds() []config.Bind {
	return []config.Bind{{Space: "udp", Addr: config.NormAddr(s.listen)}}
}

func (s *stubTCP) Traits() config.Traits {
	return config.Traits{Carries: config.CarriesCAN | config.CarriesCANFD, Trust: config.TrustRemote}
}

func (s *stubTCP) Binds() []config.Bind {
	return []config.Bind{{Space: "tcp", Addr: config.NormAddr(s.listen)}}
}

func init() {
	noOpen := func(context.Context, *config.Endpoint, *endpoint.Env) (endpoint.Transceiver, error) {
		return nil, errors.New("test stand-in")
	}
	endpoint.Register(endpoint.Kind{Kind: config.Kind{Name: "can", Fields: []config.Field{{Name: "interface"}},
		Decode: func(o *config.Object) config.Settings { return &stubCAN{o.Interface("")} }}, Open: noOpen})
	endpoint.Register(endpoint.Kind{Kind: config.Kind{Name: "udp", Fields: []config.Field{{Name: "listen"}, {Name: "peer"}, {Name: "mtu"}},
		Decode: func(o *config.Object) config.Settings {
			s := &stubUDP{o.HostPort("listen", true, "")}
			o.HostPort("peer", false, "")
			o.Uint("mtu", 1500, 576, 65535)
			return s
		}}, Open: noOpen})
	endpoint.Register(endpoint.Kind{Kind: config.Kind{Name: "tcp", Fields: []config.Field{{Name: "listen"}},
		Decode: func(o *config.Object) config.Settings { return &stubTCP{o.HostPort("listen", true, "")} }}, Open: noOpen})
}

// TestDecode decodes a packet endpoint with every field, one with the
// defaults, and the allow forms of Ethernet routes.
func TestDecode(t *testing.T) {
	c, err := config.Parse("p.yaml", []byte(`
endpoints:
  a: {kind: packet, interface: veth0, promiscuous: true, filter: "ether proto 0x88b5 or arp", ring: {block_size: 64KiB, blocks: 8, timeout: 5ms}}
  b: {kind: packet, interface: veth1}
  link: {kind: udp, listen: "127.0.0.1:20000", peer: "127.0.0.1:20001", mtu: 9000}
routes:
  - {name: ab, from: [a], to: [b]}
  - {name: out, from: [a], to: [link]}
  - {name: in, from: [link], to: [b], allow: [0x88b5, "0x0806", 0x800]}
  - {name: any, from: [link], to: [a], allow: [any]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings %v", c.Warnings)
	}
	a, b := c.Endpoint("a").Settings.(*Config), c.Endpoint("b").Settings.(*Config)
	if *a != (Config{Interface: "veth0", Promiscuous: true, Filter: "ether proto 0x88b5 or arp", Ring: Ring{BlockSize: 64 << 10, Blocks: 8, Timeout: 5 * time.Millisecond}}) {
		t.Errorf("a = %+v", a)
	}
	if *b != (Config{Interface: "veth1", Ring: Ring{BlockSize: DefaultRingBlockSize, Blocks: DefaultRingBlocks, Timeout: DefaultRingTimeout}}) {
		t.Errorf("b = %+v", b)
	}
	want := config.Traits{Carries: config.CarriesEthernet, Trust: config.TrustBus, Interface: "veth0"}
	if tr := c.Endpoint("a").Traits(); tr != want {
		t.Errorf("traits %+v, want %+v", tr, want)
	}
	if !c.Endpoint("a").CanRead() || !c.Endpoint("a").CanWrite() || c.Endpoint("a").Interface() != "veth0" {
		t.Errorf("a: read %v write %v interface %q", c.Endpoint("a").CanRead(), c.Endpoint("a").CanWrite(), c.Endpoint("a").Interface())
	}
	if _, ok := c.Endpoint("a").Settings.(config.Binder); ok {
		t.Error("a packet endpoint binds nothing exclusive")
	}
	in := c.Routes[2]
	if et := in.Allow.EtherTypes; len(et) != 3 || et[0] != 0x88b5 || et[1] != 0x0806 || et[2] != 0x0800 || in.Allow.Any || len(in.Allow.Entries) != 0 {
		t.Errorf("allow %+v", in)
	}
	if !c.Routes[3].Allow.Any {
		t.Error("allow: [any] not decoded")
	}
}

// TestErrors checks each packet misconfiguration is an error at its
// position, with the filter compiler's offset turned into a column.
func TestErrors(t *testing.T) {
	const eps = "endpoints:\n  a: {kind: packet, interface: veth0}\n  b: {kind: packet, interface: veth1}\n  bus: {kind: can, interface: vcan0}\n  net: {kind: tcp, listen: \"127.0.0.1:1\"}\n  u: {kind: udp, listen: \"127.0.0.1:2\"}\n"
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"bad filter plain", "endpoints:\n  a: {kind: packet, interface: veth0, filter: tcp port 99999}\n  b: {kind: packet, interface: veth1}\nroutes: [{from: [a], to: [b]}]\n",
			[]string{`p.yaml:2:61: endpoints.a.filter: tcpdump filter: "99999" is not a port (hint: pcap-filter(7) syntax`}},
		{"bad filter quoted", "endpoints:\n  a: {kind: packet, interface: veth0, filter: \"ip and $\"}\n  b: {kind: packet, interface: veth1}\nroutes: [{from: [a], to: [b]}]\n",
			[]string{`p.yaml:2:55: endpoints.a.filter: tcpdump filter: unexpected character '$'`}},
		{"bad filter escaped", "endpoints:\n  a: {kind: packet, interface: veth0, filter: \"ip and \\\"$\"}\n  b: {kind: packet, interface: veth1}\nroutes: [{from: [a], to: [b]}]\n",
			[]string{`p.yaml:2:47: endpoints.a.filter: tcpdump filter: `}},
		{"missing interface", "endpoints:\n  a: {kind: packet}\n  b: {kind: packet, interface: veth1}\nroutes: [{from: [a], to: [b]}]\n",
			[]string{`p.yaml:2:3: endpoints.a.interface: missing field (hint: the Ethernet interface name, e.g. eth0 or veth1)`}},
		{"bad interface", "endpoints:\n  a: {kind: packet, interface: \"eth0:1\"}\n  b: {kind: packet, interface: veth1}\nroutes: [{from: [a], to: [b]}]\n",
			[]string{`p.yaml:2:32: endpoints.a.interface: invalid interface name "eth0:1"`}},
		{"bad ring", "endpoints:\n  a: {kind: packet, interface: veth0, ring: {block_size: 5000}}\n  b: {kind: packet, interface: veth1}\nroutes: [{from: [a], to: [b]}]\n",
			[]string{`p.yaml:2:58: endpoints.a.ring.block_size: invalid block size 5000`}},
		{"ring range", "endpoints:\n  a: {kind: packet, interface: veth0, ring: {blocks: 1, timeout: 2s}}\n  b: {kind: packet, interface: veth1}\nroutes: [{from: [a], to: [b]}]\n",
			[]string{`endpoints.a.ring.blocks: `, `endpoints.a.ring.timeout: `}},
		{"unknown field", "endpoints:\n  a: {kind: packet, interface: veth0, ring: {size: 1}, mtu: 1500}\n  b: {kind: packet, interface: veth1}\nroutes: [{from: [a], to: [b]}]\n",
			[]string{`endpoints.a.ring.size: unknown field`, `endpoints.a.mtu: unknown field`}},
		{"can filters", eps + "routes: [{from: [a], to: [b], filters: [\"123:7FF\"]}]\n",
			[]string{`p.yaml:7:41: routes.route0.filters: route filters match CAN IDs`}},
		{"frames and transform", eps + "routes: [{from: [a], to: [b], frames: fd, transform: {remap: [{from: 1, to: 2}]}}]\n",
			[]string{`routes.route0.frames: frames: fd selects CAN frame types`, `routes.route0.transform: transform is CAN-only`}},
		{"can to packet", eps + "routes: [{from: [bus], to: [a]}]\n",
			[]string{`p.yaml:7:18: routes.route0.from: endpoint "bus" (can) produces no Ethernet frames for "a"`}},
		{"packet to tcp", eps + "routes: [{from: [a], to: [net]}]\n",
			[]string{`p.yaml:7:27: routes.route0.to: endpoint "net" (tcp) cannot carry the Ethernet frames of "a"`}},
		{"can allow onto packet", eps + "routes: [{from: [u], to: [a], allow: [\"100:700\"]}]\n",
			[]string{`p.yaml:7:39: routes.route0.allow: u → a: CAN id:mask entries in allow do not apply to an Ethernet interface`}},
		{"ethertype allow onto bus", eps + "routes: [{from: [u], to: [bus], allow: [0x0800]}]\n",
			[]string{`routes.route0.allow: u → bus: ethertype entries in allow do not apply to a CAN bus`}},
		{"bad allow", eps + "routes: [{from: [u], to: [a], allow: [0x0100, ipv4]}]\n",
			[]string{`routes.route0.allow[0]: invalid ethertype "0x0100"`, `routes.route0.allow[1]: invalid ID "ipv4" in allow entry "ipv4"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse("p.yaml", []byte(tc.yaml))
			var es config.Errors
			if !errors.As(err, &es) {
				t.Fatalf("got %v, want Errors", err)
			}
			if len(es) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(es), len(tc.want), err)
			}
			for i, w := range tc.want {
				if !strings.Contains(es[i].Error(), w) {
					t.Errorf("error %d:\n got %s\nwant %s", i, es[i], w)
				}
			}
		})
	}
}

// TestAllowWarning: a network peer writing onto an interface without an
// allow list is warned about (the gateway drops every frame, not_allowed);
// a route between two interfaces of this host needs no allow list.
func TestAllowWarning(t *testing.T) {
	c, err := config.Parse("w.yaml", []byte("endpoints:\n  a: {kind: packet, interface: veth0}\n  b: {kind: packet, interface: veth1}\n  u: {kind: udp, listen: \"127.0.0.1:2\"}\nroutes: [{from: [u], to: [a]}, {from: [a], to: [u]}, {from: [a], to: [b]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0].Error(), "w.yaml:5:10: routes.route0.allow: u → a: no `allow` list: this route writes nothing onto interface veth0") {
		t.Fatalf("warnings %v", c.Warnings)
	}
}
