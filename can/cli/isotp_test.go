package cli

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/internal/cmdline"
)

// TestReadHexBytes: isotpsend's input, one hex byte per word, and a word
// isotpsend would cut or stop at is an error naming it.
func TestReadHexBytes(t *testing.T) {
	got, err := readHexBytes(strings.NewReader("11 22 0x33\n\t4 ff  FF\n"), "stdin")
	if err != nil || !bytes.Equal(got, []byte{0x11, 0x22, 0x33, 0x04, 0xFF, 0xFF}) {
		t.Fatalf("% X, %v", got, err)
	}
	for in, want := range map[string]string{
		"11 223 44": `word 2 "223"`,
		"11 zz":     `word 2 "zz"`,
		"11,22":     `word 1 "11,22"`,
		"0x":        `word 1 "0x"`,
	} {
		if _, err := readHexBytes(strings.NewReader(in), "stdin"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %s", in, err, want)
		}
	}
	if got, err := readHexBytes(strings.NewReader(" \n"), "stdin"); err != nil || len(got) != 0 {
		t.Errorf("blank: % X %v", got, err)
	}
}

// TestISOTPOptions: each option sets what isotpsend/isotprecv set.
func TestISOTPOptions(t *testing.T) {
	var o isotpCommon
	set := &optSet{name: "isotp send"}
	o.addCommon(set, true)
	ops, err := set.parse([]string{"-s", "18DA00F1", "-d", "0x7E8", "-x", "0x10:20", "-p", "AA:55", "-P", "a", "-t", "ZERO", "-f", "1000", "-L", "72:64:1", "vcan0"}, nil)
	if err != nil || len(ops) != 1 {
		t.Fatal(ops, err)
	}
	c := o.cfg
	if o.tx != 0x18DA00F1|can.EFFFlag || o.rx != 0x7E8 || *c.ExtAddr != 0x10 || *c.RxExtAddr != 0x20 || *c.TxPad != 0xAA || *c.RxPad != 0x55 ||
		c.Flags != can.ISOTPChkPadLen|can.ISOTPChkPadData|can.ISOTPForceTxSTmin || c.FrameTxTime != can.ISOTPFrameTxTimeZero || c.TxSTmin != 1000 ||
		*o.ll != (can.ISOTPLinkLayer{MTU: 72, TxDL: 64, TxFlags: can.BRS}) {
		t.Fatalf("%+v %+v", o, c)
	}
	// -p :RX sets only the receive padding; 8 digits make a 29-bit ID
	// even for a small value, as in can-utils.
	o = isotpCommon{}
	set = &optSet{name: "isotp recv"}
	o.addCommon(set, false)
	if _, err := set.parse([]string{"-p", ":CC", "-s", "00000123", "-d", "123", "-f", "5", "-L", "16:0:0"}, nil); err != nil {
		t.Fatal(err)
	}
	if o.cfg.TxPad != nil || *o.cfg.RxPad != 0xCC || o.tx != 0x123|can.EFFFlag || o.rx != 0x123 || o.cfg.Flags != can.ISOTPForceRxSTmin || o.cfg.RxSTmin != 5 || o.ll != nil {
		t.Fatalf("%+v", o)
	}
}

// TestISOTPHelp: send and recv each have their own synopsis and option
// list (recv lists no -D), and `isotp -h` lists the commands.
func TestISOTPHelp(t *testing.T) {
	for _, tt := range []struct {
		cmd       string
		want, not []string
	}{
		{"send", []string{"usage: fieldgate can isotp send -s ID -d ID [options] IFACE", "-D LEN", "-l NUM", "-b ", "-S ", "-i FILE", "--data HEX", "-t NS"}, []string{"-m STMIN", "--count"}},
		{"recv", []string{"usage: fieldgate can isotp recv -s ID -d ID [options] IFACE", "-b BS", "-m STMIN", "-w NUM", "-l ", "--count N", "--out FILE"}, []string{"-D ", "PDU to send", "-t NS", "--data"}},
	} {
		_, errb, err := runCLI("isotp", tt.cmd, "-h")
		if !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("%s -h: %v", tt.cmd, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(errb, w) {
				t.Errorf("%s -h lacks %q:\n%s", tt.cmd, w, errb)
			}
		}
		for _, w := range tt.not {
			if strings.Contains(errb, w) {
				t.Errorf("%s -h has %q:\n%s", tt.cmd, w, errb)
			}
		}
	}
	out, _, err := runCLI("isotp", "-h")
	if err != nil || !strings.Contains(out, "commands:\n  send ") || !strings.Contains(out, "\n  dump ") {
		t.Errorf("isotp -h: %v %q", err, out)
	}
	// isotpsniffer's -h takes a length; -h alone still asks for help.
	if _, errb, err := runCLI("isotp", "sniff", "-h"); !errors.Is(err, flag.ErrHelp) || !strings.Contains(errb, "usage: fieldgate can isotp sniff") {
		t.Errorf("sniff -h: %v %q", err, errb)
	}
}

// TestHelpColumnsForCompletion: the -h of every can command lists each
// option name, short and long, in the column form the completions and man
// pages are generated from (internal/cmdline).
func TestHelpColumnsForCompletion(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"dump", "-h"}, []string{"t", "x", "dbc", "batch", "log-file"}},
		{[]string{"isotp", "send", "-h"}, []string{"s", "d", "D", "l", "data", "fd", "brs", "timeout"}},
		{[]string{"isotp", "recv", "-h"}, []string{"b", "m", "w", "l", "count", "out", "listen-only"}},
		{[]string{"j1939", "send", "-h"}, []string{"i", "s", "R", "B", "p", "P", "events", "data"}},
		{[]string{"j1939", "recv", "-h"}, []string{"r", "s", "B", "P", "promisc", "count", "print"}},
		{[]string{"j1939", "acd", "-h"}, []string{"v", "verbose", "r", "range", "c", "cache"}},
	} {
		_, errb, _ := runCLI(tt.args...)
		h := cmdline.ParseHelp(errb)
		got := map[string]bool{}
		for _, f := range h.Flags {
			got[f.Name] = true
		}
		for _, w := range tt.want {
			if !got[w] {
				t.Errorf("%v: option %q not read from the help:\n%s", tt.args, w, errb)
			}
		}
	}
}
