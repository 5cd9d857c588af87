package cmdline

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"testing"
)

// The test program "fg": check (flags exposed), tool (subcommands found
// in its -h, flags only in -h), pair (alternatives in its synopsis),
// version and fail.

func checkFlags(stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("c", "/etc/fg.yaml", "configuration `file`")
	fs.Int("n", 0, "stop after `count` checks")
	fs.Bool("q", false, "quiet")
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: fg check [-c FILE]\n\nValidates FILE.\n\nflags:\n")
		fs.PrintDefaults()
	}
	return fs, file
}

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, file := checkFlags(stderr)
	if err := Parse(fs, args); err != nil {
		return err
	}
	if err := NoArgs(fs); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "checked %s\n", *file)
	return nil
}

func runTool(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" {
		fmt.Fprint(stdout, "usage: fg tool COMMAND [ARGS...]\n\ncommands:\n  dump   print frames: dump [flags] IFACE...\n  load   load a file\n")
		return nil
	}
	switch args[0] {
	case "dump":
		fs := flag.NewFlagSet("tool dump", flag.ContinueOnError)
		fs.SetOutput(stderr)
		fs.String("l", "", "also write frames to `FILE`")
		fs.String("i", "", "interface to listen on")
		fs.Duration("T", 0, "exit after `DURATION` without frames")
		fs.Bool("x", false, "extended view")
		fs.Bool("classic", false, "no FD")
		fs.Usage = func() {
			fmt.Fprint(stderr, "usage: fg tool dump [flags] IFACE...\n\nflags:\n")
			fs.PrintDefaults()
		}
		if err := Parse(fs, args[1:]); err != nil {
			return err
		}
		return nil
	case "load":
		if len(args) > 1 && args[1] == "-h" {
			fmt.Fprint(stderr, "usage: fg tool load CONFIG\n")
			return flag.ErrHelp
		}
		return nil
	}
	return Usagef("tool: unknown command %q", args[0])
}

func runPair(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fmt.Fprint(stderr, "usage: fg pair send|recv [flags] IFACE\n\noptions:\n  -s DEV            source interface\n  -X                FD rule\n  -m OP:FIELDS:DATA         modification: OP is AND|OR,\n                            DATA hex digits\n")
	return flag.ErrHelp
}

func testProgram() *Program {
	return &Program{Name: "fg", Summary: "the test program", Version: "v1.2.3", Date: "2026-01-02", Commands: []Command{
		{Name: "check", Summary: "validate a configuration", Run: runCheck, Flags: func() *flag.FlagSet { fs, _ := checkFlags(io.Discard); return fs }},
		{Name: "tool", Summary: "tools: dump, load", Run: runTool},
		{Name: "pair", Summary: "send or receive", Run: runPair},
		{Name: "version", Summary: "print the version", Run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			fmt.Fprintln(stdout, "fg v1.2.3")
			return nil
		}},
		{Name: "fail", Summary: "fail", Run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			if len(args) > 0 {
				return fmt.Errorf("fail: %s", args[0])
			}
			return errors.New("it broke")
		}},
	}}
}

