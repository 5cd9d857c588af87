package cli

import (
	"testing"

	"github.com/fieldgate/fieldgate/can"
)

func TestJ1939HexWith0x(t *testing.T) {
	for _, s := range []string{"0x20", "0X20", "20"} {
		if v, err := parseHexUint("s", s, 0xFD, "addr"); err != nil || v != 0x20 {
			t.Errorf("%q: %v %v", s, v, err)
		}
	}
	if v, err := parseHexUint("p", "0xEF00", 0x3FFFF, "pgn"); err != nil || v != 0xEF00 {
		t.Errorf("0xEF00: %v %v", v, err)
	}
	for _, s := range []string{"0x", "0xZZ", "x20", "0x1FE"} {
		if _, err := parseHexUint("s", s, 0xFD, "addr"); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

// TestJ1939EventFields: an event that the kernel reports with only the
// bytes acknowledged names the PGN, addresses and size that were sent.
func TestJ1939EventFields(t *testing.T) {
	ev := can.J1939Event{Kind: can.J1939EventTxAbort, BytesAcked: 0}
	fillEvent(&ev, can.J1939Addr{Addr: 0x20, PGN: can.J1939NoPGN}, can.J1939Addr{PGN: 0xEF00, Addr: 0x30, Name: can.J1939NoName}, 100)
	if got := ev.String(); got != "tx-abort id=0 pgn=0x0ef00 0/100 bytes src=0x20 dst=0x30" {
		t.Fatalf("%q", got)
	}
}
