package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway"
	"github.com/fieldgate/fieldgate/gateway/cannelloni"
	"github.com/fieldgate/fieldgate/gateway/config"

	_ "github.com/fieldgate/fieldgate/gateway/endpoints/all"
)

// testRig is a gateway with a udp source ("link", fed by the test) routed
// to a udp sink ("out", pointed at a socket nobody reads; ID 0x666 is
// filtered out, a no_route drop at link), its admin
// handler with the console mounted, served on a loopback port.
type testRig struct {
	g     *gateway.Gateway
	con   *Console
	admin *gateway.AdminHandler
	base  string // http://127.0.0.1:PORT
	tx    *net.UDPConn
	sink  *net.UDPConn
	seq   uint8
}

// freeUDPPort returns a loopback UDP port that was free a moment ago.
func freeUDPPort(t testing.TB) int {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func startRig(t testing.TB, admin config.Admin) *testRig {
	t.Helper()
	return startRigWith(t, admin, "")
}

// startRigWith is startRig with more YAML: endpoint lines (two spaces in)
// and, after a line "routes:", route lines.
func startRigWith(t testing.TB, admin config.Admin, extra string) *testRig {
	t.Helper()
	sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	dbc, _ := filepath.Abs("testdata/console.dbc")
	port := freeUDPPort(t)
	eps, routes, _ := strings.Cut(extra, "routes:\n")
	cfg, err := config.Parse("console-test.yaml", []byte(fmt.Sprintf(`
admin: {listen: "127.0.0.1:9108", console: {dbc: %q}}
endpoints:
  link: {kind: udp, listen: "127.0.0.1:%d"}
  out: {kind: udp, listen: "127.0.0.1:0", peer: %q, coalesce: 0}
%s
routes:
  - {name: link-to-out, from: [link], to: [out], filters: ["666~7FF"]}
%s
`, dbc, port, sink.LocalAddr().String(), eps, routes)))
	if err != nil {
		t.Fatal(err)
	}
	g := gateway.New(nil)
	ctx, cancel := context.WithCancel(context.Background())
	if err := g.Start(ctx, cfg); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Shutdown(); cancel() })
	h := g.AdminHandler(func() error { return nil })
	if admin.Listen == "" {
		admin.Listen = "127.0.0.1:0"
	}
	sec, err := gateway.NewAdminSecurity(admin)
	if err != nil {
		t.Fatal(err)
	}
	h.SetSecurity(sec)
	con := New(g, h, nil)
	go con.Run(ctx)
	h.Handle("/", con)
	// Served on loopback whatever admin.listen says: the security rules
	// follow the configured address, so a test can check those beyond
	// loopback without exposing a port.
	addr, err := gateway.ServeAdmin(ctx, "127.0.0.1:0", h, false)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Close() })
	return &testRig{g: g, con: con, admin: h, base: "http://" + addr.String(), tx: tx, sink: sink}
}

// send sends frames as one cannelloni datagram.
func (r *testRig) send(t testing.TB, fs ...cannelloni.Frame) {
	t.Helper()
	b := cannelloni.AppendHeader(nil, r.seq, uint16(len(fs)))
	r.seq++
	for i := range fs {
		b = cannelloni.AppendFrame(b, &fs[i])
	}
	if _, err := r.tx.Write(b); err != nil {
		t.Fatal(err)
	}
}

// canFrame returns a classic CAN frame.
func canFrame(id uint32, data ...byte) cannelloni.Frame {
	f := cannelloni.Frame{ID: id, Len: uint8(len(data))}
	copy(f.Data[:], data)
	return f
}

// status fetches /status.
func (r *testRig) status(t testing.TB) gateway.Status {
	t.Helper()
	resp, err := http.Get(r.base + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st gateway.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// endpoint returns the status of endpoint name.
func endpointOf(st gateway.Status, name string) gateway.EndpointStatus {
	for _, e := range st.Endpoints {
		if e.Name == name {
			return e
		}
	}
	return gateway.EndpointStatus{}
}

// waitFor polls cond until it holds or 30 s pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
