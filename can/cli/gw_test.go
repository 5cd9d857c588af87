package cli

import (
	"errors"
	"net"
	"reflect"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/can"
)

func fakeIfaces(name string) (*net.Interface, error) {
	idx := map[string]int{"vcan0": 3, "vcan1": 4, "can0": 5}[name]
	if idx == 0 {
		return nil, errors.New("no such interface")
	}
	return &net.Interface{Index: idx, Name: name}, nil
}

func fakeNames(i int) string {
	return map[int]string{3: "vcan0", 4: "vcan1", 5: "can0"}[i]
}

func TestParseGatewayRuleRoundTrip(t *testing.T) {
	// Each line is what cangw -L prints; parsing its options and printing
	// the rule again must give the same line.
	tab := strings.Repeat("00", 256)
	lines := []string{
		"-s vcan0 -d vcan1 -e ",
		"-s vcan0 -d vcan1 -e -m SET:IL:333.4.1122334455667788 -f 123:7FF ",
		"-s vcan0 -d vcan1 -t -i -l 2 -m AND:ID:7FF.F.FFFFFFFFFFFFFF00 -m XOR:D:000.0.00000000000000FF -u 42 -x 0:6:7:AA -f 100~700 ",
		"-s can0 -d vcan1 -X -e -M SET:IFLD:123.1.40." + strings.Repeat("AB", 64) + " ",
		"-s vcan0 -d vcan1 -m OR:D:000.0.0000000000000000 -c 0:6:7:FF:00:" + strings.ToUpper(tab) + " -p 1:42 ",
	}
	for _, line := range lines {
		r, err := parseGatewayRule(strings.Fields(line), fakeIfaces)
		if err != nil {
			t.Errorf("parse %q: %v", line, err)
			continue
		}
		if got := r.CangwArgs(fakeNames); got != line {
			t.Errorf("round trip:\n got %q\nwant %q", got, line)
		}
	}
}

func TestParseGatewayRuleDetails(t *testing.T) {
	r, err := parseGatewayRule([]string{"-s", "vcan0", "-d", "vcan1", "-Xe", "-M", "XOR:D:0.0.0." + strings.Repeat("00", 63) + "01",
		"-c", "-64:-2:-1:FF:FF:poly=1D", "-p", "3:"}, fakeIfaces)
	if err != nil {
		t.Fatal(err)
	}
	if r.Flags != can.GatewayFD|can.GatewayEcho || r.CRC8.Table != can.CRC8Table(0x1D) || r.CRC8.From != -64 ||
		r.CRC8.Profile != can.GatewayCRC8SFFIDXOR || r.Xor.Data[63] != 1 {
		t.Fatalf("rule = %+v", r)
	}
	want := &can.GatewayRule{SrcIndex: 3, DstIndex: 4, Filter: &can.Filter{ID: 0x123, Mask: 0x7FF, Inverted: true}}
	r, err = parseGatewayRule([]string{"-s", "vcan0", "-d", "vcan1", "-f", "123~7FF"}, fakeIfaces)
	if err != nil || !reflect.DeepEqual(r, want) {
		t.Fatalf("filter rule = %+v, %v", r, err)
	}
}

func TestParseGatewayRuleErrors(t *testing.T) {
	tests := []struct {
		args string
		want string
	}{
		{"-d vcan1", "-s SRC and -d DST are required"},
		{"-s vcan9 -d vcan1", `-s "vcan9": no such interface`},
		{"-s vcan0 -d vcan1 -q", `unknown option "-q"`},
		{"-s vcan0 -d", "option -d needs a value"},
		{"-s vcan0 -d vcan1 -f 123", `-f "123": want ID:MASK or ID~MASK`},
		{"-s vcan0 -d vcan1 -l 7", `-l "7": want a hop limit 1..6`},
		{"-s vcan0 -d vcan1 -u zz", `-u "zz": want a non-zero hex UID`},
		{"-s vcan0 -d vcan1 -m SET:IL:333.4.11", `DATA "11" is not 16 hex digits`},
		{"-s vcan0 -d vcan1 -m NAND:I:1.0.0000000000000000", `unknown operation "NAND"`},
		{"-s vcan0 -d vcan1 -m SET:Q:1.0.0000000000000000", `unknown field 'Q'`},
		{"-s vcan0 -d vcan1 -m SET:L:1.9.0000000000000000", "SET DLC 9 exceeds 8"},
		{"-s vcan0 -d vcan1 -m SET:I:1.0.0000000000000000 -m SET:L:1.0.0000000000000000", "a second SET modification"},
		{"-s vcan0 -d vcan1 -M SET:I:1.0.0.00", "FD modifications need -X"},
		{"-s vcan0 -d vcan1 -X -m SET:I:1.0.0000000000000000", "an FD rule (-X) takes -M"},
		{"-s vcan0 -d vcan1 -x 0:6:7:00", "-c, -x and -u can only be used together with -m/-M"},
		{"-s vcan0 -d vcan1 -m SET:I:1.0.0000000000000000 -x 0:9:7:00", "XOR checksum to index 9"},
		{"-s vcan0 -d vcan1 -m SET:I:1.0.0000000000000000 -x 0:6:7", `-x "0:6:7": want FROM:TO:RESULT:INIT`},
		{"-s vcan0 -d vcan1 -m SET:I:1.0.0000000000000000 -c 0:6:7:0:0:00", "TABLE 512 hex digits or poly=PP"},
		{"-s vcan0 -d vcan1 -p 1:42", "needs a CRC8 checksum (-c)"},
		{"-s vcan0 -d vcan1 -m SET:I:1.0.0000000000000000 -c 0:6:7:0:0:poly=1D -p 2:00", `-p "2:00": want 1:XX`},
	}
	for _, tt := range tests {
		_, err := parseGatewayRule(strings.Fields(tt.args), fakeIfaces)
		var ue interface{ ExitCode() int }
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.As(err, &ue) || ue.ExitCode() != 2 {
			t.Errorf("%q: err = %v, want usage error containing %q", tt.args, err, tt.want)
		}
	}
}

func TestFormatGatewayListLine(t *testing.T) {
	r := &can.GatewayRule{SrcIndex: 3, DstIndex: 4, Flags: can.GatewayEcho, Handled: 7, Dropped: 1, Deleted: 0}
	if got, want := formatGatewayListLine(r, fakeNames), "cangw -A -s vcan0 -d vcan1 -e # 7 handled 1 dropped 0 deleted"; got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}
