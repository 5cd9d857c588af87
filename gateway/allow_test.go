package gateway

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// allowHarness runs a gateway with one route from an untrusted source to a
// test bus, with the given allow entries and transform (YAML flow mapping
// text, "" for none).
func allowHarness(t testing.TB, allow []string, transform string) (*Gateway, *route, *testBus) {
	t.Helper()
	var quoted []string
	for _, a := range allow {
		quoted = append(quoted, fmt.Sprintf("%q", a))
	}
	route := "{name: r, from: [src], to: [bus], allow: [" + strings.Join(quoted, ", ") + "]"
	if transform != "" {
		route += ", transform: " + transform
	}
	route += "}"
	yaml := "admin: {listen: \"\"}\nendpoints:\n  src: {kind: test-remote, frames: 0}\n  bus: {kind: test-bus}\nroutes:\n  - " + route + "\n"
	cfg, err := config.Parse("allow.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("%s: %v", yaml, err)
	}
	g := New(nil)
	ctx, cancel := context.WithCancel(context.Background())
	if err := g.Start(ctx, cfg); err != nil {
		cancel()
		t.Fatal(err)
	}
	stop := func() { g.Shutdown(); cancel() }
	if c, ok := t.(interface{ Cleanup(func()) }); ok {
		c.Cleanup(stop)
	}
	v, _ := testBuses.Load("bus")
	return g, g.table.Load().routes[0], v.(*testBus)
}

// runThrough delivers frames from src and returns what reached the bus,
// once every frame is accounted for (written or dropped).
func runThrough(t testing.TB, g *Gateway, bus *testBus, frames []frame.Frame) []frame.Frame {
	t.Helper()
	before := bus.count()
	g.deliver(g.eps["src"], frames)
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := g.Status()
		var done uint64
		for _, r := range st.Routes {
			done = r.Out
			for _, n := range r.Dropped {
				done += n
			}
		}
		if done >= uint64(len(frames)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d frames accounted for: %+v", done, len(frames), st.Routes)
		}
		time.Sleep(time.Millisecond)
	}
	bus.mu.Lock()
	defer bus.mu.Unlock()
	return append([]frame.Frame(nil), bus.frames[before:]...)
}

// TestAllowIssueFrames: what the security review wrote onto vcan through
// allow: ["7DF:7FF"] and ["555:7FF"] — extended frames with the same low
// bits, a remote request, error frames — no longer reaches the bus; a
// transform that sets the EFF flag cannot smuggle a frame past the list.
func TestAllowIssueFrames(t *testing.T) {
	ids := []uint32{0x7DF, 0x1FFFF7DF | frame.CANEFFFlag, 0x000027DF | frame.CANEFFFlag, 0x7DF | frame.CANRTRFlag,
		0x7DF | frame.CANERRFlag, 0x1C000555 | frame.CANEFFFlag, 0x009C0555 | frame.CANEFFFlag, 0x555}
	mk := func() []frame.Frame {
		fs := make([]frame.Frame, len(ids))
		for i, id := range ids {
			fs[i] = frame.Frame{Type: frame.CAN, ID: id, Len: 1}
		}
		return fs
	}
	for _, tc := range []struct {
		allow     []string
		transform string
		want      []uint32
	}{
		{[]string{"7DF:7FF"}, "", []uint32{0x7DF}},
		{[]string{"555:7FF"}, "", []uint32{0x555}},
		{[]string{"7DF rtr", "555"}, "", []uint32{0x7DF, 0x7DF | frame.CANRTRFlag, 0x555}},
		{[]string{"any"}, "", []uint32{0x7DF, 0x1FFFF7DF | frame.CANEFFFlag, 0x000027DF | frame.CANEFFFlag, 0x7DF | frame.CANRTRFlag, 0x1C000555 | frame.CANEFFFlag, 0x009C0555 | frame.CANEFFFlag, 0x555}},
		{[]string{"any", "error"}, "", ids},
		// OR sets the EFF flag on every frame: the 11-bit entry no longer
		// admits 0x7DF as written (0x800007DF), the 29-bit one does.
		{[]string{"7DF"}, "{or: {id: 0x80000000}}", nil},
		{[]string{"000007DF"}, "{or: {id: 0x80000000}}", []uint32{0x7DF | frame.CANEFFFlag}},
	} {
		g, _, bus := allowHarness(t, tc.allow, tc.transform)
		var got []uint32
		for _, f := range runThrough(t, g, bus, mk()) {
			got = append(got, f.ID)
		}
		if fmt.Sprintf("%08X", got) != fmt.Sprintf("%08X", tc.want) {
			t.Errorf("allow %v transform %q: bus got %08X, want %08X", tc.allow, tc.transform, got, tc.want)
		}
		if dropped := g.Status().Routes[0].Dropped["not_allowed"]; dropped != uint64(len(ids)-len(tc.want)) {
			t.Errorf("allow %v: not_allowed %d, want %d", tc.allow, dropped, len(ids)-len(tc.want))
		}
		g.Shutdown()
	}
}

