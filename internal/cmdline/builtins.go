package cmdline

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// builtins are the commands every Program has.
func (p *Program) builtins() []Command {
	return []Command{
		{Name: "help", Summary: "show a command's usage and flags: help COMMAND [SUBCOMMAND]", Run: p.runHelp, Flags: p.helpFlags},
		{Name: "completion", Summary: "print the shell completion script: completion bash|zsh|fish", Run: p.runCompletion, Flags: p.completionFlags},
		{Name: "man", Summary: "write the man pages: man -d DIR, or one page to stdout", Run: p.runMan, Flags: func() *flag.FlagSet { fs, _ := p.manFlags(io.Discard); return fs }},
	}
}

func (p *Program) helpFlags() *flag.FlagSet {
	fs := flag.NewFlagSet("help", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func (p *Program) runHelp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintf(stdout, "usage: %s help [COMMAND [SUBCOMMAND...]]\n\nShows COMMAND's usage and flags, as \"%s COMMAND -h\" does; without\nCOMMAND, the list of commands.\n", p.Name, p.Name)
		return nil
	}
	if code := p.Help(ctx, args, stdout, stderr); code != 0 {
		return &exitCode{code}
	}
	return nil
}

// exitCode is an error that only sets the exit status: the message was
// printed already.
type exitCode struct{ code int }

func (e *exitCode) Error() string { return "" }
func (e *exitCode) ExitCode() int { return e.code }

// Shells are the shells "completion" writes scripts for.
var Shells = []string{"bash", "zsh", "fish"}

func (p *Program) completionFlags() *flag.FlagSet {
	fs := flag.NewFlagSet("completion", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func (p *Program) runCompletion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := p.completionFlags()
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, `usage: %[1]s completion bash|zsh|fish

Prints the completion script for the shell. It completes commands,
subcommands, flags, interface names (from /sys/class/net) and
configuration files (*.yaml). To load it:
  bash:  source <(%[1]s completion bash)      (or save it as
         /usr/share/bash-completion/completions/%[1]s)
  zsh:   %[1]s completion zsh > "${fpath[1]}/_%[1]s"
  fish:  %[1]s completion fish > ~/.config/fish/completions/%[1]s.fish
`, p.Name)
	}
	if err := Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return Usagef("completion: want one shell: bash, zsh or fish (see %s completion -h)", p.Name)
	}
	specs := p.Describe(ctx)
	switch fs.Arg(0) {
	case "bash":
		return WriteBash(stdout, p.Name, specs)
	case "zsh":
		return WriteZsh(stdout, p.Name, specs)
	case "fish":
		return WriteFish(stdout, p.Name, specs)
	}
	return Usagef("completion: unknown shell %q: want bash, zsh or fish", fs.Arg(0))
}

func (p *Program) manFlags(stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("man", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("d", "", "write every page into `dir` ("+p.Name+".1 and "+p.Name+"-COMMAND.1)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `usage: %[1]s man [-d DIR] [COMMAND]

Writes the man pages, generated from the commands' flag definitions: with
-d, every page into DIR; else COMMAND's page (or %[1]s.1) to stdout,
e.g. %[1]s man check | man -l -

flags:
`, p.Name)
		fs.PrintDefaults()
	}
	return fs, dir
}

func (p *Program) runMan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, dir := p.manFlags(stderr)
	if err := Parse(fs, args); err != nil {
		return err
	}
	root := p.Root(ctx)
	if *dir != "" {
		if fs.NArg() > 0 {
			return Usagef("man: -d writes every page; give no COMMAND with it")
		}
		if err := os.MkdirAll(*dir, 0o755); err != nil {
			return err
		}
		for _, s := range append([]*Spec{root}, root.Subs...) {
			name := p.Name + ".1"
			if len(s.Path) > 0 {
				name = p.Name + "-" + strings.Join(s.Path, "-") + ".1"
			}
			var b strings.Builder
			p.WriteMan(&b, root, s)
			if err := os.WriteFile(filepath.Join(*dir, name), []byte(b.String()), 0o644); err != nil {
				return err
			}
		}
		return nil
	}
	s := root
	for _, w := range fs.Args() {
		var next *Spec
		for _, sub := range s.Subs {
			if sub.Path[len(sub.Path)-1] == w {
				next = sub
			}
		}
		if next == nil || len(s.Path) > 0 {
			if next == nil {
				return Usagef("man: no page for %q (pages: %s and %s-COMMAND)", strings.Join(fs.Args(), " "), p.Name, p.Name)
			}
			return Usagef("man: subcommands are described in their command's page: %s man %s", p.Name, s.Path[0])
		}
		s = next
	}
	return p.WriteMan(stdout, root, s)
}

// Root describes the program itself, with every command as a Sub.
func (p *Program) Root(ctx context.Context) *Spec {
	return &Spec{
		Summary:  p.Summary,
		Synopsis: []string{p.Name + " COMMAND [ARGS...]", p.Name + " --version"},
		Flags: []Flag{
			{Name: "h", Usage: "print the command list"}, {Name: "-help", Usage: "the same as -h"},
			{Name: "-version", Usage: "print the version and the VCS revision (fieldgate version)"},
		},
		Subs: p.Describe(ctx),
	}
}
