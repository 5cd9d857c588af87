package cmdline

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// RunFunc runs a command with its arguments (the words after its name).
type RunFunc func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// Command is one subcommand of a program: "fieldgate NAME ARGS...".
type Command struct {
	Name    string
	Summary string // one line, for the command list
	Run     RunFunc
	// Flags returns the flag set Run parses, built the same way but
	// without running anything (for completion and man pages). Nil when
	// the command does not expose it: its flags are then read from its
	// -h output.
	Flags func() *flag.FlagSet
	// Subcommands, when set, describe the command's subcommands. A
	// subcommand with a nil Run is reached through the parent's Run
	// ("can dump -h"). When unset, they are read from the "commands:"
	// list of the command's -h output.
	Subcommands []Command
}

// Program is a program made of subcommands. Main adds the built-in
// commands help, completion and man.
type Program struct {
	Name     string // "fieldgate"
	Summary  string // one line: what the program is
	Commands []Command
	Version  string // printed in the man pages' footer
	Date     string // the man pages' date, YYYY-MM-DD ("" for none)
}

// all is the commands with the built-ins.
func (p *Program) all() []Command {
	return append(append([]Command(nil), p.Commands...), p.builtins()...)
}

func (p *Program) lookup(name string) (Command, bool) {
	for _, c := range p.all() {
		if c.Name == name {
			return c, true
		}
	}
	return Command{}, false
}

// Main runs the command args name and returns the exit status: 0, 1 for
// a failure, 2 for a wrong command line, or the ExitCode() of the
// command's error. Errors are printed on stderr as "PROGRAM NAME: error".
// It sets ProgramName to p.Name.
func (p *Program) Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	ProgramName = p.Name
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		if _, ok := p.lookup("version"); ok {
			args = append([]string{"version"}, args[1:]...)
		}
	}
	if len(args) == 0 {
		p.Usage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help":
		p.Usage(stdout)
		return 0
	}
	c, ok := p.lookup(args[0])
	if !ok {
		fmt.Fprintf(stderr, "%s: unknown command %q (run \"%s help\" for the list)\n", p.Name, args[0], p.Name)
		return 2
	}
	return p.report(stderr, c.Name, c.Run(ctx, args[1:], stdout, stderr))
}

// report prints err as the command name's error and returns the exit
// status.
func (p *Program) report(stderr io.Writer, name string, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	code := 1
	var ec interface{ ExitCode() int }
	if errors.As(err, &ec) && ec.ExitCode() != 0 {
		code = ec.ExitCode()
	}
	if err.Error() != "" {
		fmt.Fprintln(stderr, Message(p.Name, name, err))
	}
	return code
}

// Usage prints the command list.
func (p *Program) Usage(w io.Writer) {
	fmt.Fprintf(w, "usage: %s COMMAND [ARGS...]\n", p.Name)
	if p.Summary != "" {
		fmt.Fprintf(w, "\n%s\n", p.Summary)
	}
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range p.all() {
		fmt.Fprintf(w, "  %-10s %s\n", c.Name, c.Summary)
	}
	fmt.Fprintf(w, "\n\"%s help COMMAND\" (or \"%s COMMAND -h\") shows a command's usage and flags.\n", p.Name, p.Name)
	if _, ok := p.lookup("version"); ok {
		fmt.Fprintf(w, "\"%s --version\" prints the version.\n", p.Name)
	}
}

// Help runs "help TOPIC...": the topic command's own -h output, on
// stdout.
func (p *Program) Help(ctx context.Context, topic []string, stdout, stderr io.Writer) int {
	if len(topic) == 0 {
		p.Usage(stdout)
		return 0
	}
	c, ok := p.lookup(topic[0])
	if !ok {
		fmt.Fprintf(stderr, "%s help: no help topic %q (run \"%s help\" for the list)\n", p.Name, topic[0], p.Name)
		return 2
	}
	args := append(append([]string(nil), topic[1:]...), "-h")
	return p.report(stderr, c.Name, c.Run(ctx, args, stdout, stdout))
}
