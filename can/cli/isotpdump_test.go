package cli

import (
	"time"

	"testing"

	"github.com/fieldgate/fieldgate/can"
)

// TestISOTPDumpLines: lines of the kinds the rig test compares with
// isotpdump -a -u (TestHILISOTPDumpVsIsotpdump).
func TestISOTPDumpLines(t *testing.T) {
	d := &isotpDump{src: 0x7E0, dst: 0x7E8, uds: true, asc: true}
	msg := func(s string) *can.RecvMsg {
		f, err := can.ParseFrame(s)
		if err != nil {
			t.Fatal(err)
		}
		return &can.RecvMsg{Frame: f, FD: f.IsFD()}
	}
	tests := []struct{ frame, want string }{
		{"7E0#0322F190", " vcan0  7E0  [4]  [SF] ln: 3    data: 22 F1 90              -  '\"..'     - [SRQ] ReadDataByIdentifier\n"},
		{"7E8#037F2231", " vcan0  7E8  [4]  [SF] ln: 3    data: 7F 22 31              -  '.\"1'     - [NRC] requestOutOfRange\n"},
		{"7E0#3002F3", " vcan0  7E0  [3]  [FC] FC: 0 = CTS # BS: 2 # STmin: 0xF3 = 300 us\n"},
		{"7E0#3100FF", " vcan0  7E0  [3]  [FC] FC: 1 = WT # BS: 0 = off # STmin: 0xFF = reserved\n"},
		{"7E8#1014620102030405", " vcan0  7E8  [8]  [FF] ln: 20   data: 62 01 02 03 04 05     -  'b.....'  - [PSR] ReadDataByIdentifier\n"},
		{"7E8#21060708090A0B0C", " vcan0  7E8  [8]  [CF] sn: 1    data: 06 07 08 09 0A 0B 0C  -  '.......'\n"},
		{"7E8#4001", " vcan0  7E8  [2]  [??]\n"},
		{"7E0##100283132", " vcan0  7E0 [04]  [SF] ln: 40   data: 31 32                 -  '12'      - [SRQ] RoutineControl\n"},
	}
	for _, tt := range tests {
		d.isFF = false
		if got := string(d.appendFrame(nil, msg(tt.frame), "vcan0")); got != tt.want {
			t.Errorf("%s:\ngot  %q\nwant %q", tt.frame, got, tt.want)
		}
	}
	if got := string(appendUDS(nil, 0x7F, 0x40)); got != "[NRC] reservedByExtendedDataLinkSecurityDocument" {
		t.Error(got)
	}
	if got := string(appendUDS(nil, 0xA5, 0)); got != "[???] Unknown" {
		t.Error(got)
	}
}

func TestISOTPSniffLine(t *testing.T) {
	o := &sniffOptions{format: sniffHex | sniffASCII, head: 3}
	got := string(o.appendPDU(nil, []byte("Hello"), 0x7E8, fgBlue, zeroTime, "vcan0"))
	if want := " vcan0  7E8  [5]  48 65 6C ...  - 'Hel' ... \n"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	o.head = 6 // isotpsniffer prints " ... " also when nothing was cut here
	if got := string(o.appendPDU(nil, []byte("Hello"), 0x7E8, fgBlue, zeroTime, "vcan0")); got != " vcan0  7E8  [5]  48 65 6C 6C 6F  - 'Hello' ... \n" {
		t.Fatalf("got %q", got)
	}
}

var zeroTime time.Time
