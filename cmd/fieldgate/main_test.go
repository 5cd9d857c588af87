package main

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

// binDir holds the fieldgate binary built for the tests that run it as a
// user would.
var binDir string

// binary builds fieldgate once and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	path := filepath.Join(binDir, "fieldgate")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return path
}

func TestMain(m *testing.M) {
	var err error
	if binDir, err = os.MkdirTemp("", "fieldgate-test"); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

func run(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = program().Main(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

// "fieldgate help TOPIC" is the topic's own -h, for every command.
func TestHelpTopicForEveryCommand(t *testing.T) {
	for _, c := range program().Commands {
		code, out, errs := run("help", c.Name)
		if code != 0 || errs != "" {
			t.Errorf("help %s: exit %d, stderr %q", c.Name, code, errs)
		}
		var o, e bytes.Buffer
		c.Run(context.Background(), []string{"-h"}, &o, &e)
		if want := o.String() + e.String(); out != want {
			t.Errorf("help %s differs from %s -h:\n%s\nwant\n%s", c.Name, c.Name, out, want)
		}
		if !strings.Contains(out, "usage: fieldgate "+c.Name) || strings.Contains(out, "Usage of ") {
			t.Errorf("help %s: no usage line of its own:\n%s", c.Name, out)
		}
	}
	code, out, _ := run("help", "can", "dump")
	if code != 0 || !strings.Contains(out, "usage: fieldgate can dump") {
		t.Errorf("help can dump: exit %d\n%s", code, out)
	}
}

func TestDoctorUsage(t *testing.T) {
	code, out, errs := run("doctor", "-h")
	if code != 0 || out != "" || !strings.HasPrefix(errs, "usage: fieldgate doctor [-json] [-strict]\n") || strings.Contains(errs, "Usage of doctor") || !strings.Contains(errs, "-strict") {
		t.Errorf("doctor -h: exit %d, stdout %q, stderr\n%s", code, out, errs)
	}
	code, out, errs = run("doctor", "-nosuch")
	if code != 2 || errs != "fieldgate doctor: unknown flag -nosuch (see fieldgate doctor -h)\n" {
		t.Errorf("doctor -nosuch: exit %d, stderr %q", code, errs)
	}
}

// A subcommand's error that already names the command is printed once:
// "fieldgate can: ...", not "fieldgate can: can: ...".
func TestNoDoubledPrefix(t *testing.T) {
	cmd := exec.Command(binary(t), "can", "send", "fgnone9", "123#11")
	out, _ := cmd.CombinedOutput()
	if !strings.HasPrefix(string(out), "fieldgate can: ") || strings.Contains(string(out), "fieldgate can: can:") {
		t.Errorf("can send on a missing interface: %q", out)
	}
}

func complete(t *testing.T, dir string, words ...string) []string {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	const prog = `source <("$FIELDGATE" completion bash) || exit 9
COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_fieldgate fieldgate "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" || exit 7
printf '%s\n' "${COMPREPLY[@]}"`
	cmd := exec.Command(bash, append([]string{"--norc", "--noprofile", "-c", prog, "_"}, words...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FIELDGATE="+binary(t))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("completing %q: %v\n%s", words, err, stderr.String())
	}
	got := strings.Fields(string(out))
	sort.Strings(got)
	return got
}

func has(list []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, l := range list {
			found = found || l == w
		}
		if !found {
			return false
		}
	}
	return true
}

// Completion of the real command table, through bash's machinery.
func TestBashCompletion(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"gw.yaml", "lab.yml", "notes.txt"} {
		os.WriteFile(filepath.Join(dir, f), nil, 0o644)
	}
	ents, err := os.ReadDir("/sys/class/net")
	if err != nil || len(ents) == 0 {
		t.Skip("no /sys/class/net")
	}
	var ifaces []string
	for _, e := range ents {
		ifaces = append(ifaces, e.Name())
	}
	sort.Strings(ifaces)
	var names []string
	for _, c := range program().Commands {
		names = append(names, c.Name)
	}
	if got := complete(t, dir, "fieldgate", ""); !has(got, append(names, "help", "completion", "man")...) {
		t.Errorf("commands: %q", got)
	}
	if got := complete(t, dir, "fieldgate", "ch"); strings.Join(got, " ") != "check" {
		t.Errorf("ch: %q", got)
	}
	if got := complete(t, dir, "fieldgate", "run", "-"); strings.Join(got, " ") != "-c -h -log-format -log-level" {
		t.Errorf("run flags: %q", got)
	}
	if got := complete(t, dir, "fieldgate", "status", "-"); !has(got, "-a", "-c", "-ca", "-json", "-n", "-s", "-w") {
		t.Errorf("status flags: %q", got)
	}
	if got := complete(t, dir, "fieldgate", "check", "-c", ""); strings.Join(got, " ") != "gw.yaml lab.yml" {
		t.Errorf("check -c: %q", got)
	}
	if got := complete(t, dir, "fieldgate", "run", "-log-level", "x", "-c", "g"); strings.Join(got, " ") != "gw.yaml" {
		t.Errorf("run -c g: %q", got)
	}
	if got := complete(t, dir, "fieldgate", "can", ""); !has(got, "dump", "send", "gen", "isotp", "j1939") {
		t.Errorf("can: %q", got)
	}
	if got := complete(t, dir, "fieldgate", "can", "dump", ""); strings.Join(got, " ") != strings.Join(ifaces, " ") {
		t.Errorf("can dump: %q, want %q", got, ifaces)
	}
	if got := complete(t, dir, "fieldgate", "capture", "-i", ""); strings.Join(got, " ") != strings.Join(ifaces, " ") {
		t.Errorf("capture -i: %q, want %q", got, ifaces)
	}
	if got := complete(t, dir, "fieldgate", "crypto", ""); !has(got, "hash", "hmac", "enc", "dec", "rng", "list") {
		t.Errorf("crypto: %q", got)
	}
	if got := complete(t, dir, "fieldgate", "help", "can", ""); !has(got, "dump", "send") {
		t.Errorf("help can: %q", got)
	}
	if got := complete(t, dir, "fieldgate", "completion", ""); strings.Join(got, " ") != "bash fish zsh" {
		t.Errorf("completion: %q", got)
	}
}

// The man pages of every command render without a groff warning and show
// the flags of the flag sets.
func TestManPages(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := run("man", "-d", dir); code != 0 {
		t.Fatalf("man -d: exit %d %s", code, errs)
	}
	for _, c := range program().Commands {
		name := "fieldgate-" + c.Name + ".1"
		text := render(t, mustRead(t, filepath.Join(dir, name)))
		if want := "NAME fieldgate-" + c.Name + " - " + c.Summary + " SYNOPSIS fieldgate " + c.Name; !strings.Contains(text, want) {
			t.Errorf("%s: no %q in\n%s", name, want, text)
		}
	}
	text := render(t, mustRead(t, filepath.Join(dir, "fieldgate-check.1")))
	for _, s := range []string{"fieldgate check [-c FILE]", "-c file", "configuration file (default: /etc/fieldgate/fieldgate.yaml)"} {
		if !strings.Contains(text, s) {
			t.Errorf("fieldgate-check(1) lacks %q:\n%s", s, text)
		}
	}
	text = render(t, mustRead(t, filepath.Join(dir, "fieldgate-status.1")))
	for _, s := range []string{"-s interval", "-w interval", "-json"} {
		if !strings.Contains(text, s) {
			t.Errorf("fieldgate-status(1) lacks %q:\n%s", s, text)
		}
	}
	text = render(t, mustRead(t, filepath.Join(dir, "fieldgate.1")))
	for _, c := range program().Commands {
		if !strings.Contains(text, "fieldgate-"+c.Name+"(1)") {
			t.Errorf("fieldgate(1) does not list %s", c.Name)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// render formats a page as man -l does (without hyphenation) and returns
// its words separated by single spaces; without groff, the roff text.
func render(t *testing.T, page []byte) string {
	t.Helper()
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Logf("groff is not installed: checking the roff text")
		return strings.Join(strings.Fields(strings.ReplaceAll(string(page), `\-`, "-")), " ")
	}
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-rHY=0", "-P-cbou")
	cmd.Stdin = bytes.NewReader(page)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("groff: %v\n%s", err, stderr.String())
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// make install puts the binary, the man pages and the completions under
// PREFIX.
func TestMakeInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds the binary with make")
	}
	mk, err := exec.LookPath("make")
	if err != nil {
		t.Skip("make is not installed")
	}
	tmp := t.TempDir()
	dest := filepath.Join(tmp, "dest")
	cmd := exec.Command(mk, "-C", "../..", "install", "DESTDIR="+dest, "PREFIX=/opt/fg", "BIN="+filepath.Join(tmp, "bin"), "MAN="+filepath.Join(tmp, "man"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	for _, f := range []string{"bin/fieldgate", "share/man/man1/fieldgate.1", "share/man/man1/fieldgate-check.1", "share/man/man1/fieldgate-can.1",
		"share/bash-completion/completions/fieldgate", "share/zsh/site-functions/_fieldgate", "share/fish/vendor_completions.d/fieldgate.fish"} {
		st, err := os.Stat(filepath.Join(dest, "opt/fg", f))
		if err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	out, err := exec.Command(filepath.Join(dest, "opt/fg/bin/fieldgate"), "help", "check").Output()
	if err != nil || !strings.Contains(string(out), "usage: fieldgate check") {
		t.Errorf("installed binary: %v %q", err, out)
	}
	if man, err := exec.LookPath("man"); err == nil {
		out, err := exec.Command(man, "-l", filepath.Join(dest, "opt/fg/share/man/man1/fieldgate-check.1")).Output()
		if err != nil || !strings.Contains(string(out), "validate a gateway configuration") {
			t.Errorf("man -l: %v\n%s", err, out)
		}
	}
}
