package can

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func gwHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad vector: %v", err)
	}
	return b
}

func gwLittleEndian(t *testing.T) {
	t.Helper()
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("hand-computed vectors are little-endian")
	}
}

func gwData(b ...byte) (d [FDMaxLen]byte) {
	copy(d[:], b)
	return d
}

// classicRule is `cangw -A -s (3) -d (4) -e -f 123:7FF -m SET:IL:333.4.1122334455667788`.
var classicRule = GatewayRule{
	SrcIndex: 3, DstIndex: 4, Flags: GatewayEcho,
	Filter: &Filter{ID: 0x123, Mask: 0x7FF},
	Set:    &GatewayMod{Targets: GatewayModID | GatewayModLen, ID: 0x333, Len: 4, Data: gwData(0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88)},
}

const classicRuleBytes = `
1d010100
08000900 03000000
08000a00 04000000
0c000b00 23010000 ff070000
15000400 33030000 04000000 11223344 55667788 03000000`

// fdRule is `cangw -A -s (1) -d (2) -X -e -u ABCD -l 2 -x 0:-2:-1:5A -M XOR:D:0.0.0.FF00..01`.
var fdRule = GatewayRule{
	SrcIndex: 1, DstIndex: 2, Flags: GatewayFD | GatewayEcho,
	Xor:      &GatewayMod{Targets: GatewayModData, Data: func() [64]byte { d := gwData(0xFF); d[63] = 1; return d }()},
	XOR:      &GatewayXOR{From: 0, To: -2, Result: -1, Init: 0x5A},
	UID:      0xABCD,
	HopLimit: 2,
}

var fdRuleBytes = `
1d010900
08000900 01000000
08000a00 02000000
08000500 00feff5a
08000e00 cdab0000
05000d00 02000000
4d001100 00000000 00000000 ff` + strings.Repeat("00", 62) + `01 04000000`

func TestGatewayRuleMarshalBytes(t *testing.T) {
	gwLittleEndian(t)
	for _, tt := range []struct {
		name string
		r    GatewayRule
		want string
	}{{"classic", classicRule, classicRuleBytes}, {"fd", fdRule, fdRuleBytes}} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.r.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if want := gwHex(t, tt.want); !bytes.Equal(got, want) {
				t.Fatalf("bytes:\n got %x\nwant %x", got, want)
			}
		})
	}
}

func TestGatewayCRC8Bytes(t *testing.T) {
	gwLittleEndian(t)
	r := GatewayRule{SrcIndex: 1, DstIndex: 2,
		And:  &GatewayMod{Targets: GatewayModData, Data: gwData(0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)},
		CRC8: &GatewayCRC8{From: 1, To: 7, Result: 0, Init: 0xFF, FinalXOR: 0xFF, Table: CRC8Table(0x1D), Profile: GatewayCRC8OneU8, ProfileData: [20]uint8{0x42}}}
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	// rtcanmsg, SRC, DST, then CGW_CS_CRC8: length 4+282 = 286 (0x11e), padded to 288.
	crc := b[4+8+8:]
	if want := gwHex(t, "1e010600 0107 00 ff ff 00 1d 3a 27"); !bytes.Equal(crc[:13], want) {
		t.Fatalf("CRC8 attribute starts %x, want %x", crc[:13], want)
	}
	if crc[4+261] != 1 || crc[4+262] != 0x42 || len(crc) != 288+24 {
		t.Fatalf("profile %d data %#x, rest %d bytes", crc[4+261], crc[4+262], len(crc))
	}
	var back GatewayRule
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, r) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", back, r)
	}
}

func TestCRC8Table(t *testing.T) {
	// CRC-8/SAE-J1850: poly 0x1D, init 0xFF, xorout 0xFF, check("123456789") = 0x4B.
	tab := CRC8Table(0x1D)
	crc := uint8(0xFF)
	for _, c := range []byte("123456789") {
		crc = tab[crc^c]
	}
	if crc^0xFF != 0x4B {
		t.Fatalf("check = %#x, want 0x4b", crc^0xFF)
	}
	// CRC-8/AUTOSAR: poly 0x2F, init 0xFF, xorout 0xFF, check 0xDF.
	tab = CRC8Table(0x2F)
	crc = 0xFF
	for _, c := range []byte("123456789") {
		crc = tab[crc^c]
	}
	if crc^0xFF != 0xDF {
		t.Fatalf("AUTOSAR check = %#x, want 0xdf", crc^0xFF)
	}
}

