// Package buildinfo reports what a fieldgate binary was built from: the
// module version and the VCS revision Go stamps into it
// (debug.ReadBuildInfo), for "fieldgate version".
package buildinfo

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Info is what a binary was built from.
type Info struct {
	Module, Version string
	Revision, Time  string // VCS revision and commit time, if stamped
	Modified        bool   // built from a tree with uncommitted changes
	Go              string
}

// Read returns the binary's build information.
func Read() Info {
	in := Info{Module: "github.com/fieldgate/fieldgate", Version: "(devel)", Go: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return in
	}
	in.Module, in.Version = bi.Main.Path, bi.Main.Version
	if in.Version == "" {
		in.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Revision = s.Value
		case "vcs.time":
			in.Time = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		}
	}
	return in
}

// String formats in as one line: "fieldgate (devel) 4288de4c… 2026-12-07T… (modified) go1.26".
func (in Info) String() string {
	s := "fieldgate " + in.Version
	if in.Revision != "" {
		s += " " + in.Revision
		if in.Time != "" {
			s += " " + in.Time
		}
		if in.Modified {
			s += " (modified)"
		}
	}
	return s + " " + in.Go
}

// Main prints the version line: "fieldgate version" and "fieldgate --version".
func Main(_ context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		_, err := fmt.Fprint(stdout, "usage: fieldgate version\n\nPrints the module version, the VCS revision and commit time the binary\nwas built from (\"(modified)\" for a tree with uncommitted changes), and\nthe Go version. \"fieldgate --version\" is the same.\n")
		return err
	}
	if len(args) > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q: version takes no arguments", args[0])}
	}
	_, err := fmt.Fprintln(stdout, Read())
	return err
}

// usageError is a wrong command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// ExitCode returns 2.
func (e *usageError) ExitCode() int { return 2 }
