package cmdline

import (
	"bytes"
	"flag"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Flags read back from flag.PrintDefaults are the flags of the FlagSet:
// the -h path and the FlagSet path describe a command the same way.
func TestParseHelpReadsPrintDefaults(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.String("c", "/etc/fieldgate/fieldgate.yaml", "configuration `file`")
	fs.String("log-level", "", "override log.level: debug, info, warn, error")
	fs.String("provider", "auto", "`provider`: kernel (AF_ALG), go, or auto")
	fs.Bool("q", false, "do not report the provider")
	fs.Bool("json", false, "print JSON")
	fs.Bool("fd", true, "CAN FD")
	fs.Int("B", 64, "frames per receive system call (1..64)")
	fs.Int64("n", 0, "exit after `COUNT` frames (0 = never)")
	fs.Uint("seed", 0, "random seed")
	fs.Float64("rate", 0, "packets per second")
	fs.Duration("w", time.Second, "refresh every `interval`")
	fs.Duration("T", 0, "exit after DURATION")
	fs.String("i", "", "interface to capture on")
	fs.String("w2", "", "write packets to this pcapng file")
	fs.String("rotate", "", "start a new file after this many bytes")
	fs.String("d", "", "decode with the DBC `FILE`")
	fs.String("s", "", "source `DEV`")
	fs.String("outfile", "", "same as -w2")
	fs.Func("block-size", "ring block size", func(string) error { return nil })
	var b bytes.Buffer
	fs.SetOutput(&b)
	fs.PrintDefaults()
	h := ParseHelp("usage: fieldgate x [flags]\n\nflags:\n" + b.String())
	got := append([]Flag(nil), h.Flags...)
	classifyFlags(got)
	want := FlagsOf(fs)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("from -h:\n%+v\nfrom the FlagSet:\n%+v\n-h text:\n%s", got, want, b.String())
	}
	kinds := map[string]ArgKind{"c": ArgConfig, "i": ArgIface, "w2": ArgFile, "outfile": ArgFile, "rotate": ArgWord, "d": ArgFile,
		"s": ArgIface, "q": ArgNone, "json": ArgNone, "B": ArgWord, "w": ArgWord, "block-size": ArgWord}
	for _, f := range want {
		if k, ok := kinds[f.Name]; ok && f.Kind != k {
			t.Errorf("-%s is a %v, want %v", f.Name, f.Kind, k)
		}
	}
	if f := (&Spec{Flags: want}).Flag("fd"); f == nil || f.Default != "true" || f.Arg != "" {
		t.Errorf("-fd: %+v", f)
	}
	if h.Prose != "" || len(h.Synopsis) != 1 || h.Synopsis[0] != "fieldgate x [flags]" {
		t.Errorf("synopsis %q prose %q", h.Synopsis, h.Prose)
	}
}

func TestParseHelpTablesCommandsSynopsis(t *testing.T) {
	text := `usage: fieldgate capture -i IFACE [-i IFACE...] [-f 'tcpdump expr']
                        [--rotate-size SIZE] [-c COUNT]

Captures packets from one or more interfaces.

commands:
  dump   receive and print frames (candump): dump [flags] IFACE
  send   send frames

options (values in hex unless noted):
  -s DEV            source interface
  -X                CAN FD rule
  -f ID:MASK        filter: forward frames with id & mask == ID & MASK
  -f ID~MASK        inverted filter
  -m OP:FIELDS:ID.DLC.DATA         classic modification: OP is AND|OR|XOR|SET,
                                   FIELDS one or more of I L D
  -c FROM:TO:RESULT:INIT:XOR:TABLE CRC8 checksum
  -x	extended
  -h                help
FILTER is one of
  ID:MASK   receive when frame_id & MASK == ID & MASK
`
	h := ParseHelp(text)
	if want := []string{"fieldgate capture -i IFACE [-i IFACE...] [-f 'tcpdump expr'] [--rotate-size SIZE] [-c COUNT]"}; !reflect.DeepEqual(h.Synopsis, want) {
		t.Errorf("synopsis %q", h.Synopsis)
	}
	if want := []Listed{{"dump", "receive and print frames (candump): dump [flags] IFACE"}, {"send", "send frames"}}; !reflect.DeepEqual(h.Commands, want) {
		t.Errorf("commands %q", h.Commands)
	}
	want := []Flag{
		{Name: "s", Arg: "DEV", Usage: "source interface", Kind: ArgIface},
		{Name: "X", Usage: "CAN FD rule"},
		{Name: "f", Arg: "ID:MASK", Usage: "filter: forward frames with id & mask == ID & MASK", Kind: ArgWord},
		{Name: "m", Arg: "OP:FIELDS:ID.DLC.DATA", Usage: "classic modification: OP is AND|OR|XOR|SET, FIELDS one or more of I L D", Kind: ArgWord},
		{Name: "c", Arg: "FROM:TO:RESULT:INIT:XOR:TABLE", Usage: "CRC8 checksum", Kind: ArgWord},
		{Name: "x", Usage: "extended"},
	}
	if !reflect.DeepEqual(h.Flags, want) {
		t.Errorf("flags\n%+v\nwant\n%+v", h.Flags, want)
	}
	wantProse := "Captures packets from one or more interfaces.\n\noptions (values in hex unless noted):\nFILTER is one of\n  ID:MASK   receive when frame_id & MASK == ID & MASK"
	if h.Prose != wantProse {
		t.Errorf("prose %q\nwant %q", h.Prose, wantProse)
	}
}

