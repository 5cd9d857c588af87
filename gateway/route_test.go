package gateway

import (
	"context"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/allowlist"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

func u32(v uint32) *uint32 { return &v }
func u8(v uint8) *uint8    { return &v }

func TestFilterSemantics(t *testing.T) {
	fs := compileFilters([]config.Filter{{ID: 0x100, Mask: 0x700}, {ID: 0x7DF, Mask: 0x7FF}})
	for id, want := range map[uint32]bool{0x100: true, 0x1FF: true, 0x200: false, 0x7DF: true, 0x7DE: false, frame.CANEFFFlag | 0x100: true} {
		if got := matchAny(fs, id); got != want {
			t.Errorf("id %#x: got %v want %v", id, got, want)
		}
	}
	inv := compileFilters([]config.Filter{{ID: 0x123, Mask: 0x7FF, Inverted: true}})
	if matchAny(inv, 0x123) || !matchAny(inv, 0x124) {
		t.Error("inverted filter")
	}
}

// TestTransformCRC8 checks the CRC8 against the SAE J1850 check value
// (poly 0x1D, init 0xFF, final XOR 0xFF: CRC of "123456789" is 0x4B) and the
// modification order AND, OR, XOR, SET.
func TestTransformCRC8(t *testing.T) {
	var data [64]byte
	copy(data[:], "12345678")
	tr := compileTransform(&config.Transform{
		AND:  &config.Mod{ID: u32(0x7F0)},
		OR:   &config.Mod{ID: u32(0x001)},
		XOR:  &config.Mod{Data: &[64]byte{0, 0, 0, 0, 0, 0, 0, 0}, DataN: 8},
		CRC8: &config.Checksum{From: 0, To: 6, Result: 7, Init: 0xFF, Poly: 0x1D, FinalXOR: 0xFF},
	})
	f := frame.Frame{Type: frame.CAN, ID: 0x12F, Len: 8}
	copy(f.Data[:], "1234567")
	if !tr.apply(&f) {
		t.Fatal("apply failed")
	}
	if f.ID != 0x121 {
		t.Errorf("id %#x, want 0x121 (0x12F & 0x7F0 | 1)", f.ID)
	}
	// CRC over "1234567" then compare with a direct computation of the
	// same algorithm over "123456789" for the check value.
	g := frame.Frame{Type: frame.CANFD, Len: 10}
	copy(g.Data[:], "123456789")
	tr9 := compileTransform(&config.Transform{XOR: &config.Mod{DataN: 1, Data: &[64]byte{}}, CRC8: &config.Checksum{From: 0, To: 8, Result: 9, Init: 0xFF, Poly: 0x1D, FinalXOR: 0xFF}})
	tr9.apply(&g)
	if g.Data[9] != 0x4B {
		t.Errorf("CRC8/SAE-J1850 of 123456789 = %#x, want 0x4b", g.Data[9])
	}
	// XOR checksum with negative indices: bytes 0..len-2 into the last.
	h := frame.Frame{Type: frame.CAN, Len: 4, Data: [frame.MaxData]byte{1, 2, 4}}
	trx := compileTransform(&config.Transform{SET: &config.Mod{Len: u8(4)}, XORCS: &config.Checksum{From: 0, To: -2, Result: -1, Init: 0x10}})
	trx.apply(&h)
	if h.Data[3] != 0x10^1^2^4 {
		t.Errorf("xor checksum %#x", h.Data[3])
	}
	// A SET of len 9 on a classic frame is invalid: the frame is dropped.
	bad := compileTransform(&config.Transform{SET: &config.Mod{Len: u8(9)}})
	if bad.apply(&frame.Frame{Type: frame.CAN, Len: 8}) {
		t.Error("len 9 classic frame accepted")
	}
	// Remap keeps the EFF flag.
	rm := compileTransform(&config.Transform{Remap: []config.Remap{{From: 0x100, To: 0x200}}})
	e := frame.Frame{Type: frame.CAN, ID: frame.CANEFFFlag | 0x100}
	rm.apply(&e)
	if e.ID != frame.CANEFFFlag|0x200 || rm.mapID(0x100) != 0x200 || rm.mapID(0x101) != 0x101 {
		t.Errorf("remap %#x", e.ID)
	}
}

func TestLimiter(t *testing.T) {
	l := newLimiter(config.Rate{PerSecond: 100, Burst: 5})
	now := time.Now().UnixNano()
	n := 0
	for range 20 {
		if l.allow(now) {
			n++
		}
	}
	if n != 5 {
		t.Fatalf("burst allowed %d, want 5", n)
	}
	if !l.allow(now + 10e6) { // 10 ms later: one token
		t.Fatal("token not refilled")
	}
	if l.allow(now + 10e6) {
		t.Fatal("second frame in the same instant allowed")
	}
}

func TestQueuePolicies(t *testing.T) {
	ctx := context.Background()
	fill := func(q *queue) {
		for i := range 4 {
			f := frame.Frame{ID: uint32(i)}
			q.push(ctx, &f, uint16(i), nil)
		}
	}
	// drop-oldest evicts route 0's frame for the fifth.
	q := newQueue(config.Queue{Size: 4, Overflow: config.DropOldest})
	fill(q)
	f := frame.Frame{ID: 9}
	ok, _, ev, er := q.push(ctx, &f, 7, nil)
	if !ok || !ev || er != 0 {
		t.Fatalf("drop-oldest: ok %v evicted %v route %d", ok, ev, er)
	}
	out := make([]frame.Frame, 8)
	n, _ := q.pop(ctx, out)
	if n != 4 || out[0].ID != 1 || out[3].ID != 9 || out[3].Route != 7 {
		t.Fatalf("drop-oldest contents: %d %v", n, out[:n])
	}
	// drop-newest refuses the fifth.
	q = newQueue(config.Queue{Size: 4, Overflow: config.DropNewest})
	fill(q)
	if ok, _, ev, _ := q.push(ctx, &f, 7, nil); ok || ev {
		t.Fatal("drop-newest accepted into a full queue")
	}
	// backpressure waits until a pop makes room, or the context ends.
	q = newQueue(config.Queue{Size: 4, Overflow: config.Backpressure})
	fill(q)
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	if ok, _, _, _ := q.push(cctx, &f, 7, nil); ok {
		t.Fatal("backpressure push succeeded on a full queue")
	}
	cancel()
	done := make(chan bool)
	go func() {
		ok, _, _, _ := q.push(ctx, &f, 7, nil)
		done <- ok
	}()
	time.Sleep(10 * time.Millisecond)
	q.pop(ctx, out[:1])
	if !<-done {
		t.Fatal("backpressure push not released by pop")
	}
}

// TestAllowAndRateDrops: a network → bus route drops what its allow list
// does not cover and what exceeds its rate, each counted.
func TestAllowAndRateDrops(t *testing.T) {
	g := New(nil)
	cfg, err := config.Parse("t.yaml", []byte(`
admin: {listen: ""}
endpoints:
  net: {kind: tcp, listen: "127.0.0.1:0"}
  bus: {kind: log, path: "`+t.TempDir()+`/bus.log"}
routes:
  - {name: r, from: [net], to: [bus], allow: ["100:700"], rate: {frames_per_second: 1, burst: 3}}
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := g.Start(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	defer g.Shutdown()
	// The log endpoint is not a bus: mark the route guarded as it would be
	// for a can destination, to test the allow list without CAN.
	tb := g.table.Load()
	tb.routes[0].guard[0] = true
	fs := []frame.Frame{{Type: frame.CAN, ID: 0x100}, {Type: frame.CAN, ID: 0x200}, {Type: frame.CAN, ID: 0x1FF}, {Type: frame.CAN, ID: 0x150}, {Type: frame.CAN, ID: 0x160}}
	g.deliver(g.eps["net"], fs)
	waitFor(t, "written", func() bool { return g.Status().Routes[0].Out == 2 })
	r := g.Status().Routes[0]
	// Rate first (3 tokens: 0x100, 0x200, 0x1FF pass it; 0x150, 0x160 are
	// rate-limited), then allow (0x200 is not in 100:700).
	if r.In != 5 || r.Out != 2 || r.Dropped["rate_limit"] != 2 || r.Dropped["not_allowed"] != 1 {
		t.Fatalf("route %+v", r)
	}
}

// TestAllowed checks the network → destination allow decision: CAN IDs
// against id/mask entries, Ethernet frames by outer ethertype onto a packet
// endpoint (CAN frames and runt frames never), and allow: [any].
func TestAllowed(t *testing.T) {
	const pkt, bus = 0, 1 // destination indexes: an Ethernet interface, a CAN bus
	eth := func(et uint16, n uint16) *frame.Frame {
		f := &frame.Frame{Type: frame.Ethernet, Len: n}
		f.Data[12], f.Data[13] = byte(et>>8), byte(et)
		return f
	}
	ether := []bool{true, false}
	r := &route{allow: &allowlist.List{EtherTypes: []uint16{0x88b5, 0x0806}}, ether: ether}
	if err := r.allow.ParseEntry("100:700"); err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		f    *frame.Frame
		d    int
		want bool
	}{
		{eth(0x88b5, 60), pkt, true},
		{eth(0x0806, 42), pkt, true},
		{eth(0x0800, 60), pkt, false},
		{eth(0x8100, 64), pkt, false}, // a VLAN tag needs 0x8100 listed
		{eth(0x88b5, 13), pkt, false}, // no complete header
		{&frame.Frame{Type: frame.CAN, ID: 0x1B5, Len: 8}, pkt, false},
		{&frame.Frame{Type: frame.CAN, ID: 0x1B5, Len: 8}, bus, true},
		{&frame.Frame{Type: frame.CAN, ID: 0x2B5, Len: 8}, bus, false},
	} {
		if got := r.allowed(tc.f, tc.d); got != tc.want {
			t.Errorf("case %d: got %v, want %v", i, got, tc.want)
		}
	}
	anyr := &route{allow: &allowlist.List{Any: true}, ether: ether}
	if !anyr.allowed(eth(0x0800, 60), pkt) || !anyr.allowed(&frame.Frame{Type: frame.CAN, ID: 0x7FF}, bus) {
		t.Error("allow: [any] refused a frame")
	}
	none := &route{allow: &allowlist.List{}, ether: ether}
	if none.allowed(eth(0x88b5, 60), pkt) || none.allowed(&frame.Frame{Type: frame.CAN, ID: 0x100}, bus) {
		t.Error("an empty allow list let a frame through")
	}
}
