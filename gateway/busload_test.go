package gateway

import (
	"encoding/binary"
	"errors"
	"syscall"
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

// canLinkReply builds an RTM_NEWLINK reply for a CAN link of kind kind
// with the given counters and bit rate (0: no IFLA_CAN_BITTIMING).
func canLinkReply(seq uint32, kind string, st [4]uint64, bitrate uint32) []byte {
	attr := func(typ uint16, v []byte) []byte {
		b := binary.NativeEndian.AppendUint16(nil, uint16(4+len(v)))
		b = binary.NativeEndian.AppendUint16(b, typ)
		b = append(b, v...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	var stats []byte
	for _, v := range st {
		stats = binary.NativeEndian.AppendUint64(stats, v)
	}
	stats = append(stats, make([]byte, 160)...) // the rest of rtnl_link_stats64
	info := attr(iflaInfoKind, append([]byte(kind), 0))
	if bitrate != 0 {
		bt := binary.NativeEndian.AppendUint32(nil, bitrate)
		bt = append(bt, make([]byte, 28)...)
		info = append(info, attr(iflaInfoData|0x8000, attr(iflaCANBT, bt))...)
	}
	body := make([]byte, ifInfoMsgLen)
	binary.NativeEndian.PutUint16(body[2:], arphrdCAN)
	body = append(body, attr(iflaIfname, []byte("can0\x00"))...)
	body = append(body, attr(iflaStats64, stats)...)
	body = append(body, attr(iflaLinkinfo|0x8000, info)...)
	h := binary.NativeEndian.AppendUint32(nil, uint32(nlmsgHdrLen+len(body)))
	h = binary.NativeEndian.AppendUint16(h, rtmNewLink)
	h = binary.NativeEndian.AppendUint16(h, 0)
	h = binary.NativeEndian.AppendUint32(h, seq)
	h = binary.NativeEndian.AppendUint32(h, 0)
	return append(h, body...)
}

func TestParseLinkReply(t *testing.T) {
	var s linkSample
	if err := parseLinkReply(canLinkReply(7, "can", [4]uint64{600, 400, 4800, 3200}, 500000), 7, &s); err != nil {
		t.Fatal(err)
	}
	if s.ifType != arphrdCAN || !s.kindIs("can") || s.bitrate != 500000 {
		t.Fatalf("%+v", s)
	}
	if f, b := s.frames(); f != 1000 || b != 8000 {
		t.Fatalf("can: %d frames %d bytes, want 1000 8000", f, b)
	}
	if err := parseLinkReply(canLinkReply(8, "vcan", [4]uint64{40, 40, 320, 320}, 0), 8, &s); err != nil {
		t.Fatal(err)
	}
	if f, b := s.frames(); !s.kindIs("vcan") || s.bitrate != 0 || f != 40 || b != 320 {
		t.Fatalf("vcan: %+v, %d frames %d bytes, want 40 320 (transmit side only)", s, f, b)
	}
	if err := parseLinkReply(canLinkReply(8, "vcan", [4]uint64{}, 0), 9, &s); err != errStaleReply {
		t.Fatalf("another sequence number: %v, want errStaleReply", err)
	}
	nack := binary.NativeEndian.AppendUint32(nil, 36)
	nack = binary.NativeEndian.AppendUint16(nack, nlmsgError)
	nack = binary.NativeEndian.AppendUint16(nack, 0)
	nack = binary.NativeEndian.AppendUint32(nack, 3)
	nack = binary.NativeEndian.AppendUint32(nack, 0)
	nack = binary.NativeEndian.AppendUint32(nack, uint32(0xffffffed)) // -19, ENODEV
	nack = append(nack, make([]byte, 16)...)
	if err := parseLinkReply(nack, 3, &s); !errors.Is(err, syscall.Errno(19)) {
		t.Fatalf("NLMSG_ERROR -19: %v, want errno 19", err)
	}
	good := canLinkReply(1, "can", [4]uint64{1, 2, 3, 4}, 125000)
	for _, n := range []int{0, 10, 20, 40, len(good) - 1} {
		if err := parseLinkReply(good[:n], 1, &s); err == nil {
			t.Errorf("reply cut to %d of %d bytes: no error", n, len(good))
		}
	}
	if a := testing.AllocsPerRun(100, func() { parseLinkReply(good, 1, &s) }); a != 0 {
		t.Errorf("parseLinkReply allocates %.1f times", a)
	}
}

// FuzzParseLinkReply: no input panics, and a decoded link's counters come
// from within the message.
func FuzzParseLinkReply(f *testing.F) {
	f.Add(canLinkReply(1, "can", [4]uint64{600, 400, 4800, 3200}, 500000))
	f.Add(canLinkReply(1, "vcan", [4]uint64{1, 2, 3, 4}, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s linkSample
		if err := parseLinkReply(b, 1, &s); err == nil && s.hasStats && len(b) < nlmsgHdrLen+ifInfoMsgLen+36 {
			t.Fatalf("stats decoded from %d bytes", len(b))
		}
	})
}
