package netlinkfam

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// unhex decodes a hex string with optional spaces and newlines.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad test vector: %v", err)
	}
	return b
}

// littleEndian skips tests whose vectors were computed by hand for a
// little-endian host (the kernel's structures are in host byte order).
func littleEndian(t *testing.T) {
	t.Helper()
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("hand-computed vectors are little-endian")
	}
}

func u32(v uint32) *uint32 { return &v }
func u16(v uint16) *uint16 { return &v }

func TestEncodeCANConfigBytes(t *testing.T) {
	littleEndian(t)
	tests := []struct {
		name string
		cfg  *CANConfig
		want string
	}{
		{
			name: "bitrate sample-point ctrlmode restart-ms",
			cfg: &CANConfig{
				BitTiming:    &BitTiming{Bitrate: 500000, SamplePoint: 875},
				CtrlModeMask: CtrlModeLoopback | CtrlModeOneShot,
				CtrlMode:     CtrlModeLoopback,
				RestartMs:    u32(100),
			},
			want: `
			24000100 20a10700 6b030000 00000000 00000000 00000000 00000000 00000000 00000000
			0c000500 09000000 01000000
			08000600 64000000`,
		},
		{
			name: "full timing and FD data timing",
			cfg: &CANConfig{
				BitTiming:     &BitTiming{TQ: 125, PropSeg: 6, PhaseSeg1: 7, PhaseSeg2: 2, SJW: 1},
				DataBitTiming: &BitTiming{Bitrate: 2000000, SamplePoint: 750},
				CtrlModeMask:  CtrlModeFD,
				CtrlMode:      CtrlModeFD,
			},
			want: `
			24000100 00000000 00000000 7d000000 06000000 07000000 02000000 01000000 00000000
			24000900 80841e00 ee020000 00000000 00000000 00000000 00000000 00000000 00000000
			0c000500 20000000 20000000`,
		},
		{
			name: "fd with manual tdc",
			cfg: &CANConfig{
				CtrlModeMask: CtrlModeFD | CtrlModeTDCManual,
				CtrlMode:     CtrlModeFD | CtrlModeTDCManual,
				TDC:          &TDCConfig{TDCV: u32(5), TDCO: u32(10)},
			},
			want: `
			0c000500 20040000 20040000
			14001080 08000700 05000000 08000800 0a000000`,
		},
		{
			name: "restart and termination",
			cfg:  &CANConfig{Restart: true, Termination: u16(120)},
			want: `08000700 01000000 06000b00 78000000`,
		},
		{
			name: "restart-ms 0 switches auto restart off",
			cfg:  &CANConfig{RestartMs: u32(0)},
			want: `08000600 00000000`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodeCANConfig(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if want := unhex(t, tt.want); !bytes.Equal(got, want) {
				t.Fatalf("bytes:\n got %x\nwant %x", got, want)
			}
		})
	}
}

func TestEncodeCANConfigErrors(t *testing.T) {
	tests := []struct {
		cfg  *CANConfig
		want string
	}{
		{nil, "changes nothing"},
		{&CANConfig{}, "changes nothing"},
		{&CANConfig{BitTiming: &BitTiming{}}, "BitTiming: set Bitrate"},
		{&CANConfig{BitTiming: &BitTiming{Bitrate: 1, TQ: 1}}, "exclusive"},
		{&CANConfig{BitTiming: &BitTiming{Bitrate: 500000, SamplePoint: 1000}}, "BitTiming.SamplePoint 1000"},
		{&CANConfig{DataBitTiming: &BitTiming{TQ: 100}}, "DataBitTiming: TQ needs"},
		{&CANConfig{CtrlMode: CtrlModeFD}, "outside CtrlModeMask"},
	}
	for _, tt := range tests {
		_, err := EncodeCANConfig(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("EncodeCANConfig(%+v) = %v, want error containing %q", tt.cfg, err, tt.want)
		}
	}
}

func TestEncodeSetCANBytes(t *testing.T) {
	littleEndian(t)
	got, err := encodeSetCAN(3, &CANConfig{RestartMs: u32(100)})
	if err != nil {
		t.Fatal(err)
	}
	want := unhex(t, `
	00000000 03000000 00000000 00000000
	18001280
	  08000100 63616e00
	  0c000280 08000600 64000000`)
	if !bytes.Equal(got, want) {
		t.Fatalf("bytes:\n got %x\nwant %x", got, want)
	}
}

