package gateway

import (
	"sync/atomic"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/netlinkfam"
)

// countTap counts the frames it sees and remembers their source.
type countTap struct {
	n   atomic.Int64
	src atomic.Uint32
}

func (c *countTap) Observe(fs []frame.Frame) {
	c.n.Add(int64(len(fs)))
	c.src.Store(uint32(fs[0].Source))
}

func TestTapSeesDeliveredFramesWithoutAllocating(t *testing.T) {
	tc := &tryConn{room: func(int) int { return 1 << 30 }}
	g, src, _ := inlineGateway(t, tc, config.Backpressure)
	tc.got = make([]uint32, 0, 1<<20)
	batch := make([]frame.Frame, 64)
	for i := range batch {
		batch[i] = frame.Frame{Type: frame.CAN, ID: 0x123, Len: 8}
	}
	ct := &countTap{}
	g.SetTap(ct)
	g.deliver(src, batch)
	if ct.n.Load() != 64 || ct.src.Load() != uint32(src.idx) || g.EndpointName(uint16(ct.src.Load())) != "a" {
		t.Fatalf("tap saw %d frames from %d (%s), want 64 from %d (a)", ct.n.Load(), ct.src.Load(), g.EndpointName(uint16(ct.src.Load())), src.idx)
	}
	// As TestInlineSendNoAllocs: the best of five rounds.
	for _, tap := range []Tap{ct, nil} {
		g.SetTap(tap)
		best := -1.0
		for range 5 {
			allocs := testing.AllocsPerRun(100, func() { g.deliver(src, batch) })
			if best < 0 || allocs < best {
				best = allocs
			}
			if best == 0 {
				break
			}
		}
		if best != 0 {
			t.Fatalf("deliver with tap %v: %v allocs per batch, want 0", tap, best)
		}
	}
	n := ct.n.Load()
	g.deliver(src, batch)
	if ct.n.Load() != n {
		t.Fatal("a removed tap still sees frames")
	}
}

func TestCANStateOfInterface(t *testing.T) {
	w := &linkWatch{state: map[string]netlinkfam.LinkEvent{
		"can0":  {CAN: &netlinkfam.CANInfo{HasState: true, State: netlinkfam.CANStateBusOff}},
		"vcan0": {CAN: &netlinkfam.CANInfo{}},
	}}
	for iface, want := range map[string]string{"can0": "BUS-OFF", "vcan0": "", "can9": "", "": ""} {
		if got := w.canState(iface); got != want {
			t.Errorf("canState(%q) = %q, want %q", iface, got, want)
		}
	}
	if (*linkWatch)(nil).canState("can0") != "" {
		t.Error("a gateway without a link watcher reports a CAN state")
	}
}
