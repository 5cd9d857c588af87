// Package cli is `fieldgate can`: can-utils-like tools (dump, send, gen,
// isotp, j1939, gw, link) on top of package can.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/fieldgate/fieldgate/can"
)

// usageError is a bad command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// ExitCode returns 2, the usage exit status.
func (e *usageError) ExitCode() int { return 2 }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

type subcommand struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func subcommands() map[string]subcommand {
	m := map[string]subcommand{
		"dump":  {"receive and print frames (candump): dump [options] IFACE[,FILTER]...", dumpMain},
		"send":  {"send frames (cansend syntax): send IFACE FRAME...", sendMain},
		"gen":   {"generate frames (cangen): gen [options] IFACE", genMain},
		"play":  {"replay a candump log (canplayer): play [options] [WRITE-IF=LOG-IF]...", playMain},
		"isotp": {"ISO-TP PDUs: isotp send|recv|sniff|dump [options] IFACE", isotpMain},
		"j1939": {"J1939 messages and address claiming: j1939 send|recv|acd ...", j1939Main},
	}
	addGateway(m)
	return m
}

// Run is `fieldgate can ARGS...`.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmds := subcommands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stdout, "usage: fieldgate can COMMAND [ARGS...]\n\ncommands:")
		names := make([]string, 0, len(cmds))
		for n := range cmds {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(stdout, "  %-6s %s\n", n, cmds[n].summary)
		}
		if len(args) == 0 {
			return usagef("missing command")
		}
		return nil
	}
	c, ok := cmds[args[0]]
	if !ok {
		return usagef("unknown command %q (want one of: %s)", args[0], strings.Join(sortedKeys(cmds), ", "))
	}
	err := c.run(ctx, args[1:], stdout, stderr)
	// A missing interface is said once, without the wrappers that only
	// repeat the command's and the interface's names.
	var ie *can.InterfaceError
	if errors.As(err, &ie) {
		return ie
	}
	return err
}

func sortedKeys(m map[string]subcommand) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// parseFlags parses fs and turns flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return usagef("%s: %v", fs.Name(), err)
	}
	return nil
}