func TestPositionalsAndAlternatives(t *testing.T) {
	for _, c := range []struct {
		path    []string
		syn     string
		flags   []Flag
		args    []ArgKind
		repeat  bool
		choices []string
	}{
		{[]string{"can", "dump"}, "fieldgate can dump [flags] IFACE[,FILTER]...", nil, []ArgKind{ArgIface}, true, nil},
		{[]string{"can", "send"}, "fieldgate can send IFACE FRAME...", nil, []ArgKind{ArgIface, ArgWord}, true, nil},
		{[]string{"inject"}, "fieldgate inject -i IFACE [--rate PPS | --realtime [--speed X]] [--loop N] [-c COUNT] FILE", nil, []ArgKind{ArgFile}, false, nil},
		{[]string{"crypto", "hash"}, "fieldgate crypto hash -c NAME [FLAGS] [FILE]", nil, []ArgKind{ArgFile}, false, nil},
		{[]string{"check"}, "fieldgate check [-c FILE]", nil, nil, false, nil},
		{[]string{"status"}, "fieldgate status [-a [https://]HOST:PORT | -c FILE] [-json]", nil, nil, false, nil},
		{[]string{"x"}, "fieldgate x -q CONFIG", []Flag{{Name: "q"}}, []ArgKind{ArgConfig}, false, nil},
		{[]string{"can", "isotp"}, "fieldgate can isotp send|recv [flags] IFACE", nil, []ArgKind{ArgIface}, false, []string{"send", "recv"}},
		{[]string{"can", "isotp", "send"}, "fieldgate can isotp send|recv [flags] IFACE", nil, []ArgKind{ArgIface}, false, nil},
	} {
		s := &Spec{Path: c.path, Flags: c.flags}
		args, rep := positionals(s, []string{c.syn})
		if !reflect.DeepEqual(args, c.args) || rep != c.repeat {
			t.Errorf("%q: args %v repeat %v, want %v %v", c.syn, args, rep, c.args, c.repeat)
		}
		if alts := alternatives(c.path, []string{c.syn}); !reflect.DeepEqual(alts, c.choices) {
			t.Errorf("%q: alternatives %q, want %q", c.syn, alts, c.choices)
		}
	}
}

// FuzzParseHelp: any text parses without a panic into flags with valid
// names and known kinds, and every line ends up somewhere.
func FuzzParseHelp(f *testing.F) {
	f.Add("usage: fieldgate x [-c FILE]\n\nflags:\n  -c file\n    \tconfiguration file (default \"/etc/x.yaml\")\n  -q\tquiet\n")
	f.Add("commands:\n  dump  d\n  -x\n")
	f.Add("  -m OP:FIELDS         x\n                       y\n  -\n  --\n  -(\n")
	f.Add("usage: a\n        [b\n")
	f.Fuzz(func(t *testing.T, text string) {
		h := ParseHelp(text)
		for _, fl := range h.Flags {
			if !isFlagName(fl.Name) || fl.Kind > ArgFile {
				t.Fatalf("flag %+v from %q", fl, text)
			}
			if fl.Arg == "" && fl.Kind != ArgNone {
				t.Fatalf("boolean flag %+v with a value kind", fl)
			}
		}
		for _, c := range h.Commands {
			if !isWord(c.Name) {
				t.Fatalf("command %+v from %q", c, text)
			}
		}
		if strings.Contains(h.Prose, "\n\n\n") {
			t.Fatalf("prose %q has runs of blank lines", h.Prose)
		}
	})
}

func TestCutDefault(t *testing.T) {
	for _, c := range []struct{ in, usage, def string }{
		{`configuration file (default "/etc/x.yaml")`, "configuration file", "/etc/x.yaml"},
		{`separator (default "a\"b")`, "separator", `a"b`},
		{`frames (default 64)`, "frames", "64"},
		{`refresh (default 1s)`, "refresh", "1s"},
		{`token file (default with -c: admin.token_file)`, `token file (default with -c: admin.token_file)`, ""},
		{`no default here`, `no default here`, ""},
	} {
		if u, d := cutDefault(c.in); u != c.usage || d != c.def {
			t.Errorf("cutDefault(%q) = %q, %q; want %q, %q", c.in, u, d, c.usage, c.def)
		}
	}
}
