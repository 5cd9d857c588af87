// Command rig drives the hardware-in-the-loop rig from the Makefile:
//
//	rig provision            install host packages and the guest kernel
//	rig run -- COMMAND       run COMMAND in a fresh guest; exit with its status
//	rig test [PKG...]        run the hil-tagged tests of PKG (default: all) in one guest
//	rig bench [PKG...]       run their benchmarks in one guest
//
// Environment: FIELDGATE_HIL_KVM=1 uses KVM instead of TCG,
// FIELDGATE_HIL_TIMEOUT overrides the guest timeout (a Go duration),
// HILFLAGS adds test binary flags (test and bench).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/fieldgate/fieldgate/hil"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code, err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "rig: %v\n", err)
		if code <= 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func timeout(def time.Duration) (time.Duration, error) {
	v := os.Getenv("FIELDGATE_HIL_TIMEOUT")
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("FIELDGATE_HIL_TIMEOUT=%q: want a positive Go duration such as 15m", v)
	}
	return d, nil
}

func run(ctx context.Context, args []string) (int, error) {
	if len(args) == 0 {
		return 2, fmt.Errorf("usage: rig provision | run -- COMMAND | test [PKG...] | bench [PKG...]")
	}
	p, err := hil.FindPaths("")
	if err != nil {
		return 1, err
	}
	k, err := hil.Provision(ctx, p, os.Stderr)
	if err != nil {
		return 1, err
	}
	switch args[0] {
	case "provision":
		fmt.Fprintf(os.Stderr, "rig: kernel %s ready in %s\n", k.Package, k.Dir)
		return 0, nil
	case "run":
		rest := args[1:]
		if len(rest) > 0 && rest[0] == "--" {
			rest = rest[1:]
		}
		script := strings.TrimSpace(strings.Join(rest, " "))
		if script == "" {
			return 2, fmt.Errorf("run: no command (make hil CMD='...')")
		}
		d, err := timeout(10 * time.Minute)
		if err != nil {
			return 2, err
		}
		bin, cleanup, err := hil.BuildFieldgate(ctx, p)
		if err != nil {
			return 1, err
		}
		defer cleanup()
		return hil.Run(ctx, p, k, hil.RunConfig{Script: script + "\n", Timeout: d, BinDir: bin})
	case "test", "bench":
		def := 45 * time.Minute
		if args[0] == "bench" {
			def = 120 * time.Minute // every package's rig benchmarks in one boot
		}
		d, err := timeout(def)
		if err != nil {
			return 2, err
		}
		return hil.RunTests(ctx, p, k, hil.TestConfig{
			Packages: args[1:], Bench: args[0] == "bench", Timeout: d,
			Flags: strings.Fields(os.Getenv("HILFLAGS")),
		})
	}
	return 2, fmt.Errorf("unknown subcommand %q", args[0])
}
