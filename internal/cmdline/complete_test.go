package cmdline

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// bashComplete runs bash's completion function of script for the words
// (the last one is the word being completed) in dir, as bash does on
// TAB: COMP_WORDS, COMP_CWORD, then the function complete -F names.
func bashComplete(t *testing.T, script, dir string, words ...string) []string {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	f := filepath.Join(t.TempDir(), "completion.bash")
	if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	const prog = `source "$1" || exit 9; shift
spec=$(complete -p "$1") || exit 8
fn=${spec#*-F }; fn=${fn%% *}
COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" || exit 7
printf '%s\n' "${COMPREPLY[@]}"`
	cmd := exec.Command(bash, append([]string{"--norc", "--noprofile", "-c", prog, "_", f}, words...)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("completing %q: %v\n%s", words, err, stderr.String())
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		if l != "" {
			got = append(got, l)
		}
	}
	sort.Strings(got)
	return got
}

// hostInterfaces lists /sys/class/net, as the completion does.
func hostInterfaces(t *testing.T, prefix string) []string {
	ents, err := os.ReadDir("/sys/class/net")
	if err != nil || len(ents) == 0 {
		t.Skipf("no /sys/class/net on this host: %v", err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

func sorted(s ...string) []string {
	sort.Strings(s)
	return s
}

func TestBashCompletion(t *testing.T) {
	var b bytes.Buffer
	if code := testProgram().Main(context.Background(), []string{"completion", "bash"}, &b, os.Stderr); code != 0 {
		t.Fatalf("completion bash: exit %d", code)
	}
	script := b.String()
	dir := t.TempDir()
	for _, f := range []string{"a.yaml", "b.yml", "c.txt", "with space.yaml", "sub/d.yaml"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), nil, 0o644)
	}
	ifaces := hostInterfaces(t, "")
	for _, c := range []struct {
		words []string
		want  []string
	}{
		// Commands, built-ins included.
		{[]string{"fg", ""}, sorted("check", "tool", "pair", "version", "fail", "help", "completion", "man")},
		{[]string{"fg", "c"}, sorted("check", "completion")},
		{[]string{"fg", "--v"}, []string{"--version"}},
		// Flags, from the FlagSet.
		{[]string{"fg", "check", "-"}, sorted("-h", "-c", "-n", "-q")},
		{[]string{"fg", "check", "--"}, sorted("--h", "--c", "--n", "--q")},
		// A configuration file: *.yaml, *.yml and directories.
		{[]string{"fg", "check", "-c", ""}, sorted("a.yaml", "b.yml", "with space.yaml", "sub")},
		{[]string{"fg", "check", "--c", "w"}, []string{"with space.yaml"}},
		{[]string{"fg", "check", "-q", "-c", "sub/"}, []string{"sub/d.yaml"}},
		// A value that cannot be guessed: nothing.
		{[]string{"fg", "check", "-n", ""}, nil},
		// Subcommands from the "commands:" list of -h, their flags from
		// their -h, interfaces from /sys/class/net.
		{[]string{"fg", "tool", ""}, sorted("dump", "load")},
		{[]string{"fg", "tool", "dump", "-"}, sorted("-h", "-T", "-classic", "-i", "-l", "-x")},
		{[]string{"fg", "tool", "dump", ""}, ifaces},
		{[]string{"fg", "tool", "dump", "-x", "-T", "2s", ifaces[0], ""}, ifaces},
		{[]string{"fg", "tool", "dump", "-i", ""}, ifaces},
		{[]string{"fg", "tool", "dump", "-i", ifaces[0][:1]}, hostInterfaces(t, ifaces[0][:1])},
		{[]string{"fg", "tool", "dump", "-l", "c"}, []string{"c.txt"}},
		{[]string{"fg", "tool", "load", ""}, sorted("a.yaml", "b.yml", "with space.yaml", "sub")},
		// Alternatives of a synopsis, with the parent's option table.
		{[]string{"fg", "pair", ""}, sorted("send", "recv")},
		{[]string{"fg", "pair", "send", "-"}, sorted("-h", "-X", "-m", "-s")},
		{[]string{"fg", "pair", "recv", "-s", ""}, ifaces},
		{[]string{"fg", "pair", "recv", "-X", ""}, ifaces},
		// Built-ins: help and man take topics, completion a shell.
		{[]string{"fg", "help", ""}, sorted("check", "tool", "pair", "version", "fail", "completion", "man")},
		{[]string{"fg", "help", "tool", ""}, sorted("dump", "load")},
		{[]string{"fg", "man", "-"}, sorted("-h", "-d")},
		{[]string{"fg", "man", "tool", ""}, nil},
		{[]string{"fg", "completion", ""}, sorted("bash", "fish", "zsh")},
		// Nothing after a command that takes no arguments.
		{[]string{"fg", "check", ""}, nil},
	} {
		if got := bashComplete(t, script, dir, c.words...); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %q, want %q", c.words, got, c.want)
		}
	}
}

// The zsh and fish scripts are at least valid for their shells (when they
// are installed; this test does not install them).
func TestZshFishScriptsParse(t *testing.T) {
	for _, sh := range []struct{ shell, flag string }{{"zsh", "-n"}, {"fish", "--no-execute"}} {
		t.Run(sh.shell, func(t *testing.T) {
			var b bytes.Buffer
			if code := testProgram().Main(context.Background(), []string{"completion", sh.shell}, &b, os.Stderr); code != 0 {
				t.Fatalf("completion %s: exit %d", sh.shell, code)
			}
			if !strings.Contains(b.String(), "check") || !strings.Contains(b.String(), "__fg_") {
				t.Fatalf("script:\n%s", b.String())
			}
			path, err := exec.LookPath(sh.shell)
			if err != nil {
				t.Skipf("%s is not installed: its script is not syntax-checked here", sh.shell)
			}
			f := filepath.Join(t.TempDir(), "fg."+sh.shell)
			os.WriteFile(f, b.Bytes(), 0o644)
			if out, err := exec.Command(path, sh.flag, f).CombinedOutput(); err != nil {
				t.Fatalf("%s %s: %v\n%s", sh.shell, sh.flag, err, out)
			}
		})
	}
}

func TestCompletionArguments(t *testing.T) {
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		var o, e bytes.Buffer
		if code := testProgram().Main(context.Background(), args, &o, &e); code != 2 || o.Len() != 0 || !strings.Contains(e.String(), "bash, zsh") {
			t.Errorf("%q: exit %d, stdout %d bytes, stderr %q", args, code, o.Len(), e.String())
		}
	}
}
