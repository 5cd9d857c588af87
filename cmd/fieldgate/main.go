// Command fieldgate is the one binary of the fieldgate project: the gateway
// service and the tools around it, as subcommands. It only lists them:
// every subcommand's logic lives in a package, and the dispatcher, help,
// shell completion and man pages are internal/cmdline.
package main

import (
	"context"
	"flag"
	"io"
	"os"
	"os/signal"
	"syscall"

	algcli "github.com/fieldgate/fieldgate/alg/cli"
	cancli "github.com/fieldgate/fieldgate/can/cli"
	"github.com/fieldgate/fieldgate/core/doctor"
	gwcli "github.com/fieldgate/fieldgate/gateway/cli"
	"github.com/fieldgate/fieldgate/internal/buildinfo"
	"github.com/fieldgate/fieldgate/internal/cmdline"
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

// flagSets are the commands whose flag sets can be built without running
// them (completion and man pages read the others' -h output).
var flagSets = map[string]func() *flag.FlagSet{
	"doctor": doctor.Flags,
	"run":    gwcli.RunFlags, "check": gwcli.CheckFlags, "reload": gwcli.ReloadFlags, "status": gwcli.StatusFlags,
}

// program is fieldgate with its commands; cmdline adds help, completion
// and man.
func program() *cmdline.Program {
	bi := buildinfo.Read()
	p := &cmdline.Program{
		Name:    "fieldgate",
		Summary: "a gateway that bridges CAN, CAN FD, ISO-TP, J1939 and Ethernet frames between buses and network links, and the socket tools around it",
		Version: bi.Version,
	}
	if len(bi.Revision) >= 12 {
		p.Version += " " + bi.Revision[:12]
	}
	if len(bi.Time) >= len("2006-01-02") {
		p.Date = bi.Time[:len("2006-01-02")]
	}
	for _, c := range commands {
		p.Commands = append(p.Commands, cmdline.Command{Name: c.name, Summary: c.summary, Run: c.run, Flags: flagSets[c.name]})
	}
	return p
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := program().Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
