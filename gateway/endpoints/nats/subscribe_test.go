//go:build !hil

package nats_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	natsio "github.com/nats-io/nats.go"

	"github.com/fieldgate/fieldgate/gateway/busmsg"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

// subscriber starts a gateway whose nats endpoint "sub" (a client of an
// embedded server run by a second endpoint "srv") subscribes to
// in.> and routes to the test bus busName with routeExtra, and a plain
// client to publish with.
func subscriber(t *testing.T, enc, busName, routeExtra, subExtra string) (*natsio.Conn, func() (bus *gatewaytest.Bus, st func() map[string]uint64)) {
	t.Helper()
	port := gatewaytest.FreePort(t, "tcp")
	g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  srv: {kind: nats, gateway: s, server: {listen: "127.0.0.1:%[1]d", max_payload: 64KiB}}
  sub: {kind: nats, gateway: s, url: "nats://127.0.0.1:%[1]d", encoding: %[2]s, subscribe: ["in.>"] %[5]s}
  %[3]s: {kind: test-bus}
routes:
  - {name: r, from: [sub], to: [%[3]s] %[4]s}
`, port, enc, busName, routeExtra, subExtra))
	waitSubscribed(t, g, "sub")
	nc, err := natsio.Connect(fmt.Sprintf("nats://127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc, func() (*gatewaytest.Bus, func() map[string]uint64) {
		return gatewaytest.BusOf(t, busName), func() map[string]uint64 {
			s := gatewaytest.EndpointStatus(g, "sub")
			m := map[string]uint64{"in": s.FramesIn, "gaps": s.SeqGaps}
			for k, v := range s.Dropped {
				m[k] = v
			}
			for _, r := range g.Status().Routes {
				if r.Name == "r" {
					for k, v := range r.Dropped {
						m["route_"+k] = v
					}
				}
			}
			return m
		}
	}
}

func pubJSON(t *testing.T, nc *natsio.Conn, subj string, objs ...string) {
	t.Helper()
	for _, o := range objs {
		if err := nc.Publish(subj, []byte(o)); err != nil {
			t.Fatal(err)
		}
	}
	nc.Flush()
}

// TestAllowApplies: frames from a nats subscription reach a bus only
// through the route's allow list. Without allow, nothing is written and
// every frame is counted not_allowed; with allow: ["123"], only 11-bit
// data frame 0x123 passes (not its 29-bit namesake, a remote request or
// an error frame).
func TestAllowApplies(t *testing.T) {
	objs := []string{
		`{"kind":"can","id":"123","data":"01"}`,
		`{"kind":"can","id":"00000123","ext":true,"data":"02"}`,
		`{"kind":"can","id":"123","rtr":true,"len":1}`,
		`{"kind":"can","id":"20000123","err":true,"data":"0000000000000000"}`,
		`{"kind":"can","id":"124","data":"03"}`,
		`{"kind":"can","id":"123","data":"04"}`,
	}
	t.Run("none", func(t *testing.T) {
		nc, get := subscriber(t, "json", "bus-noallow", "", "")
		pubJSON(t, nc, "in.x", objs...)
		b, st := get()
		waitFor(t, "frames counted", 30*time.Second, func() bool { return st()["in"] == uint64(len(objs)) })
		waitFor(t, "drops counted", 30*time.Second, func() bool { return st()["route_not_allowed"] == uint64(len(objs)) })
		time.Sleep(50 * time.Millisecond)
		if n := b.Len(); n != 0 {
			t.Fatalf("%d frames written without allow", n)
		}
	})
	t.Run("123", func(t *testing.T) {
		nc, get := subscriber(t, "json", "bus-allow123", `, allow: ["123"]`, "")
		pubJSON(t, nc, "in.x", objs...)
		b, st := get()
		waitFor(t, "frames counted", 30*time.Second, func() bool { return st()["in"] == uint64(len(objs)) })
		waitFor(t, "two frames", 30*time.Second, func() bool { return b.Len() == 2 })
		time.Sleep(50 * time.Millisecond)
		got := b.Frames()
		if len(got) != 2 || got[0].String() != "123#01" || got[1].String() != "123#04" {
			t.Fatalf("written: %v", got)
		}
		if s := st(); s["route_not_allowed"] != 4 {
			t.Fatalf("counters %v", s)
		}
	})
}

// TestMalformedAndOversize: undecodable messages on a subscribed subject
// are counted malformed, one each, and change nothing on the bus; a
// message over max_message is counted oversize; a message over the
// server's max_payload is refused by the server (the publisher gets the
// error); good messages around them arrive.
func TestMalformedAndOversize(t *testing.T) {
	t.Run("binary", func(t *testing.T) {
		nc, get := subscriber(t, "binary", "bus-malformed-bin", ", allow: [any]", ", max_message: 2KiB")
		good := busmsg.BeginBinary(nil, 1, 5)
		f := frame.Frame{Type: frame.CAN, ID: 0x321, Len: 1}
		f.Data[0] = 0x42
		good, _ = busmsg.AppendBinary(good, &f)
		bad := [][]byte{
			nil, []byte("hello"), good[:len(good)-1], append(bytes.Clone(good), 0),
			func() []byte { b := bytes.Clone(good); b[0] = 9; return b }(),
			func() []byte { b := bytes.Clone(good); b[busmsg.BinaryHeaderLen+1] = 1; return b }(),
		}
		nc.Publish("in.a", good)
		for _, b := range bad {
			nc.Publish("in.a", b)
		}
		// Encoded as json, says its header.
		m := natsio.NewMsg("in.a")
		m.Header.Set(busmsg.HeaderEncoding, "json")
		m.Data = good
		nc.PublishMsg(m)
		// Over max_message (2 KiB), under the server's max_payload.
		big := busmsg.BeginBinary(nil, 2, 5)
		for range 40 {
			g := frame.Frame{Type: frame.CANFD, ID: 0x100, Len: 64}
			big, _ = busmsg.AppendBinary(big, &g)
		}
		nc.Publish("in.a", big)
		// Over the server's max_payload (64 KiB): refused by the server.
		if err := nc.Publish("in.a", make([]byte, 65<<10)); err == nil || !strings.Contains(err.Error(), "maximum payload") {
			t.Errorf("oversize publish: %v", err)
		}
		g2 := good
		g2[9] = 2 // sequence 2: no gap after 1
		nc.Publish("in.a", g2)
		nc.Flush()
		b, st := get()
		want := map[string]uint64{"in": 2, "gaps": 0, "malformed": uint64(len(bad) + 1), "oversize": 1}
		waitCounters(t, st, want)
		waitFor(t, "frames on the bus", 20*time.Second, func() bool { return b.Len() >= 2 }) // counted in before written
		if got := b.Frames(); len(got) != 2 || got[0].String() != "321#42" || got[1].String() != "321#42" {
			t.Fatalf("bus: %v", got)
		}
	})
	t.Run("json", func(t *testing.T) {
		nc, get := subscriber(t, "json", "bus-malformed-json", ", allow: [any]", "")
		pubJSON(t, nc, "in.b", `{"kind":"can","id":"1","data":"01","seq":1}`, `{"kind":"can","id":"800"}`, `not json`,
			`{"kind":"can","id":"1","data":"01","x":1}`, `{"kind":"can","id":"1","data":"02","seq":2}`)
		b, st := get()
		want := map[string]uint64{"in": 2, "gaps": 0, "malformed": 3}
		waitCounters(t, st, want)
		waitFor(t, "frames on the bus", 20*time.Second, func() bool { return b.Len() >= 2 })
		if got := b.Frames(); len(got) != 2 || got[1].String() != "001#02" {
			t.Fatalf("bus: %v", got)
		}
	})
}

// TestSeqGaps: frames missing in a publisher's sequence are counted
// exactly; repeats and late messages count nothing; each session is
// followed on its own.
func TestSeqGaps(t *testing.T) {
	nc, get := subscriber(t, "binary", "bus-gaps", ", allow: [any]", "")
	msg := func(session string, seq uint64, n int) {
		b := busmsg.BeginBinary(nil, seq, 0)
		for range n {
			f := frame.Frame{Type: frame.CAN, ID: 1}
			b, _ = busmsg.AppendBinary(b, &f)
		}
		m := natsio.NewMsg("in.g")
		m.Header.Set(busmsg.HeaderSession, session)
		m.Data = b
		if err := nc.PublishMsg(m); err != nil {
			t.Fatal(err)
		}
	}
	msg("a", 1, 3)  // 1-3
	msg("a", 4, 2)  // 4-5
	msg("a", 10, 1) // 6-9 missing: 4
	msg("a", 7, 1)  // late: nothing
	msg("a", 10, 1) // repeat: nothing
	msg("b", 100, 5)
	msg("b", 106, 1) // 105 missing: 1
	msg("a", 13, 2)  // 11-12 missing: 2
	nc.Flush()
	_, st := get()
	waitFor(t, "frames", 30*time.Second, func() bool { return st()["in"] == 16 })
	if g := st()["gaps"]; g != 7 {
		t.Fatalf("gaps %d, want 7", g)
	}
}

// waitCounters waits until the counters st returns are want.
func waitCounters(t *testing.T, st func() map[string]uint64, want map[string]uint64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for fmt.Sprint(st()) != fmt.Sprint(want) {
		if time.Now().After(deadline) {
			t.Fatalf("counters %v, want %v", st(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
