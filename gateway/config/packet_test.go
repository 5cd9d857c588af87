package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestPacketEndpoint decodes a packet endpoint with every field and the
// allow forms of Ethernet routes.
func TestPacketEndpoint(t *testing.T) {
	c, err := Parse("p.yaml", []byte(`
endpoints:
  a: {kind: packet, interface: veth0, promiscuous: true, filter: "ether proto 0x88b5 or arp", ring: {block_size: 64KiB, blocks: 8, timeout: 5ms}}
  b: {kind: packet, interface: veth1}
  link: {kind: udp, listen: "127.0.0.1:20000", peer: "127.0.0.1:20001", mtu: 9000}
routes:
  - {name: ab, from: [a], to: [b]}
  - {name: out, from: [a], to: [link]}
  - {name: in, from: [link], to: [b], allow: [0x88b5, "0x0806", 2048]}
  - {name: any, from: [link], to: [a], allow: [any]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings %v", c.Warnings)
	}
	a, b := c.Endpoint("a"), c.Endpoint("b")
	if a.Interface != "veth0" || !a.Promiscuous || a.Filter != "ether proto 0x88b5 or arp" ||
		a.Ring != (PacketRing{BlockSize: 64 << 10, Blocks: 8, Timeout: 5 * time.Millisecond}) {
		t.Errorf("a = %+v", a)
	}
	if b.Promiscuous || b.Filter != "" || b.Ring != (PacketRing{BlockSize: DefaultRingBlockSize, Blocks: DefaultRingBlocks, Timeout: DefaultRingTimeout}) {
		t.Errorf("b = %+v", b)
	}
	in := c.Routes[2]
	if len(in.AllowEtherTypes) != 3 || in.AllowEtherTypes[0] != 0x88b5 || in.AllowEtherTypes[1] != 0x0806 || in.AllowEtherTypes[2] != 0x0800 || in.AllowAny || len(in.Allow) != 0 {
		t.Errorf("allow %+v", in)
	}
	if !c.Routes[3].AllowAny {
		t.Error("allow: [any] not decoded")
	}
}

// TestPacketErrors checks each packet misconfiguration is an error at its
// position, with the filter compiler's offset turned into a column.
func TestPacketErrors(t *testing.T) {
	const eps = "endpoints:\n  a: {kind: packet, interface: veth0}\n  b: {kind: packet, interface: veth1}\n  bus: {kind: can, interface: vcan0}\n  net: {kind: tcp, listen: \"127.0.0.1:1\"}\n  u: {kind: udp, listen: \"127.0.0.1:2\"}\n"
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"bad filter plain", "endpoints:\n  a: {kind: packet, interface: veth0, filter: tcp port 99999}\n  b: {kind: packet, interface: veth1}\nroutes: [{from: [a], to: [b]}]\n",
			[]string{`p.yaml:2:61: endpoints.a.filter: tcpdump filter: "99999" is not a port`}},
		{"bad filter quoted", "endpoints:\n  a: {kind: packet, interface: veth0, filter: \"ip and $\"}\n  b: {kind: packet, interface: veth1}\nroutes: [{from: [a], to: [b]}]\n",
			[]string{`p.yaml:2:55: endpoints.a.filter: tcpdump filter: unexpected character '$'`}},
		{"missing interface", "endpoints:\n  a: {kind: packet}\n  b: {kind: packet, interface: veth1}\nroutes: [{from: [a], to: [b]}]\n",
			[]string{`p.yaml:2:3: endpoints.a.interface: missing field`}},
		{"bad interface", "endpoints:\n  a: {kind: packet, interface: \"eth0:1\"}\n  b: {kind: packet, interface: veth1}\nroutes: [{from: [a], to: [b]}]\n",
			[]string{`p.yaml:2:32: endpoints.a.interface: invalid interface name "eth0:1"`}},
		{"bad ring", "endpoints:\n  a: {kind: packet, interface: veth0, ring: {block_size: 5000}}\n  b: {kind: packet, interface: veth1}\nroutes: [{from: [a], to: [b]}]\n",
			[]string{`endpoints.a.ring.block_size: invalid block size 5000`}},
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
		{"pdus on seqpacket", "endpoints:\n  a: {kind: packet, interface: veth0}\n  s: {kind: unix, path: /tmp/x.sock, type: seqpacket, pdus: true}\nroutes: [{from: [a], to: [s]}]\n",
			[]string{`p.yaml:3:61: endpoints.s.pdus: pdus needs type: stream`}},
		{"bad allow", eps + "routes: [{from: [u], to: [a], allow: [0x0100, ipv4]}]\n",
			[]string{`routes.route0.allow[0]: invalid ethertype "0x0100"`, `routes.route0.allow[1]: invalid allow entry "ipv4"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(tc.yaml))
			var es Errors
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

// TestPacketAllowWarning: a network peer writing onto an interface without
// an allow list is warned about (the gateway drops every frame, not_allowed).
func TestPacketAllowWarning(t *testing.T) {
	c, err := Parse("w.yaml", []byte("endpoints:\n  a: {kind: packet, interface: veth0}\n  u: {kind: udp, listen: \"127.0.0.1:2\"}\nroutes: [{from: [u], to: [a]}, {from: [a], to: [u]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0].Error(), "w.yaml:4:10: routes.route0.allow: u → a: no `allow` list: this route writes nothing onto interface veth0") {
		t.Fatalf("warnings %v", c.Warnings)
	}
}

// TestPacketOverStreams: tcp, unix and vsock links carry Ethernet frames
// when pdus is on.
func TestPacketOverStreams(t *testing.T) {
	c, err := Parse("s.yaml", []byte(`
endpoints:
  a: {kind: packet, interface: veth0}
  t: {kind: tcp, listen: "127.0.0.1:1", pdus: true}
  u: {kind: unix, path: /tmp/x.sock, pdus: true}
  v: {kind: vsock, mode: client, cid: 2, port: 5, pdus: true}
routes:
  - {from: [a], to: [t, u, v]}
  - {from: [t, u, v], to: [a], allow: [any]}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"t", "u", "v"} {
		if !c.Endpoint(n).PDUs || !c.Endpoint(n).CarriesEthernet() {
			t.Errorf("%s: %+v", n, c.Endpoint(n))
		}
	}
}
