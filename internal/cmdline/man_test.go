package cmdline

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// renderMan formats a page with groff (as man -l does) and returns the
// text, failing on any groff warning. Without groff the page is checked as
// roff text only.
func renderMan(t *testing.T, page string) string {
	t.Helper()
	for _, req := range []string{".TH ", ".SH NAME\n", ".SH SYNOPSIS\n"} {
		if !strings.Contains(page, req) {
			t.Errorf("page lacks %q:\n%s", req, page)
		}
	}
	for i, l := range strings.Split(page, "\n") {
		if strings.HasPrefix(l, "'") || (strings.HasPrefix(l, ".") && !strings.HasPrefix(l, `.\"`) && !knownMacro(l)) {
			t.Errorf("line %d is an unknown request: %q", i+1, l)
		}
	}
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Logf("groff is not installed: pages checked as roff text only")
		return page
	}
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-P-cbou")
	cmd.Stdin = strings.NewReader(page)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("groff: %v\n%s\npage:\n%s", err, stderr.String(), page)
	}
	return string(out)
}

func knownMacro(l string) bool {
	for _, m := range []string{".TH ", ".SH ", ".SS ", ".TP", ".PP", ".B ", ".BI ", ".BR ", ".br", ".nf", ".fi"} {
		if strings.HasPrefix(l, m) {
			return true
		}
	}
	return false
}

func TestManPages(t *testing.T) {
	dir := t.TempDir()
	var o, e bytes.Buffer
	if code := testProgram().Main(context.Background(), []string{"man", "-d", dir}, &o, &e); code != 0 {
		t.Fatalf("man -d: exit %d %s", code, e.String())
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	want := []string{"fg-check.1", "fg-completion.1", "fg-fail.1", "fg-help.1", "fg-man.1", "fg-pair.1", "fg-tool.1", "fg-version.1", "fg.1"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("pages %q, want %q", names, want)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	check := renderMan(t, read("fg-check.1"))
	for _, s := range []string{"FG-CHECK(1)", "fg-check - validate a configuration", "fg check [-c FILE]", "Validates FILE.",
		"-c file", "configuration file (default: /etc/fg.yaml)", "-n count", "-q", "fg v1.2.3", "2026-01-02", "fg(1)"} {
		if !strings.Contains(check, s) {
			t.Errorf("fg-check(1) lacks %q:\n%s", s, check)
		}
	}
	tool := renderMan(t, read("fg-tool.1"))
	for _, s := range []string{"fg tool dump", "print frames: dump [flags] IFACE...", "-T DURATION", "exit after DURATION without frames", "-l FILE", "fg tool load"} {
		if !strings.Contains(tool, s) {
			t.Errorf("fg-tool(1) lacks %q:\n%s", s, tool)
		}
	}
	pair := renderMan(t, read("fg-pair.1"))
	for _, s := range []string{"-m OP:FIELDS:DATA", "modification: OP is AND|OR, DATA hex digits", "-X"} {
		if !strings.Contains(pair, s) {
			t.Errorf("fg-pair(1) lacks %q:\n%s", s, pair)
		}
	}
	root := renderMan(t, read("fg.1"))
	for _, s := range []string{"fg - the test program", "fg COMMAND [ARGS...]", "--version", "fg-check(1)", "fg-tool(1)", "EXIT STATUS"} {
		if !strings.Contains(root, s) {
			t.Errorf("fg(1) lacks %q:\n%s", s, root)
		}
	}
	// One page to stdout is the same page.
	o.Reset()
	if code := testProgram().Main(context.Background(), []string{"man", "check"}, &o, &e); code != 0 || o.String() != read("fg-check.1") {
		t.Errorf("man check: exit %d, differs from the file", code)
	}
	if code := testProgram().Main(context.Background(), []string{"man", "nosuch"}, &o, &e); code != 2 {
		t.Errorf("man nosuch: exit %d", code)
	}
}

func TestRoffEscape(t *testing.T) {
	for in, want := range map[string]string{
		`.TH x`:    `\&.TH x`,
		`'x`:       `\&'x`,
		`a\b`:      `a\eb`,
		`-c -- x`:  `\-c \-\- x`,
		"plain":    "plain",
		`"quoted"`: `"quoted"`,
	} {
		if got := roffEscape(in); got != want {
			t.Errorf("roffEscape(%q) = %q, want %q", in, got, want)
		}
	}
	if got := roffQuote(`say "x"`); got != `"say \(dqx\(dq"` {
		t.Errorf("roffQuote: %q", got)
	}
}
