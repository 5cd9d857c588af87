package socketcand

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func args(s string) [][]byte {
	var c Command
	if err := c.Parse([]byte(s)); err != nil {
		panic(err)
	}
	return append([][]byte(nil), c.Args...)
}

func TestParseISOTPConf(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ISOTPConf
	}{
		{"isotpconf 1F998877 1F998876 0 0 0", ISOTPConf{TxID: 0x9F998877, RxID: 0x9F998876, Items: 5}},
		// The protocol document's example: tx and rx padding, BS 4.
		{"isotpconf 1F998877 1F998876 C 4 0 0 AA 55", ISOTPConf{TxID: 0x9F998877, RxID: 0x9F998876, Flags: 0xC, BlockSize: 4, TxPad: 0xAA, RxPad: 0x55, Items: 8}},
		{"isotpconf 7E0 7E8 0 15 F1", ISOTPConf{TxID: 0x7E0, RxID: 0x7E8, BlockSize: 15, STmin: 0xF1, Items: 5}},
		{"isotpconf 00000123 123 20e 1 7f 255 cc dd 01 02", ISOTPConf{TxID: 0x80000123, RxID: 0x123, Flags: 0x20E, BlockSize: 1, STmin: 0x7F, WFTmax: 255, TxPad: 0xCC, RxPad: 0xDD, ExtAddr: 1, RxExtAddr: 2, Items: 10}},
	} {
		got, err := ParseISOTPConf(args(tc.in))
		if err != nil || got != tc.want {
			t.Errorf("%q: %+v %v, want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, msg string }{
		{"isotpconf 7E0 7E8 0 0", "5 to 10 fields"},
		{"isotpconf 7E0 7E8 0 0 0 0 0 0 0 0 0", "5 to 10 fields"},
		{"isotpconf 800 7E8 0 0 0", "standard can id \"800\" above 7FF"},
		{"isotpconf 7E0 3FFFFFFF 0 0 0", "extended can id \"3FFFFFFF\""},
		{"isotpconf 7E0 123456789 0 0 0", "3 or 8 hex digits"},
		{"isotpconf 7E0 7E0 0 0 0", "tx_id equals rx_id"},
		{"isotpconf 7E0 7E8 400 0 0", "unsupported bits 0x400"},
		{"isotpconf 7E0 7E8 xyz 0 0", "flags \"xyz\""},
		{"isotpconf 7E0 7E8 0 16 0", "blocksize \"16\" (decimal, 0..15)"},
		{"isotpconf 7E0 7E8 0 A 0", "blocksize \"A\""},
		{"isotpconf 7E0 7E8 0 0 100", "stmin \"100\" (hex, 0..255)"},
		{"isotpconf 7E0 7E8 4 0 0", "needs the txpad_content field"},
		{"isotpconf 7E0 7E8 8 0 0 0 AA", "needs the rxpad_content field"},
		{"isotpconf 7E0 7E8 2 0 0 0 0 0", "needs the ext_address field"},
		{"isotpconf 7E0 7E8 202 0 0 0 0 0 1", "needs the rx_ext_address field"},
		{"isotpconf 7E0 7E8 200 0 0 0 0 0 1 2", "needs flag 0x002"},
		{"isotpconf 7E0 7E8 0 0 0 256", "wftmax \"256\""},
	} {
		_, err := ParseISOTPConf(args(tc.in))
		if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: %v, want an ErrSyntax containing %q", tc.in, err, tc.msg)
		}
	}
}

