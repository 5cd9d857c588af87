package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/fieldgate/fieldgate/alg"
)

// listEntry is one row of "crypto list -json".
type listEntry struct {
	alg.Algorithm
	SocketType string      `json:"socket_type"`
	Backing    alg.Backing `json:"backing"`
	Hardware   bool        `json:"hardware"`
}

func runList(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("crypto list", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	file := fs.String("file", alg.ProcCryptoPath, "parse this `file` instead of /proc/crypto")
	typ := fs.String("type", "", "only this kernel `type` (shash, skcipher, aead, rng, ...) or AF_ALG type (hash, skcipher, aead, rng)")
	hw := fs.Bool("hw", false, "only hardware-backed drivers (CPU crypto instructions or offload engines)")
	all := fs.Bool("all", false, "include internal drivers and types AF_ALG cannot reach")
	asJSON := fs.Bool("json", false, "write JSON")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: fieldgate crypto list [FLAGS] [NAME...]\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	algs, err := alg.ParseProcCrypto(f, *file)
	if err != nil {
		return err
	}
	names := map[string]bool{}
	for _, n := range fs.Args() {
		names[n] = true
	}
	var rows []listEntry
	for _, a := range algs {
		st := a.SocketType()
		switch {
		case !*all && (a.Internal || st == ""):
			continue
		case *typ != "" && a.Type != *typ && st != *typ:
			continue
		case *hw && !a.HardwareBacked():
			continue
		case len(names) > 0 && !names[a.Name] && !names[a.Driver]:
			continue
		}
		rows = append(rows, listEntry{Algorithm: a, SocketType: st, Backing: a.Backing(), Hardware: a.HardwareBacked()})
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if rows == nil {
			rows = []listEntry{}
		}
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDRIVER\tMODULE\tPRIO\tTYPE\tAF_ALG\tBACKING\tSELFTEST\tSIZES")
	for _, r := range rows {
		st := r.SocketType
		if st == "" {
			st = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Driver, r.Module, r.Priority, r.Type, st, r.Backing, r.SelfTest, sizes(&r.Algorithm))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rows) == 0 && len(names) > 0 {
		return fmt.Errorf("no algorithm named %s in %s", strings.Join(fs.Args(), ", "), *file)
	}
	return nil
}

// sizes summarises the size fields the kernel printed.
func sizes(a *alg.Algorithm) string {
	var parts []string
	add := func(k string, v int) {
		if v > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", k, v))
		}
	}
	add("block", a.BlockSize)
	add("digest", a.DigestSize)
	if a.MaxKeySize > 0 {
		if a.MinKeySize == a.MaxKeySize {
			parts = append(parts, fmt.Sprintf("key=%d", a.MaxKeySize))
		} else {
			parts = append(parts, fmt.Sprintf("key=%d-%d", a.MinKeySize, a.MaxKeySize))
		}
	}
	add("iv", a.IVSize)
	add("tag<=", a.MaxAuthSize)
	add("chunk", a.ChunkSize)
	add("seed", a.SeedSize)
	return strings.ReplaceAll(strings.Join(parts, " "), "<==", "<=")
}
