package cli

import (
	"strings"
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

// TestJ1939Spec: j1939cat's FROM/TO, numbers as strtoul(3) with base 0
// reads them.
func TestJ1939Spec(t *testing.T) {
	no := can.J1939Addr{Name: can.J1939NoName, PGN: can.J1939NoPGN, Addr: can.J1939NoAddr}
	for in, want := range map[string]j1939Spec{
		"vcan0":                        {"vcan0", no},
		"vcan0:0x90":                   {"vcan0", can.J1939Addr{Name: can.J1939NoName, PGN: can.J1939NoPGN, Addr: 0x90}},
		":0x90,0x12300":                {"", can.J1939Addr{Name: can.J1939NoName, PGN: 0x12300, Addr: 0x90}},
		"can0:144,,0x1122334455667788": {"can0", can.J1939Addr{Name: 0x1122334455667788, PGN: can.J1939NoPGN, Addr: 144}},
		"can0:0220,61184":              {"can0", can.J1939Addr{Name: can.J1939NoName, PGN: 0xEF00, Addr: 0o220}},
		"can0:,0xEF00":                 {"can0", can.J1939Addr{Name: can.J1939NoName, PGN: 0xEF00, Addr: can.J1939NoAddr}},
	} {
		got, err := parseJ1939Spec(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v, want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"can0:0x100", "can0:1,0x40001", "can0:1,2,x", "can0:08", "can0:-1", "can0:0x"} {
		if _, err := parseJ1939Spec(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// TestJ1939Help: send and recv have their own synopsis and options.
func TestJ1939Help(t *testing.T) {
	_, send, _ := runCLI("j1939", "send", "-h")
	_, recv, _ := runCLI("j1939", "recv", "-h")
	for _, w := range []string{"usage: fieldgate can j1939 send [options] FROM TO", "-i FILE", "-s SIZE", "-R COUNT", "-B ", "-p PRIO", "-P TIMEOUT", "--events"} {
		if !strings.Contains(send, w) {
			t.Errorf("send -h lacks %q", w)
		}
	}
	for _, w := range []string{"usage: fieldgate can j1939 recv [options] FROM", "-r ", "-s SIZE", "--promisc", "--count N", "--print"} {
		if !strings.Contains(recv, w) {
			t.Errorf("recv -h lacks %q", w)
		}
	}
	if strings.Contains(recv, "-i FILE") || strings.Contains(recv, "--events") || strings.Contains(send, "--promisc") {
		t.Errorf("options of the other command:\n%s\n%s", send, recv)
	}
	out, _, err := runCLI("j1939", "-h")
	if err != nil || !strings.Contains(out, "commands:\n  send ") || !strings.Contains(out, "\n  acd ") {
		t.Errorf("j1939 -h: %v %q", err, out)
	}
}
