// Command fieldgate is the one binary of the fieldgate project: the gateway
// service and the tools around it, as subcommands. It only dispatches: every
// subcommand's logic lives in a package.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	algcli "github.com/fieldgate/fieldgate/alg/cli"
	cancli "github.com/fieldgate/fieldgate/can/cli"
	"github.com/fieldgate/fieldgate/core/doctor"
	gwcli "github.com/fieldgate/fieldgate/gateway/cli"
	"github.com/fieldgate/fieldgate/internal/buildinfo"
	packetcli "github.com/fieldgate/fieldgate/packet/cli"
)

// A command is one subcommand: fieldgate NAME ARGS...
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands is the subcommand table. Keep one line per subcommand.
var commands = []command{
	// fieldgate:commands (one line each, keep this marker)
	{"capture", "capture packets (AF_PACKET rings, tcpdump filters, fanout) into rotating pcapng", packetcli.Capture}, {"inject", "replay a pcapng/pcap file onto an interface", packetcli.Inject},
	{"crypto", "kernel crypto (AF_ALG) and Go crypto: hash, hmac, enc, dec, rng, list", algcli.Run},
	{"can", "SocketCAN tools: dump, send, gen, isotp, j1939, gw, link", cancli.Run},
	{"doctor", "report which socket families, capabilities and CAN interfaces this machine has", doctor.Main},
	{"version", "print the module version and VCS revision this binary was built from", buildinfo.Main},
	{"run", "run the gateway (fieldgate run -c FILE)", gwcli.Run}, {"check", "validate a gateway configuration", gwcli.Check}, {"reload", "make a running gateway re-read its configuration", gwcli.Reload}, {"status", "show a running gateway's endpoints and routes", gwcli.Status},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		args = append([]string{"version"}, args[1:]...)
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		}
		var ec interface{ ExitCode() int }
		if errors.As(err, &ec) && ec.ExitCode() != 0 {
			if msg := err.Error(); msg != "" {
				fmt.Fprintf(stderr, "fieldgate %s: %v\n", c.name, err)
			}
			return ec.ExitCode()
		}
		fmt.Fprintf(stderr, "fieldgate %s: %v\n", c.name, err)
		return 1
	}
	fmt.Fprintf(stderr, "fieldgate: unknown command %q (run \"fieldgate help\" for the list)\n", args[0])
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: fieldgate COMMAND [ARGS...]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
}