func TestEncodeNewPairBytes(t *testing.T) {
	littleEndian(t)
	got, err := encodeNewPair("vxcan", "vxcan0", &PeerConfig{Name: "vxcan1", NetNS: 7})
	if err != nil {
		t.Fatal(err)
	}
	exp := buildExpectedPair(t)
	if !bytes.Equal(got, exp) {
		t.Fatalf("bytes:\n got %x\nwant %x", got, exp)
	}
	if _, err := encodeNewPair("vxcan", "bad/name", nil); err == nil || !strings.Contains(err.Error(), `name "bad/name"`) {
		t.Errorf("bad name: err = %v", err)
	}
	if _, err := encodeNewPair("vxcan", "a", &PeerConfig{Name: "0123456789abcdef"}); err == nil || !strings.Contains(err.Error(), "peer name") {
		t.Errorf("long peer name: err = %v", err)
	}
}

// buildExpectedPair spells out the vxcan0/vxcan1 request byte by byte.
func buildExpectedPair(t *testing.T) []byte {
	return unhex(t, `
	00000000 00000000 00000000 00000000
	0b000300 76786361 6e300000
	3c001280
	  0a000100 76786361 6e000000
	  2c000280
	    28000180
	      00000000 00000000 00000000 00000000
	      0b000300 76786361 6e310000
	      08001c00 07000000`)
}

// sja1000Info is IFLA_INFO_DATA as the kvaser_pci/sja1000 driver reports it
// after `ip link set can0 type can bitrate 500000 restart-ms 100`
// (hand-assembled from linux/can/netlink.h).
const sja1000Info = `
24000100 20a10700 75030000 7d000000 06000000 07000000 02000000 01000000 01000000
34000200 736a6131 30303000 00000000 00000000
         01000000 10000000 01000000 08000000 04000000 01000000 40000000 01000000
08000300 00127a00
08000400 00000000
0c000500 00000000 11000000
08000600 64000000
08000800 05000700
0c001180 08000100 1f000000
`

func TestDecodeCANInfo(t *testing.T) {
	littleEndian(t)
	ci, err := DecodeCANInfo(unhex(t, sja1000Info))
	if err != nil {
		t.Fatal(err)
	}
	want := &CANInfo{
		BitTiming: &BitTiming{Bitrate: 500000, SamplePoint: 885, TQ: 125, PropSeg: 6, PhaseSeg1: 7, PhaseSeg2: 2, SJW: 1, BRP: 1},
		BitTimingConst: &BitTimingConst{Name: "sja1000", TSeg1Min: 1, TSeg1Max: 16, TSeg2Min: 1, TSeg2Max: 8,
			SJWMax: 4, BRPMin: 1, BRPMax: 64, BRPInc: 1},
		ClockHz:           8000000,
		State:             CANStateErrorActive,
		HasState:          true,
		CtrlMode:          CtrlModeLoopback | CtrlModeBerrReporting,
		CtrlModeSupported: CtrlModeLoopback | CtrlModeListenOnly | CtrlMode3Samples | CtrlModeOneShot | CtrlModeBerrReporting,
		RestartMs:         100,
		BerrCounter:       &BerrCounter{TxErr: 5, RxErr: 7},
	}
	if !reflect.DeepEqual(ci, want) {
		t.Fatalf("decoded\n %+v\nwant\n %+v", ci, want)
	}
	if got := ci.CtrlMode.String(); got != "LOOPBACK,BERR-REPORTING" {
		t.Errorf("CtrlMode.String() = %q", got)
	}
}

func TestDecodeCANInfoTDC(t *testing.T) {
	littleEndian(t)
	ci, err := DecodeCANInfo(unhex(t, `
	2c001080 08000100 01000000 08000200 7f000000 08000400 3f000000 08000700 05000000 08000800 0a000000`))
	if err != nil {
		t.Fatal(err)
	}
	if want := (&TDC{TDCVMin: 1, TDCVMax: 127, TDCOMax: 63, TDCV: 5, TDCO: 10}); !reflect.DeepEqual(ci.TDC, want) {
		t.Fatalf("TDC = %+v, want %+v", ci.TDC, want)
	}
	if _, err := DecodeCANInfo(unhex(t, "0a001080 06000700 0500 0000")); err == nil || !strings.Contains(err.Error(), "IFLA_CAN_TDC attribute 7: payload is 2 bytes") {
		t.Fatalf("bad TDC: %v", err)
	}
}

func TestDecodeCANInfoErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"240001", "3 trailing bytes"},
		{"20000100 00000000", "length 32 outside the 8-byte buffer"},
		{"0c000100 00000000 00000000", "IFLA_CAN_BITTIMING: payload is 8 bytes, want 32"},
		{"05000400 03000000", "IFLA_CAN_STATE: payload is 1 bytes, want 4"},
		{"07000c00 78000000", "TERMINATION_CONST: payload is 3 bytes"},
		{"0c001180 05000100 01000000", "IFLA_CAN_CTRLMODE_SUPPORTED: payload is 1 bytes"},
		{"03000100", "length 3 outside"},
	}
	for _, tt := range tests {
		_, err := DecodeCANInfo(unhex(t, tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("DecodeCANInfo(%s) = %v, want error containing %q", tt.in, err, tt.want)
		}
	}
	// Unknown attributes are skipped.
	ci, err := DecodeCANInfo(unhex(t, "08006300 01020304 08000400 03000000"))
	if err != nil || ci.State != CANStateBusOff || !ci.HasState {
		t.Errorf("unknown attribute: %+v, %v", ci, err)
	}
}

func TestDecodeLink(t *testing.T) {
	littleEndian(t)
	// ifinfomsg{type ARPHRD_CAN, index 5, flags UP|RUNNING|NOARP|LOWER_UP}
	in := unhex(t, `
	00001801 05000000 c1000100 00000000
	09000300 63616e30 00000000
	08000400 10000000
	05001000 06000000
	40001280
	  08000100 63616e00
	  0c000200 08000400 03000000
	  1c000300 01000000 02000000 03000000 04000000 05000000 06000000
	  0c00ff00 00000000 00000000`)
	l, err := decodeLink(in)
	if err != nil {
		t.Fatal(err)
	}
	want := &Link{Index: 5, Name: "can0", Kind: "can", Up: true, LowerUp: true, Flags: 0x100c1, Type: 280,
		OperState: OperUp, MTU: 16, CAN: &CANInfo{State: CANStateBusOff, HasState: true,
			Stats: &DeviceStats{1, 2, 3, 4, 5, 6}}}
	if !reflect.DeepEqual(l, want) {
		t.Fatalf("decoded\n %+v\nwant\n %+v", l, want)
	}
	if !l.IsCAN() || l.FD() {
		t.Errorf("IsCAN %v FD %v", l.IsCAN(), l.FD())
	}
	if _, err := decodeLink(in[:15]); err == nil {
		t.Error("short ifinfomsg accepted")
	}
	bad := append([]byte(nil), in...)
	bad[sizeofIfInfomsg+12] = 5 // IFLA_MTU with a 1-byte payload
	if _, err := decodeLink(bad); err == nil {
		t.Error("IFLA_MTU with bad length accepted")
	}
}

func TestCtrlModeNames(t *testing.T) {
	for _, n := range CtrlModeNames() {
		m, ok := CtrlModeByName(n)
		if !ok || m == 0 {
			t.Errorf("CtrlModeByName(%q) = %v, %v", n, m, ok)
		}
	}
	if _, ok := CtrlModeByName("bogus"); ok {
		t.Error("bogus mode accepted")
	}
	if got := (CtrlModeFD | CtrlModeFDNonISO | 0x10000).String(); got != "FD,FD-NON-ISO,0x10000" {
		t.Errorf("String() = %q", got)
	}
	if got := CANStateBusOff.String(); got != "BUS-OFF" {
		t.Errorf("CANStateBusOff = %q", got)
	}
}

func TestMarshalTextJSON(t *testing.T) {
	b, err := json.Marshal(Link{Name: "can0", OperState: OperUp, CAN: &CANInfo{State: CANStateBusOff, CtrlMode: CtrlModeLoopback | CtrlModeOneShot}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"OperState":"UP"`, `"State":"BUS-OFF"`, `"CtrlMode":"LOOPBACK,ONE-SHOT"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
}
