package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
)

func runCLI(args ...string) (string, string, error) {
	var out, errb bytes.Buffer
	err := Run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

func TestUsageErrorsNameArgument(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"nope"}, `unknown command "nope"`},
		{[]string{"send", "vcan0"}, "want IFACE and at least one FRAME"},
		{[]string{"send", "vcan0", "123#00", "12#00"}, `argument 3: can: frame "12#00"`},
		{[]string{"send", "vcan0", "123#1"}, "odd number of hex digits"},
		{[]string{"dump"}, "want at least one IFACE"},
		{[]string{"dump", "vcan0,12x:7FF"}, `ID "12x" is not a hex number`},
		{[]string{"dump", "vcan0,#zz"}, "error mask"},
		{[]string{"dump", "-t", "q", "vcan0"}, `-t "q": want a, A, d or z`},
		{[]string{"dump", "--batch", "65", "vcan0"}, `--batch "65": want a whole number 1..64`},
		{[]string{"dump", "-ta"}, "want at least one IFACE"},
		{[]string{"dump", "-q", "vcan0"}, "unknown option -q"},
		{[]string{"dump", "-L", "-a", "vcan0"}, "drop -a, -i, -S and -e"},
		{[]string{"dump", "-n", "0", "vcan0"}, `-n "0": want a whole number`},
		{[]string{"dump", "-T", "x", "vcan0"}, `-T "x": want milliseconds`},
		{[]string{"dump", "--dbc"}, "needs an argument FILE"},
		{[]string{"gen", "-I", "800", "vcan0"}, `-I 800: the identifier is greater than 0x7FF and -e is not set`},
		{[]string{"gen", "-I", "20000000", "-e", "vcan0"}, `-I "20000000": want r, i or a hex identifier up to 1FFFFFFF`},
		{[]string{"gen", "-L", "300", "vcan0"}, `-L "300": want r, i or a decimal length`},
		{[]string{"gen", "-D", "1", "vcan0"}, `-D "1": want r, i or 1..64 hex bytes`},
		{[]string{"gen", "-g", "-1", "vcan0"}, `-g "-1": want milliseconds >= 0`},
		{[]string{"gen", "-D", "0011223344556677889", "vcan0"}, `-D "0011223344556677889"`},
		{[]string{"isotp"}, "want send, recv, sniff"},
		{[]string{"isotp", "send", "vcan0"}, "-s ID and -d ID are required"},
		{[]string{"isotp", "send", "-s", "123", "-d", "xyz", "vcan0"}, `-d "xyz": want a hex CAN identifier`},
		{[]string{"isotp", "send", "-s", "123", "-d", "800", "vcan0"}, `-d "800": 11-bit identifier above 7FF`},
		{[]string{"isotp", "send", "-s", "123", "-d", "321", "-D", "0", "vcan0"}, `-D "0": want a length 1..66999`},
		{[]string{"isotp", "send", "-s", "123", "-d", "321", "-l", "0", "vcan0"}, `-l "0": want a count >= 1 or i`},
		{[]string{"isotp", "send", "-s", "123", "-d", "321", "-P", "x", "vcan0"}, `-P "x": want l, c or a`},
		{[]string{"isotp", "send", "-s", "123", "-d", "321", "-p", ":", "vcan0"}, `-p ":": want TX, TX:RX or :RX`},
		{[]string{"isotp", "send", "-s", "123", "-S", "-C", "vcan0"}, "give either -S or -C"},
		{[]string{"isotp", "send", "-s", "123", "-d", "321", "-t", "1e3", "vcan0"}, `-t "1e3": want nanoseconds`},
		{[]string{"isotp", "send", "-s", "123", "-d", "321", "-L", "72:64", "vcan0"}, `-L "72:64": want MTU:TX_DL:TX_FLAGS`},
		{[]string{"isotp", "send", "-s", "123", "-d", "321", "-D", "8", "-i", "f", "vcan0"}, "at most one of -D, -i and --data"},
		{[]string{"isotp", "recv", "-s", "123", "-d", "321", "-m", "zz", "vcan0"}, `-m "zz": want one hex byte`},
		{[]string{"isotp", "recv", "-s", "123", "-d", "321", "-b", "100", "vcan0"}, `-b "100": want one hex byte`},
		{[]string{"isotp", "recv", "-s", "123", "-d", "321", "-D", "8", "vcan0"}, "unknown option -D"},
		{[]string{"isotp", "recv", "-s", "123", "-d", "321", "--brs", "vcan0"}, "--brs needs --fd"},
		{[]string{"j1939", "send", "vcan0:0x80"}, "want FROM and TO"},
		{[]string{"j1939", "send", "vcan0:0x80", ":0x90"}, "no PGN"},
		{[]string{"j1939", "send", "vcan0:0x80", ":0x90,0x40001"}, `TO ":0x90,0x40001": PGN "0x40001": 0x40001 is above 0x40000`},
		{[]string{"j1939", "send", "vcan0:0x1FE", ":0x90,0xEF00"}, `FROM "vcan0:0x1FE": address "0x1FE"`},
		{[]string{"j1939", "send", "vcan0:9x", ":0x90,0xEF00"}, `address "9x": not a number`},
		{[]string{"j1939", "send", "-p", "9", "vcan0:0x80", ":0x90,0xEF00"}, `-p "9": want a priority 0..7`},
		{[]string{"j1939", "send", ":0x80", ":0x90,0xEF00"}, "FROM needs an interface"},
		{[]string{"j1939", "send", "vcan0:0x80", "vcan1:0x90,0xEF00"}, "TO's interface vcan1 is not FROM's vcan0"},
		{[]string{"j1939", "recv", "-s", "0", "vcan0"}, `-s "0": want a size`},
		{[]string{"j1939", "recv", "-D", "vcan0"}, "unknown option -D"},
		{[]string{"j1939", "recv"}, "want FROM"},
	}
	for _, tt := range tests {
		_, _, err := runCLI(tt.args...)
		var ue *usageError
		if !errors.As(err, &ue) || ue.ExitCode() != 2 {
			t.Errorf("%v: err %v, want a usage error", tt.args, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %q does not contain %q", tt.args, err.Error(), tt.want)
		}
	}
	if _, _, err := runCLI("dump", "-h"); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
	out, _, err := runCLI("help")
	if err != nil || !strings.Contains(out, "dump") || !strings.Contains(out, "j1939") {
		t.Errorf("help: %v %q", err, out)
	}
}

func TestParseDumpSpec(t *testing.T) {
	s, err := parseDumpSpec("can0,123:7FF,400~700,#FF,j")
	if err != nil {
		t.Fatal(err)
	}
	if s.iface != "can0" || len(s.cfg.Filters) != 2 || !s.cfg.Filters[1].Inverted || s.cfg.ErrorMask != 0xFF || !s.cfg.JoinFilters {
		t.Fatalf("%+v", s)
	}
	s, _ = parseDumpSpec("any")
	if s.iface != "" || s.cfg.Filters != nil {
		t.Fatalf("any: %+v", s)
	}
	s, _ = parseDumpSpec("vcan0,#FFFFFFFF")
	if s.cfg.Filters != nil || s.cfg.ErrorMask != 0x1FFFFFFF {
		t.Fatalf("error-only: %+v", s)
	}
}

func FuzzParseDumpSpec(f *testing.F) {
	f.Add("can0,123:7FF,400~700,#FF,j")
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := parseDumpSpec(s)
		if err != nil {
			return
		}
		if len(spec.display) == 0 {
			t.Fatal("empty display")
		}
	})
}