// kernelDump is a classic rule as the kernel lists it: counters first, then
// the modification, the filter and the interfaces (cgw_put_job's order).
const kernelDump = `
1d010100
08000700 05000000
08000800 01000000
08000c00 02000000
15000400 33030000 04000000 11223344 55667788 03000000
0c000b00 23010000 ff070000
08000900 03000000
08000a00 04000000`

func TestGatewayRuleUnmarshal(t *testing.T) {
	gwLittleEndian(t)
	var r GatewayRule
	if err := r.UnmarshalBinary(gwHex(t, kernelDump)); err != nil {
		t.Fatal(err)
	}
	want := classicRule
	want.Handled, want.Dropped, want.Deleted = 5, 1, 2
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("decoded\n %+v\nwant\n %+v", r, want)
	}
	names := func(i int) string { return map[int]string{3: "vcan0", 4: "vcan1"}[i] }
	if got, want := r.CangwArgs(names), "-s vcan0 -d vcan1 -e -m SET:IL:333.4.1122334455667788 -f 123:7FF "; got != want {
		t.Fatalf("CangwArgs:\n got %q\nwant %q", got, want)
	}
	var fr GatewayRule
	if err := fr.UnmarshalBinary(gwHex(t, fdRuleBytes)); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fr, fdRule) {
		t.Fatalf("fd decoded\n %+v\nwant\n %+v", fr, fdRule)
	}
	got := fr.CangwArgs(func(i int) string { return fmt.Sprint("vcan", i) })
	want2 := "-s vcan1 -d vcan2 -X -e -l 2 -M XOR:D:000.0.0.FF" + strings.Repeat("00", 62) + "01 -u ABCD -x 0:-2:-1:5A "
	if got != want2 {
		t.Fatalf("fd CangwArgs:\n got %q\nwant %q", got, want2)
	}
	inv := GatewayRule{SrcIndex: 1, DstIndex: 1, Flags: GatewayIIFTxOK | GatewaySrcTimestamp, Filter: &Filter{ID: 0x100, Mask: 0x700, Inverted: true}}
	if got := inv.String(); got != "-s #1 -d #1 -t -i -f 100~700" {
		t.Fatalf("inverted filter: %q", got)
	}
}

func TestGatewayRuleUnmarshalErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1d01", "shorter than struct rtcanmsg"},
		{"02010000", "family 2, want AF_CAN"},
		{"1d020000", "gateway type 2"},
		{"1d010000 08000900", "length 8 outside"},
		{"1d010000 080009", "3 trailing bytes"},
		{"1d010000 05000900 01000000", "CGW_SRC_IF: payload is 1 bytes, want 4"},
		{"1d010000 08006300 01000000", "unknown attribute 99"},
		{"1d010000 08000400 00000000", "CGW_MOD_SET: payload is 4 bytes, want 17"},
		{"1d010000 08001200 00000000", "CGW_FDMOD_SET in a classic rule"},
		{"1d010800 08000400 00000000", "CGW_MOD_SET in a CAN FD rule"},
		{"1d010000 08000900 01000000", "without CGW_SRC_IF and CGW_DST_IF"},
		{"1d010000 08000600 00000000", "CGW_CS_CRC8: payload is 4 bytes, want 282"},
	}
	for _, tt := range tests {
		var r GatewayRule
		err := r.UnmarshalBinary(gwHex(t, tt.in))
		if !errors.Is(err, ErrGatewayMessage) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("UnmarshalBinary(%s) = %v, want ErrGatewayMessage containing %q", tt.in, err, tt.want)
		}
	}
}

