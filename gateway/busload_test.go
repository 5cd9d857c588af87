package gateway

import (
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/netlinkfam"
)

func TestWireBits(t *testing.T) {
	// One 8-byte frame: 47 + 64 + (34+64)/10 = 120 bits; a 0-byte frame 47 + 3.
	if got := wireBits(1, 8); got != 120 {
		t.Fatalf("8-byte frame: %d bits, want 120", got)
	}
	if got := wireBits(10, 0); got != 470+34 {
		t.Fatalf("10 empty frames: %d bits, want 504", got)
	}
}

func TestBusFramesByKind(t *testing.T) {
	st := &netlinkfam.LinkStats{RxPackets: 100, TxPackets: 40, RxBytes: 800, TxBytes: 320}
	for _, tc := range []struct {
		kind          string
		frames, bytes uint64
	}{
		{"vcan", 40, 320},    // rx is the loopback of tx
		{"vxcan", 140, 1120}, // rx is the peer's tx
		{"can", 140, 1120},   // rx is the other nodes on the bus
	} {
		f, b := busFrames(&netlinkfam.Link{Kind: tc.kind, Stats: st})
		if f != tc.frames || b != tc.bytes {
			t.Errorf("%s: %d frames %d bytes, want %d %d", tc.kind, f, b, tc.frames, tc.bytes)
		}
	}
	if f, b := busFrames(&netlinkfam.Link{Kind: "can"}); f != 0 || b != 0 {
		t.Errorf("no stats: %d %d", f, b)
	}
}

func TestBusLoadRatio(t *testing.T) {
	w := &linkWatch{load: map[string]busLoad{}}
	t0 := time.Unix(1000, 0)
	l := &netlinkfam.Link{Name: "can0", Kind: "can", Stats: &netlinkfam.LinkStats{},
		CAN: &netlinkfam.CANInfo{BitTiming: &netlinkfam.BitTiming{Bitrate: 500000}}}
	w.updateLoad(l, t0)
	// 1000 8-byte frames in 2 s: 47 000 + 64 000 + 9 800 stuff = 120 800 bits, 60 400 bit/s, 12.08 % of 500k.
	l.Stats = &netlinkfam.LinkStats{RxPackets: 600, TxPackets: 400, RxBytes: 4800, TxBytes: 3200}
	w.updateLoad(l, t0.Add(2*time.Second))
	bl, ok := w.loadOf("can0")
	if !ok || bl.bits != 120800 || bl.bps != 60400 || bl.Ratio() != 0.1208 {
		t.Fatalf("got %+v ratio %v", bl, bl.Ratio())
	}
	// A counter reset (interface recreated) gives no rate, not a huge one.
	l.Stats = &netlinkfam.LinkStats{RxPackets: 1}
	w.updateLoad(l, t0.Add(3*time.Second))
	if bl, _ := w.loadOf("can0"); bl.bps != 0 {
		t.Fatalf("after reset: %v bit/s", bl.bps)
	}
	// vcan: no bit rate, ratio -1.
	v := &netlinkfam.Link{Name: "vcan0", Kind: "vcan", Stats: &netlinkfam.LinkStats{}, CAN: &netlinkfam.CANInfo{}}
	w.updateLoad(v, t0)
	if bl, _ := w.loadOf("vcan0"); bl.Ratio() != -1 {
		t.Fatalf("vcan ratio %v", bl.Ratio())
	}
}
