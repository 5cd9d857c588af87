package can

import (
	"bytes"
	"testing"
	"time"
)

func TestISOTPOptsBytes(t *testing.T) {
	ext, rxext, txpad, rxpad := uint8(0xF1), uint8(0xF2), uint8(0xCC), uint8(0xAA)
	cfg := ISOTPConfig{ListenMode: true, ExtAddr: &ext, RxExtAddr: &rxext, TxPad: &txpad, RxPad: &rxpad,
		FrameTxTime: 100 * time.Microsecond, TxSTmin: time.Millisecond, Flags: ISOTPChkPadLen}
	b, err := cfg.optsBytes()
	if err != nil {
		t.Fatal(err)
	}
	fl := ISOTPListenMode | ISOTPExtendAddr | ISOTPRxExtAddr | ISOTPTxPadding | ISOTPRxPadding | ISOTPForceTxSTmin | ISOTPChkPadLen
	want := append(append(le32(uint32(fl)), le32(100000)...), 0xF1, 0xCC, 0xAA, 0xF2)
	if !bytes.Equal(b, want) {
		t.Fatalf("got % x want % x", b, want)
	}
	if _, err := (&ISOTPConfig{RxExtAddr: &rxext}).optsBytes(); err == nil {
		t.Fatal("RxExtAddr without ExtAddr accepted")
	}
	for _, ll := range []ISOTPLinkLayer{{MTU: 16, TxDL: 12}, {MTU: 72, TxDL: 9}, {MTU: 20, TxDL: 8}, {MTU: 72, TxDL: 4}} {
		if err := (&ISOTPConfig{LinkLayer: &ll}).validate(); err == nil {
			t.Errorf("%+v accepted", ll)
		}
	}
	if err := (&ISOTPConfig{LinkLayer: &ISOTPLinkLayer{MTU: 72, TxDL: 64, TxFlags: BRS}}).validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidPGN(t *testing.T) {
	for pgn, want := range map[uint32]bool{0xEE00: true, 0xEE12: false, 0xFECA: true, 0x40000: false, 0x1F004: true, 0xEA00: true} {
		if ValidPGN(pgn) != want {
			t.Errorf("ValidPGN(%#x) = %v", pgn, !want)
		}
	}
}
