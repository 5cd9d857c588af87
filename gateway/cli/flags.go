package cli

import (
	"flag"
	"fmt"
	"io"
	"time"
)

// The flag sets of run, check, reload and status. Each command parses the
// set its function builds here; the exported *Flags functions return the
// same set without running anything, for completion and man pages.

func newFlags(name string, stderr io.Writer, usage, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: fieldgate %s\n\n", usage)
		if about != "" {
			fmt.Fprintf(stderr, "%s\n\n", about)
		}
		fmt.Fprintln(stderr, "flags:")
		fs.PrintDefaults()
	}
	return fs
}

func checkFlags(stderr io.Writer) (*flag.FlagSet, *string) {
	fs := newFlags("check", stderr, "check [-c FILE]",
		"Validates the configuration FILE as \"fieldgate run\" would load it, host\n"+
			"checks included (key files, log paths, interfaces), and prints what each\n"+
			"route lets onto a bus. Exits 1 when the file has errors; warnings alone\n"+
			"exit 0.")
	return fs, fs.String("c", DefaultConfig, "configuration `file`")
}

// CheckFlags returns the flags of "fieldgate check".
func CheckFlags() *flag.FlagSet { fs, _ := checkFlags(io.Discard); return fs }

func runFlags(stderr io.Writer) (fs *flag.FlagSet, file, level, format *string) {
	fs = newFlags("run", stderr, "run [-c FILE] [-log-level L] [-log-format text|json]",
		"Runs the gateway of the configuration FILE until SIGINT or SIGTERM (then\n"+
			"drains the queues and prints the final counters). SIGHUP, \"fieldgate\n"+
			"reload\" and POST /reload re-read FILE; a file with errors is refused and\n"+
			"the running configuration stays.")
	file = fs.String("c", DefaultConfig, "configuration `file`")
	level = fs.String("log-level", "", "override log.level: debug, info, warn, error")
	format = fs.String("log-format", "", "override log.format: text or json")
	return
}

// RunFlags returns the flags of "fieldgate run".
func RunFlags() *flag.FlagSet { fs, _, _, _ := runFlags(io.Discard); return fs }

func reloadFlags(stderr io.Writer) (*flag.FlagSet, *adminFlags) {
	fs := newFlags("reload", stderr, "reload [-a [https://]HOST:PORT | -c FILE] [-token-file FILE] [-ca CERT]",
		"Asks the running gateway to re-read its configuration, through its admin\n"+
			"port (POST /reload), and prints what it answered.")
	return fs, addAdminFlags(fs, true)
}

// ReloadFlags returns the flags of "fieldgate reload".
func ReloadFlags() *flag.FlagSet { fs, _ := reloadFlags(io.Discard); return fs }

// statusOpts are the flags of status.
type statusOpts struct {
	admin  *adminFlags
	watch  *time.Duration
	count  *int
	sample *time.Duration
	json   *bool
}

func statusFlags(stderr io.Writer) (*flag.FlagSet, *statusOpts) {
	fs := newFlags("status", stderr, "status [-a [https://]HOST:PORT | -c FILE] [-ca CERT] [-s INTERVAL | -w INTERVAL [-n COUNT]] [-json]",
		"Prints the running gateway's endpoints and routes with their counters and\n"+
			"rates. The rates come from two samples -s apart (one second by default);\n"+
			"-w refreshes the table until interrupted.")
	o := &statusOpts{admin: addAdminFlags(fs, false)}
	o.watch = fs.Duration("w", 0, "refresh every `interval` (live table with rates), e.g. 1s")
	o.count = fs.Int("n", 0, "with -w: stop after `count` refreshes (0 = until interrupted)")
	o.sample = fs.Duration("s", time.Second, "without -w: take the second sample for the rates `interval` after the first (0 = one sample, no rates)")
	o.json = fs.Bool("json", false, "print the raw JSON status (one sample)")
	return fs, o
}

// StatusFlags returns the flags of "fieldgate status".
func StatusFlags() *flag.FlagSet { fs, _ := statusFlags(io.Discard); return fs }