func TestSendPDUAndFormat(t *testing.T) {
	buf := make([]byte, MaxPDU)
	n, err := ParseSendPDU(args("sendpdu 00112233445566778899AABBCCDDEEff"), buf)
	want := []byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF}
	if err != nil || !bytes.Equal(buf[:n], want) {
		t.Fatalf("sendpdu: % x %v", buf[:n], err)
	}
	// The protocol document's example, byte for byte.
	if got := string(AppendPDU(nil, 1417687245, 814579, want)); got != "< pdu 1417687245.814579 00112233445566778899AABBCCDDEEFF >" {
		t.Fatalf("pdu: %q", got)
	}
	if got := string(AppendPDU([]byte("x"), 0, 5, []byte{0xab})); got != "x< pdu 0.000005 AB >" {
		t.Fatalf("pdu: %q", got)
	}
	full := strings.Repeat("A5", MaxPDU)
	if n, err := ParseSendPDU(args("sendpdu "+full), buf); err != nil || n != MaxPDU || buf[MaxPDU-1] != 0xA5 {
		t.Fatalf("4095-byte PDU: %d %v", n, err)
	}
	if m := []byte("< sendpdu " + full + " >"); len(m) > MaxMessage {
		t.Fatalf("a full sendpdu (%d bytes) exceeds MaxMessage", len(m))
	}
	for _, tc := range []struct{ in, msg string }{
		{"sendpdu", "got 0 fields"},
		{"sendpdu 11 22", "got 2 fields"},
		{"sendpdu 123", "odd number of hex digits (3)"},
		{"sendpdu 11zz", "\"zz\" at digit 2"},
		{"sendpdu " + full + "00", "4096-byte PDU, at most 4095"},
	} {
		if _, err := ParseSendPDU(args(tc.in), buf); !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%.40q: %v, want %q", tc.in, err, tc.msg)
		}
	}
	// A short destination is never overrun.
	if _, err := ParseSendPDU(args("sendpdu 112233"), buf[:2]); !errors.Is(err, ErrSyntax) {
		t.Fatalf("short buffer: %v", err)
	}
}

func TestParseMuxFilter(t *testing.T) {
	m, err := ParseMuxFilter(args("muxfilter 1 500000 123 2 FF 00 00 00 00 00 00 00 33 FF FF FF FF FF FF ff"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Sec != 1 || m.Usec != 500000 || m.ID != 0x123 || len(m.Frames) != 2 ||
		m.Frames[0] != [8]byte{0xFF} || m.Frames[1] != [8]byte{0x33, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF} {
		t.Fatalf("%+v", m)
	}
	m, err = ParseMuxFilter(args("muxfilter 0 0 12345678 3 "+strings.Repeat("0F ", 24)), make([][8]byte, 0, 4))
	if err != nil || m.ID != 0x92345678 || len(m.Frames) != 3 || m.Frames[2][7] != 0x0F {
		t.Fatalf("%+v %v", m, err)
	}
	for _, tc := range []struct{ in, msg string }{
		{"muxfilter 0 0 123", "needs secs usecs"},
		{"muxfilter 0 0 123 1 FF 00 00 00 00 00 00 00", "nframes \"1\""},
		{"muxfilter 0 0 123 257 ", "nframes \"257\""},
		{"muxfilter 0 0 123 2 FF 00", "needs 16 data bytes, got 2"},
		{"muxfilter 0 0 123 2 F 00 00 00 00 00 00 00 33 FF FF FF FF FF FF FF", "data byte 0 \"F\""},
		{"muxfilter 0 0 123 2 FF 00 00 00 00 00 00 00 33 FF FF FF FF FF FF GG", "data byte 15 \"GG\""},
		{"muxfilter 0 1000000 123 2 " + strings.Repeat("00 ", 16), "usecs < 1000000"},
		{"muxfilter x 0 123 2 " + strings.Repeat("00 ", 16), "number \"x\""},
		{"muxfilter 0 0 XYZ 2 " + strings.Repeat("00 ", 16), "can id"},
	} {
		if _, err := ParseMuxFilter(args(tc.in), nil); !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%.50q: %v, want %q", tc.in, err, tc.msg)
		}
	}
	// 256 frames (the kernel's MAX_NFRAMES) is the most.
	if m, err := ParseMuxFilter(args("muxfilter 0 0 123 256 "+strings.Repeat("AB ", 256*8)), nil); err != nil || len(m.Frames) != 256 {
		t.Fatalf("256 frames: %v", err)
	}
}
