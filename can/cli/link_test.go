package cli

import (
	"reflect"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/netlinkfam"
)

func TestParseLinkSet(t *testing.T) {
	req, err := parseLinkSet(strings.Fields("can0 down type can bitrate 500000 sample-point 0.875 restart-ms 100 loopback on one-shot off dbitrate 2000000 dsample-point 0.75 termination 120 up"))
	if err != nil {
		t.Fatal(err)
	}
	ms, term := uint32(100), uint16(120)
	want := &linkSetRequest{name: "can0", down: true, up: true, can: &netlinkfam.CANConfig{
		BitTiming:     &netlinkfam.BitTiming{Bitrate: 500000, SamplePoint: 875},
		DataBitTiming: &netlinkfam.BitTiming{Bitrate: 2000000, SamplePoint: 750},
		CtrlModeMask:  netlinkfam.CtrlModeLoopback | netlinkfam.CtrlModeOneShot,
		CtrlMode:      netlinkfam.CtrlModeLoopback,
		RestartMs:     &ms,
		Termination:   &term,
	}}
	if !reflect.DeepEqual(req, want) {
		t.Fatalf("got %+v\nwant %+v", req.can, want.can)
	}
	req, err = parseLinkSet(strings.Fields("can1 tq 125 prop-seg 6 phase-seg1 7 phase-seg2 2 sjw 1"))
	if err != nil || *req.can.BitTiming != (netlinkfam.BitTiming{TQ: 125, PropSeg: 6, PhaseSeg1: 7, PhaseSeg2: 2, SJW: 1}) {
		t.Fatalf("full timing: %+v, %v", req, err)
	}
}

func TestParseLinkSetTDC(t *testing.T) {
	req, err := parseLinkSet(strings.Fields("can0 fd on tdc-mode manual tdcv 5 tdco 10"))
	if err != nil {
		t.Fatal(err)
	}
	c := req.can
	if c.CtrlModeMask != netlinkfam.CtrlModeFD|netlinkfam.CtrlModeTDCAuto|netlinkfam.CtrlModeTDCManual ||
		c.CtrlMode != netlinkfam.CtrlModeFD|netlinkfam.CtrlModeTDCManual || *c.TDC.TDCV != 5 || *c.TDC.TDCO != 10 || c.TDC.TDCF != nil {
		t.Fatalf("cfg = %+v tdc %+v", c, c.TDC)
	}
}

func TestParseLinkSetErrors(t *testing.T) {
	tests := []struct{ args, want string }{
		{"", "missing interface name"},
		{"can0", "nothing to change"},
		{"can0 bitrate", "bitrate needs a value: bitrate bits per second"},
		{"can0 bitrate fast", `bitrate "fast": want bits per second`},
		{"can0 bitrate 500000 sample-point 87.5", `sample-point "87.5": want a fraction 0.000..0.999`},
		{"can0 sample-point 0.8", "need bitrate BPS or tq NS"},
		{"can0 dsjw 2", "need dbitrate BPS or dtq NS"},
		{"can0 loopback yes", `loopback "yes": want on or off`},
		{"can0 frobnicate on", `unknown argument "frobnicate"`},
		{"can0 type vcan", `type "vcan": only "type can"`},
		{"can0 termination 70000", `termination "70000": want ohms`},
		{"can0 bitrate 500000 tq 100", "exclusive"},
		{"can0 tq 100", "TQ needs PhaseSeg1 and PhaseSeg2"},
		{"can0 tdc-mode sometimes", `tdc-mode "sometimes": want auto, manual or off`},
		{"can0 tdcv x", `tdcv "x": want minimum time quanta`},
	}
	for _, tt := range tests {
		_, err := parseLinkSet(strings.Fields(tt.args))
		var ue interface{ ExitCode() int }
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want containing %q", tt.args, err, tt.want)
		} else if ok := asExit(err, &ue); !ok || ue.ExitCode() != 2 {
			t.Errorf("%q: %v is not a usage error", tt.args, err)
		}
	}
}

func asExit(err error, target *interface{ ExitCode() int }) bool {
	e, ok := err.(interface{ ExitCode() int })
	if ok {
		*target = e
	}
	return ok
}

func TestFormatLink(t *testing.T) {
	l := &netlinkfam.Link{Index: 5, Name: "can0", Kind: "can", Up: true, LowerUp: true, Flags: 0x100c1, MTU: 16,
		OperState: netlinkfam.OperUp, CAN: &netlinkfam.CANInfo{
			BitTiming:      &netlinkfam.BitTiming{Bitrate: 500000, SamplePoint: 875, TQ: 125, PropSeg: 6, PhaseSeg1: 7, PhaseSeg2: 2, SJW: 1, BRP: 1},
			BitTimingConst: &netlinkfam.BitTimingConst{Name: "sja1000", TSeg1Min: 1, TSeg1Max: 16, TSeg2Min: 1, TSeg2Max: 8, SJWMax: 4, BRPMin: 1, BRPMax: 64, BRPInc: 1},
			ClockHz:        8000000, HasState: true, State: netlinkfam.CANStateErrorActive,
			CtrlMode: netlinkfam.CtrlModeOneShot, RestartMs: 100, BerrCounter: &netlinkfam.BerrCounter{TxErr: 1, RxErr: 2},
			Stats: &netlinkfam.DeviceStats{Restarts: 3}}}
	want := "5: can0: <UP,LOWER_UP,NOARP> mtu 16 state UP kind can\n" +
		"    can <ONE-SHOT> state ERROR-ACTIVE (berr-counter tx 1 rx 2) restart-ms 100\n" +
		"\t  bitrate 500000 sample-point 0.875\n" +
		"\t  tq 125 prop-seg 6 phase-seg1 7 phase-seg2 2 sjw 1 brp 1\n" +
		"\t  sja1000: tseg1 1..16 tseg2 1..8 sjw 1..4 brp 1..64 brp_inc 1\n" +
		"\t  clock 8000000\n" +
		"\t  re-started bus-errors arbit-lost error-warn error-pass bus-off\n" +
		"\t  3          0          0          0          0          0         \n"
	if got := formatLink(l); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
