// Package cli implements "fieldgate crypto": hash, hmac, enc, dec, rng and
// list over package alg, with options modelled on libkcapi's kcapi-dgst,
// kcapi-enc and kcapi-rng so users can switch between them.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// Run is "fieldgate crypto SUBCOMMAND ...". It reads stdin when no input
// file is named.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return run(ctx, args, os.Stdin, stdout, stderr)
}

var subcommands = []struct {
	name, summary string
	run           func(ctx context.Context, e *env, args []string) error
}{
	{"hash", "message digest of a file or stdin (kcapi-dgst)", runHash},
	{"hmac", "keyed hash (hmac(NAME)) of a file or stdin", runHMAC},
	{"enc", "encrypt with a skcipher or AEAD (kcapi-enc -e)", runEnc},
	{"dec", "decrypt with a skcipher or AEAD (kcapi-enc -d)", runDec},
	{"rng", "random bytes from a DRBG (kcapi-rng)", runRNG},
	{"list", "algorithms in /proc/crypto, with their backing hardware", runList},
}

// env carries the streams of one invocation.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := stderr
		if len(args) > 0 {
			w = stdout
		}
		fmt.Fprintln(w, "usage: fieldgate crypto COMMAND [FLAGS] [FILE]\n\ncommands:")
		for _, s := range subcommands {
			fmt.Fprintf(w, "  %-5s %s\n", s.name, s.summary)
		}
		fmt.Fprintln(w, "\nEvery command takes -provider kernel|go|auto (default auto) and reports the provider on stderr unless -q.")
		if len(args) == 0 {
			return usageError{errors.New("missing command")}
		}
		return flag.ErrHelp
	}
	for _, s := range subcommands {
		if s.name == args[0] {
			return s.run(ctx, &env{stdin: stdin, stdout: stdout, stderr: stderr}, args[1:])
		}
	}
	return usageError{fmt.Errorf("unknown crypto command %q (want hash, hmac, enc, dec, rng or list)", args[0])}
}

// usageError exits with status 2, like flag errors.
type usageError struct{ error }

func (e usageError) ExitCode() int { return 2 }
func (e usageError) Unwrap() error { return e.error }
