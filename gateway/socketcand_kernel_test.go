package gateway

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/allowlist"
	socketcandep "github.com/fieldgate/fieldgate/gateway/endpoints/socketcand"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// scExchange sends each command and asserts the exact reply; "" means no
// reply (checked with an echo round trip).
func scExchange(t *testing.T, c net.Conn, r *bufio.Reader, steps [][2]string) {
	t.Helper()
	for _, s := range steps {
		fmt.Fprint(c, s[0])
		want := s[1]
		if want == "" {
			fmt.Fprint(c, "< echo >")
			want = "< echo >"
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		got, err := readMsg(r)
		if err != nil || got != want {
			t.Fatalf("%s: got %q (%v), want %q", s[0], got, err, want)
		}
	}
}

func endpointStatus(g *Gateway, name string) EndpointStatus {
	for _, e := range g.Status().Endpoints {
		if e.Name == name {
			return e
		}
	}
	return EndpointStatus{}
}

// TestSocketcandModeCommands checks socketcand's per-mode command sets and
// the replies of the ISO-TP and muxfilter commands that need no kernel
// socket (refusals), byte for byte, and their drop counters.
func TestSocketcandModeCommands(t *testing.T) {
	p1, p2 := freePort(t, "tcp"), freePort(t, "tcp")
	g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  plain: {kind: socketcand, listen: "127.0.0.1:%d", bus: vcan0}
  kern: {kind: socketcand, listen: "127.0.0.1:%d", bus: vcan0, interface: vcan0}
  l: {kind: log, path: %q}
routes:
  - {from: [plain, kern], to: [l]}
`, p1, p2, t.TempDir()+"/x.log"))
	c, r := scDial(t, fmt.Sprintf("127.0.0.1:%d", p1), "vcan0", "")
	defer c.Close()
	scExchange(t, c, r, [][2]string{
		{"< isotpmode >", "< error isotpmode needs the endpoint's interface option >"},
		{"< muxfilter 0 0 123 2 FF 00 00 00 00 00 00 00 33 FF FF FF FF FF FF FF >", "< error muxfilter needs the endpoint's interface option >"},
		{"< statistics 1000 >", "< error unknown command >"}, // control mode only
		{"< sendpdu 00 >", "< error unknown command >"},      // ISO-TP mode only
		{"< subscribe 0 0 123 >", ""},
		{"< rawmode >", "< ok >"},
		{"< subscribe 0 0 123 >", "< error unknown command >"},
		{"< add 1 0 123 0 >", "< error unknown command >"},
		{"< controlmode >", "< ok >"},
		{"< send 123 0 >", "< error send is not allowed in this mode >"},
		{"< statistics 0 >", ""},
		{"< bcmmode >", "< ok >"},
	})

	k, kr := scDial(t, fmt.Sprintf("127.0.0.1:%d", p2), "vcan0", "isotpmode")
	defer k.Close()
	scExchange(t, k, kr, [][2]string{
		{"< send 123 0 >", "< error send is not allowed in this mode >"},
		{"< subscribe 0 0 123 >", "< error unknown command >"},
		{"< sendpdu 0011 >", "< error sendpdu: no ISO-TP channel, send isotpconf first >"},
		{"< isotpconf 7E0 7E8 0 16 0 >", `< error socketcand: syntax error: blocksize "16" (decimal, 0..15) >`},
		{"< isotpconf 7E0 7E8 4 0 0 >", "< error socketcand: syntax error: flag 0x4 needs the txpad_content field >"},
		{"< isotpconf <7E0 7E8 0 0 0 >", `< error tx_id: socketcand: syntax error: can id "(7E0" (3 or 8 hex digits) >`},
		// No route lets this endpoint write onto vcan0.
		{"< isotpconf 7E0 7E8 0 0 0 >", "< error isotpconf: tx_id 7E0 may not be written to vcan0 (no route allows it) >"},
		{"< isotpconf 1F998877 1F998876 C 4 0 0 AA 55 >", "< error isotpconf: tx_id 1F998877 may not be written to vcan0 (no route allows it) >"},
		{"< bcmmode >", "< ok >"},
		{"< muxfilter 0 0 123 1 FF 00 00 00 00 00 00 00 >", `< error socketcand: syntax error: muxfilter nframes "1" (decimal, 2..256: the mux mask and 1..255 filters) >`},
		// Nothing on vcan0 is routed to this endpoint.
		{"< muxfilter 0 0 123 2 FF 00 00 00 00 00 00 00 33 FF FF FF FF FF FF FF >", "< error muxfilter: can id 123 of vcan0 is not routed to this endpoint >"},
	})
	ep := endpointStatus(g, "kern")
	if ep.Dropped["malformed"] != 5 || ep.Dropped["not_allowed"] != 3 || ep.FramesIn != 0 {
		t.Fatalf("kern counters %+v, want malformed 5, not_allowed 3", ep)
	}
}

// TestBusAccess checks the route rules for direct bus access (direct.go).
func TestBusAccess(t *testing.T) {
	ep := func(name string, s config.Settings) *node {
		return &node{name: name, cfg: &config.Endpoint{Name: name, Settings: s}}
	}
	bus0, bus1, sc, other := ep("bus0", canBus("vcan0")), ep("bus1", canBus("vcan1")), ep("sc", remote("vcan0")), ep("u", remote(""))
	mk := func(from, to []*node, allow []string, filters ...config.Filter) *route {
		r := &route{cfg: &config.Route{}, allow: &allowlist.List{}, filters: compileFilters(filters)}
		for _, a := range allow {
			if err := r.allow.ParseEntry(a); err != nil {
				t.Fatal(err)
			}
		}
		for _, e := range from {
			r.cfg.From = append(r.cfg.From, e.name)
		}
		for _, d := range to {
			r.cfg.To = append(r.cfg.To, d.name)
			r.dests = append(r.dests, d)
			r.guard = append(r.guard, guarded(from[0].cfg, d.cfg))
		}
		return r
	}
	g := New(nil)
	g.table.Store(&table{byEP: []*node{bus0, bus1, sc, other}, routes: []*route{
		mk([]*node{sc}, []*node{bus0}, []string{"7E0:7F0", "18DA00F1"}),                            // 7E0..7EF, one 29-bit ID
		mk([]*node{sc}, []*node{bus1}, []string{"100:700"}),                                        // wrong interface
		mk([]*node{other}, []*node{bus0}, []string{"200:700"}),                                     // other source
		mk([]*node{sc}, []*node{bus0}, []string{"300:700"}, config.Filter{ID: 0x301, Mask: 0x7FF}), // filter narrows
		mk([]*node{bus0}, []*node{sc}, nil, config.Filter{ID: 0x7E8, Mask: 0x7F8}),                 // reads 7E8..7EF
		mk([]*node{bus1}, []*node{sc}, nil),                                                        // vcan1 only
	}})
	for _, tc := range []struct {
		id    uint32
		write bool
		want  bool
	}{
		{0x7E0, true, true}, {0x7EF, true, true}, {0x7F0, true, false},
		{0x80000000 | 0x7E0, true, false}, // a 29-bit ID never passes an 11-bit entry
		{0x80000000 | 0x18DA00F1, true, true}, {0x18DA00F1 & 0x7FF, true, false},
		{0x100, true, false}, {0x200, true, false}, {0x301, true, true}, {0x302, true, false},
		{0x7E8, false, true}, {0x7E0, false, false}, {0x123, false, false},
	} {
		if got := g.busAccess("sc", "vcan0", tc.id, tc.write); got != tc.want {
			t.Errorf("id %#x write %v: %v, want %v", tc.id, tc.write, got, tc.want)
		}
	}
	if g.busAccess("sc", "vcan1", 0x100, true) != true || g.busAccess("sc", "vcan1", 0x555, false) != true {
		t.Error("vcan1 routes not honoured")
	}
	// allow: [any] grants direct writes as it grants routed frames (it used
	// to grant none), and a transformed route grants none.
	anyRoute := mk([]*node{sc}, []*node{bus1}, []string{"any"})
	xformed := mk([]*node{sc}, []*node{bus0}, []string{"any"})
	xformed.xform = &transform{}
	g.table.Store(&table{byEP: []*node{bus0, bus1, sc, other}, routes: []*route{anyRoute, xformed}})
	if !g.busAccess("sc", "vcan1", 0x1F998877|0x80000000, true) || !g.busAccess("sc", "vcan1", 0x7E0, true) {
		t.Error("allow: [any] refused direct access")
	}
	if g.busAccess("sc", "vcan0", 0x7E0, true) {
		t.Error("a transformed route granted direct access")
	}
}

// TestSocketcandFDAndRTR: a raw-mode client's fdsend and a BCM-mode
// client's sendrtr cross a route to a raw-mode client on another endpoint
// (rtr: message),
// which receives "< fdframe … >" and "< rtr … >" exactly; a BCM subscriber
// gets no FD frame; bad commands are counted, not answered; fdsend is
// raw mode only.
func TestSocketcandFDAndRTR(t *testing.T) {
	p1, p2 := freePort(t, "tcp"), freePort(t, "tcp")
	g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  a: {kind: socketcand, listen: "127.0.0.1:%d", bus: vcan0}
  b: {kind: socketcand, listen: "127.0.0.1:%d", bus: vcan1, rtr: message}
routes:
  - {name: ab, from: [a], to: [b]}
`, p1, p2))
	a1, _ := scDial(t, fmt.Sprintf("127.0.0.1:%d", p1), "vcan0", "rawmode")
	defer a1.Close()
	a2, ar2 := scDial(t, fmt.Sprintf("127.0.0.1:%d", p1), "vcan0", "")
	defer a2.Close()
	b1, r1 := scDial(t, fmt.Sprintf("127.0.0.1:%d", p2), "vcan1", "rawmode")
	defer b1.Close()
	b2, r2 := scDial(t, fmt.Sprintf("127.0.0.1:%d", p2), "vcan1", "")
	defer b2.Close()
	fmt.Fprint(b2, "< subscribe 0 0 123 >< echo >")
	if m, _ := readMsg(r2); m != "< echo >" {
		t.Fatal(m)
	}
	waitPeers(t, g, "b", 2)
	time.Sleep(2 * socketcandep.RawHold)
	fmt.Fprint(a1, "< fdsend 123 1 12 0 1 2 3 4 5 6 7 8 9 a ff >< fdsend 123 0 9 1 >< sendrtr 123 1 >")
	time.Sleep(50 * time.Millisecond)
	fmt.Fprint(a2, "< sendrtr 1AAAAAAA 2 >< sendrtr 123 9 >< fdsend 123 0 0 >")
	want := []string{"fdframe 123 01 000102030405060708090AFF", "rtr 1AAAAAAA 2"}
	for _, w := range want {
		b1.SetReadDeadline(time.Now().Add(5 * time.Second))
		m, err := readMsg(r1)
		f := strings.Fields(m)
		if err != nil || len(f) < 5 {
			t.Fatalf("got %q %v, want %s", m, err, w)
		}
		// Drop the timestamp field to compare.
		var got string
		if f[1] == "fdframe" {
			got = strings.Join([]string{f[1], f[2], f[3], f[5]}, " ")
		} else {
			got = strings.Join([]string{f[1], f[2], f[4]}, " ")
		}
		if got != w {
			t.Fatalf("got %q, want %q", m, w)
		}
	}
	// The BCM subscriber to 123 got neither the FD frame nor anything else.
	fmt.Fprint(b2, "< echo >")
	b2.SetReadDeadline(time.Now().Add(5 * time.Second))
	if m, _ := readMsg(r2); m != "< echo >" {
		t.Fatalf("BCM subscriber got %q", m)
	}
	waitFor(t, "counters", func() bool { return endpointStatus(g, "b").FramesOut == 2 })
	a := endpointStatus(g, "a")
	if a.FramesIn != 2 || a.Dropped["malformed"] != 2 {
		t.Fatalf("a %+v, want 2 in, 2 malformed (fdsend len 9, sendrtr dlc 9)", a)
	}
	a2.SetReadDeadline(time.Now().Add(5 * time.Second))
	if m, _ := readMsg(ar2); m != "< error unknown command >" {
		t.Fatalf("fdsend in BCM mode: %q", m)
	}
}