func runMain(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = testProgram().Main(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func TestMainExitCodesAndMessages(t *testing.T) {
	for _, c := range []struct {
		args       []string
		code       int
		out, err   string // substrings; "" = must be empty
		noOut, noE bool
	}{
		{args: nil, code: 2, err: "usage: fg COMMAND", noOut: true},
		{args: []string{"-h"}, code: 0, out: "  check      validate a configuration\n", noE: true},
		{args: []string{"--version"}, code: 0, out: "fg v1.2.3\n", noE: true},
		{args: []string{"nosuch"}, code: 2, err: `fg: unknown command "nosuch" (run "fg help" for the list)`, noOut: true},
		{args: []string{"check", "-c", "x.yaml"}, code: 0, out: "checked x.yaml\n", noE: true},
		{args: []string{"check", "-x"}, code: 2, err: "fg check: unknown flag -x (see fg check -h)\n", noOut: true},
		{args: []string{"check", "-n", "1x"}, code: 2, err: `fg check: -n "1x": want a whole number (see fg check -h)` + "\n", noOut: true},
		{args: []string{"check", "-c"}, code: 2, err: "fg check: flag -c needs a file (see fg check -h)\n", noOut: true},
		{args: []string{"check", "extra"}, code: 2, err: `fg check: unexpected argument "extra"`, noOut: true},
		{args: []string{"check", "-h"}, code: 0, err: "usage: fg check [-c FILE]", noOut: true},
		// An error that names its command is not prefixed twice.
		{args: []string{"fail", "x"}, code: 1, err: "fg fail: x\n", noOut: true},
		{args: []string{"fail"}, code: 1, err: "fg fail: it broke\n", noOut: true},
		{args: []string{"tool", "nosuch"}, code: 2, err: "fg tool: unknown command \"nosuch\"\n", noOut: true},
	} {
		code, out, errs := runMain(t, c.args...)
		if code != c.code || !strings.Contains(out, c.out) || !strings.Contains(errs, c.err) || (c.noOut && out != "") || (c.noE && errs != "") {
			t.Errorf("fg %q: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q", c.args, code, out, errs, c.code, c.out, c.err)
		}
		if strings.Contains(errs, "fg fail: fail:") || strings.Contains(errs, "fg tool: tool:") {
			t.Errorf("fg %q: doubled prefix in %q", c.args, errs)
		}
	}
}

// "help TOPIC" prints exactly what "TOPIC -h" prints, on stdout.
func TestHelpTopicIsTheCommandsOwnHelp(t *testing.T) {
	for _, topic := range [][]string{{"check"}, {"tool"}, {"tool", "dump"}, {"tool", "load"}, {"pair"}, {"completion"}, {"man"}, {"help"}} {
		code, out, errs := runMain(t, append([]string{"help"}, topic...)...)
		if code != 0 || errs != "" {
			t.Errorf("help %q: exit %d, stderr %q", topic, code, errs)
		}
		var o, e bytes.Buffer
		c, _ := testProgram().lookup(topic[0])
		c.Run(context.Background(), append(topic[1:], "-h"), &o, &e)
		if want := o.String() + e.String(); out != want || !strings.Contains(out, "usage: fg "+strings.Join(topic, " ")) {
			t.Errorf("help %q printed\n%s\nwant (%s -h)\n%s", topic, out, topic, want)
		}
	}
	if code, out, _ := runMain(t, "help"); code != 0 || !strings.Contains(out, "commands:\n  check") {
		t.Errorf("help: exit %d, %q", code, out)
	}
	if code, out, errs := runMain(t, "help", "nosuch"); code != 2 || out != "" || !strings.Contains(errs, `no help topic "nosuch"`) {
		t.Errorf("help nosuch: exit %d, %q, %q", code, out, errs)
	}
}

func TestMessage(t *testing.T) {
	for _, c := range []struct{ name, err, want string }{
		{"can", "can: interface vcan9 does not exist", "fieldgate can: interface vcan9 does not exist"},
		{"can", "fieldgate can: isotp: want send", "fieldgate can: isotp: want send"},
		{"check", "x.yaml: 2 errors", "fieldgate check: x.yaml: 2 errors"},
		{"capture", "can: x", "fieldgate capture: can: x"},
	} {
		if got := Message("fieldgate", c.name, errors.New(c.err)); got != c.want {
			t.Errorf("Message(%s, %q) = %q, want %q", c.name, c.err, got, c.want)
		}
	}
}

func TestFlagError(t *testing.T) {
	defer func(n string) { ProgramName = n }(ProgramName)
	ProgramName = "fieldgate"
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.Duration("w", 0, "refresh every `interval`")
	fs.Int("n", 0, "count")
	fs.Uint("u", 0, "unsigned")
	fs.Float64("f", 0, "factor")
	fs.Bool("json", false, "json")
	fs.String("a", "", "admin `address`")
	fs.Func("size", "a size", func(s string) error { return fmt.Errorf("invalid size %q (want k, M or G)", s) })
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-x"}, "unknown flag -x"},
		{[]string{"--x"}, "unknown flag -x"},
		{[]string{"-a"}, "flag -a needs an address"},
		{[]string{"-w", "1x"}, `-w "1x": want a duration such as 500ms, 2s or 1m30s`},
		{[]string{"-n", "z"}, `-n "z": want a whole number`},
		{[]string{"-n", "99999999999999999999"}, `-n "99999999999999999999": want a whole number in range`},
		{[]string{"-u", "-1"}, `-u "-1": want a whole number, 0 or more`},
		{[]string{"-f", "q"}, `-f "q": want a number`},
		{[]string{"-json=maybe"}, `-json "maybe": want true or false (-json=true)`},
		{[]string{"-size", "3q"}, `-size "3q": invalid size "3q" (want k, M or G)`},
	} {
		err := Parse(fs, c.args)
		var ue *UsageError
		if !errors.As(err, &ue) || ue.ExitCode() != 2 {
			t.Errorf("%q: %v, want a UsageError", c.args, err)
			continue
		}
		if want := c.want + " (see fieldgate status -h)"; err.Error() != want {
			t.Errorf("%q: %q\nwant %q", c.args, err.Error(), want)
		}
	}
	var out bytes.Buffer
	fs.SetOutput(&out)
	if err := Parse(fs, []string{"-n", "z"}); err == nil || out.Len() != 0 {
		t.Errorf("a wrong flag printed %q: the usage goes only with -h", out.String())
	}
	if err := Parse(fs, []string{"-h"}); !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "-w interval") {
		t.Errorf("-h: %v, printed %q", err, out.String())
	}
}