func TestGatewayRuleValidate(t *testing.T) {
	mod := &GatewayMod{Targets: GatewayModID}
	tests := []struct {
		r    GatewayRule
		want string
	}{
		{GatewayRule{SrcIndex: 0, DstIndex: 1}, "must be positive"},
		{GatewayRule{SrcIndex: 1, DstIndex: 1, Flags: 0x10}, "unknown flags 0x10"},
		{GatewayRule{SrcIndex: 1, DstIndex: 1, HopLimit: 7}, "hop limit 7"},
		{GatewayRule{SrcIndex: 1, DstIndex: 1, And: &GatewayMod{}}, "AND modification selects no field"},
		{GatewayRule{SrcIndex: 1, DstIndex: 1, Set: &GatewayMod{Targets: GatewayModLen, Len: 9}}, "SET modification: len 9 exceeds 8"},
		{GatewayRule{SrcIndex: 1, DstIndex: 1, Or: &GatewayMod{Targets: GatewayModData, Data: func() (d [64]byte) { d[8] = 1; return }()}}, "data byte 8 set on a classic rule"},
		{GatewayRule{SrcIndex: 1, DstIndex: 1, Or: &GatewayMod{Targets: GatewayModID, Flags: 1}}, "flags operand 0x1 on a classic rule"},
		{GatewayRule{SrcIndex: 1, DstIndex: 1, UID: 5}, "need at least one"},
		{GatewayRule{SrcIndex: 1, DstIndex: 1, XOR: &GatewayXOR{}}, "need at least one"},
		{GatewayRule{SrcIndex: 1, DstIndex: 1, Set: mod, XOR: &GatewayXOR{To: 8}}, "XOR checksum to index 8: want -8..7"},
		{GatewayRule{SrcIndex: 1, DstIndex: 1, Set: mod, CRC8: &GatewayCRC8{From: -9}}, "CRC8 checksum from index -9"},
		{GatewayRule{SrcIndex: 1, DstIndex: 1, Set: mod, CRC8: &GatewayCRC8{Profile: 4}}, "CRC8 profile 4"},
	}
	for _, tt := range tests {
		err := tt.r.Validate()
		if !errors.Is(err, ErrGatewayRule) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%+v) = %v, want containing %q", tt.r, err, tt.want)
		}
		if _, err := tt.r.MarshalBinary(); err == nil {
			t.Errorf("MarshalBinary accepted %+v", tt.r)
		}
	}
	fd := GatewayRule{SrcIndex: 1, DstIndex: 2, Flags: GatewayFD, Set: &GatewayMod{Targets: GatewayModLen, Len: 64}, XOR: &GatewayXOR{From: -64, To: 63, Result: 63}}
	if err := fd.Validate(); err != nil {
		t.Errorf("valid FD rule: %v", err)
	}
}

func TestGatewayFlushMessage(t *testing.T) {
	gwLittleEndian(t)
	if got, want := gatewayFlushMessage(), gwHex(t, "1d010000 08000900 00000000 08000a00 00000000"); !bytes.Equal(got, want) {
		t.Fatalf("flush = %x, want %x", got, want)
	}
}

// FuzzGatewayRuleUnmarshal checks that the rule decoder never panics and
// that every valid decoded rule survives a marshal/unmarshal round trip.
func FuzzGatewayRuleUnmarshal(f *testing.F) {
	f.Add(gwHex(f, kernelDump))
	f.Add(gwHex(f, classicRuleBytes))
	f.Add(gwHex(f, fdRuleBytes))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r GatewayRule
		if err := r.UnmarshalBinary(b); err != nil {
			return
		}
		_ = r.String()
		if r.Validate() != nil {
			return
		}
		m, err := r.MarshalBinary()
		if err != nil {
			t.Fatalf("valid rule does not marshal: %v", err)
		}
		var back GatewayRule
		if err := back.UnmarshalBinary(m); err != nil {
			t.Fatalf("marshalled rule does not decode: %v", err)
		}
		r.Handled, r.Dropped, r.Deleted = 0, 0, 0
		if !reflect.DeepEqual(back, r) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", back, r)
		}
	})
}