// FuzzAllowThroughRoute is the property the issue asks for: for random
// allow lists, transforms and frames (every flag combination), a frame
// reaches the bus exactly when the allow rule admits it as written, i.e.
// after the route's transform; and every other frame is counted.
func FuzzAllowThroughRoute(f *testing.F) {
	f.Add(uint32(0x7DF), uint32(0x7FF), uint32(0x18DA0000), uint8(0), uint8(0), []byte("\x00\x00\x07\xdf\x9f\xff\xf7\xdf\x40\x00\x07\xdf\x20\x00\x07\xdf"))
	f.Add(uint32(0x600), uint32(0x6FF), uint32(0x1FFFFFFF), uint8(5), uint8(1), []byte("\x00\x00\x06\x42\x80\x00\x06\x42"))
	f.Add(uint32(0x100), uint32(0x700), uint32(0x100), uint8(14), uint8(2), []byte("\xc0\x00\x01\x00\x00\x00\x01\x23"))
	f.Add(uint32(0x555), uint32(0x7FF), uint32(0x12345678), uint8(3), uint8(3), []byte("\x9c\x00\x05\x55\x00\x00\x05\x55"))
	f.Fuzz(func(t *testing.T, a, b, c uint32, shape, xshape uint8, ids []byte) {
		hex3 := func(v uint32) string { return fmt.Sprintf("%03X", v&0x7FF) }
		hex8 := func(v uint32) string { return fmt.Sprintf("%08X", v&0x1FFFFFFF) }
		lo, hi := min(a&0x7FF, b&0x7FF), max(a&0x7FF, b&0x7FF)
		var allow []string
		switch shape % 4 {
		case 0:
			allow = append(allow, hex3(a)+":"+hex3(b))
		case 1:
			allow = append(allow, hex3(lo)+"-"+hex3(hi))
		case 2:
			allow = append(allow, hex3(a))
		case 3:
			allow = append(allow, hex8(c)+":"+hex8(b))
		}
		if shape&4 != 0 {
			allow[0] += " rtr"
		}
		if shape&8 != 0 {
			allow = append(allow, "error")
		}
		if shape&16 != 0 {
			ea, ec := a&0x1FFFFFFF, c&0x1FFFFFFF
			allow = append(allow, hex8(min(ea, ec))+"-"+hex8(max(ea, ec)))
		}
		if shape&32 != 0 {
			allow = append(allow, "any")
		}
		transform := ""
		switch xshape % 5 {
		case 1:
			transform = fmt.Sprintf("{remap: [{from: 0x%X, to: 0x%X}]}", a&0x7FF, c&0x1FFFFFFF)
		case 2:
			transform = fmt.Sprintf("{or: {id: 0x%X}}", c&0xE0000000|b&0x7FF)
		case 3:
			transform = fmt.Sprintf("{and: {id: 0x%X}}", c)
		case 4:
			transform = fmt.Sprintf("{set: {id: 0x%X}}", c&0xE00007FF)
		}
		var in []frame.Frame
		for i := 0; i+4 <= len(ids) && len(in) < 64; i += 4 {
			fr := frame.Frame{Type: frame.CAN, ID: binary.BigEndian.Uint32(ids[i:]), Len: 2}
			fr.Data[0], fr.Data[1] = byte(len(in)), byte(i)
			in = append(in, fr)
		}
		if len(in) == 0 {
			return
		}
		g, r, bus := allowHarness(t, allow, transform)
		defer g.Shutdown()
		var want []frame.Frame
		for i := range in {
			w := in[i]
			if r.xform != nil && !r.xform.apply(&w) {
				continue
			}
			if r.allow.AdmitsCAN(w.ID) {
				want = append(want, w)
			}
		}
		got := runThrough(t, g, bus, in)
		if len(got) != len(want) {
			t.Fatalf("allow %v transform %q: %d frames on the bus, rule admits %d", allow, transform, len(got), len(want))
		}
		for i := range got {
			if got[i].ID != want[i].ID || got[i].Data[0] != want[i].Data[0] {
				t.Fatalf("allow %v transform %q: frame %d is %08X/%d, want %08X/%d", allow, transform, i, got[i].ID, got[i].Data[0], want[i].ID, want[i].Data[0])
			}
		}
		st := g.Status().Routes[0]
		if st.Out != uint64(len(want)) || st.Dropped["not_allowed"]+st.Dropped["malformed"] != uint64(len(in)-len(want)) {
			t.Fatalf("route counters %+v for %d in, %d admitted", st, len(in), len(want))
		}
	})
}