// TestSocketcandNoTaker: a frame no client takes (BCM client without a
// subscription for its ID, a client in control mode) is a no_peer drop,
// not a frame sent; route In = Out + dropped.
func TestSocketcandNoTaker(t *testing.T) {
	p1, p2 := freePort(t, "tcp"), freePort(t, "tcp")
	g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  a: {kind: socketcand, listen: "127.0.0.1:%d", bus: vcan0}
  b: {kind: socketcand, listen: "127.0.0.1:%d", bus: vcan1}
routes:
  - {name: ab, from: [a], to: [b]}
`, p1, p2))
	a, _ := scDial(t, fmt.Sprintf("127.0.0.1:%d", p1), "vcan0", "rawmode")
	defer a.Close()
	b1, r1 := scDial(t, fmt.Sprintf("127.0.0.1:%d", p2), "vcan1", "")
	defer b1.Close()
	b2, _ := scDial(t, fmt.Sprintf("127.0.0.1:%d", p2), "vcan1", "controlmode")
	defer b2.Close()
	fmt.Fprint(b1, "< subscribe 0 0 7FF >< echo >")
	if m, _ := readMsg(r1); m != "< echo >" {
		t.Fatal(m)
	}
	fmt.Fprint(a, "< send 123 1 1 >< send 7FF 1 2 >< send 124 0 >")
	b1.SetReadDeadline(time.Now().Add(5 * time.Second))
	if m, _ := readMsg(r1); !strings.HasPrefix(m, "< frame 7FF ") || !strings.HasSuffix(m, " 02 >") {
		t.Fatalf("subscriber got %q", m)
	}
	waitFor(t, "counters", func() bool { return g.Status().Routes[0].In == 3 && endpointStatus(g, "b").Dropped["no_peer"] == 2 })
	r, b := g.Status().Routes[0], endpointStatus(g, "b")
	if r.Out != 1 || r.Dropped["no_peer"] != 2 || b.FramesOut != 1 {
		t.Fatalf("route %+v endpoint %+v: want 1 out, 2 no_peer", r, b)
	}
}
