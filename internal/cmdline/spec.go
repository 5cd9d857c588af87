package cmdline

import (
	"flag"
	"sort"
	"strings"
)

// ArgKind is what a flag's value or a positional argument is, for
// completion: which words a shell offers there.
type ArgKind int

// The argument kinds.
const (
	ArgNone   ArgKind = iota // a boolean flag: takes no value
	ArgWord                  // a value the shell cannot guess (a number, an ID)
	ArgIface                 // a network interface name (/sys/class/net)
	ArgConfig                // a configuration file (*.yaml, *.yml)
	ArgFile                  // any file
)

var argKindNames = [...]string{"none", "word", "iface", "config", "file"}

func (k ArgKind) String() string {
	if int(k) < len(argKindNames) {
		return argKindNames[k]
	}
	return "?"
}

// Flag is one flag of a command.
type Flag struct {
	Name    string  // without dashes: "c", "log-level"
	Arg     string  // the value's placeholder ("file", "DURATION"); "" for a boolean flag
	Usage   string  // what it does, without the default
	Default string  // the default as -h prints it, "" when zero
	Kind    ArgKind // what its value is
}

// Spec describes one command: what completion and man pages need.
type Spec struct {
	Path     []string // the words after the program's name: ["can", "dump"]
	Summary  string   // one line
	Synopsis []string // usage lines, without "usage: "
	Prose    string   // the rest of the -h text: what it does, argument syntax
	Flags    []Flag
	Subs     []*Spec
	// Args are the kinds of the positional arguments in order; the last
	// one repeats when Repeat is set.
	Args   []ArgKind
	Repeat bool
	// Alt marks a subcommand known only as an alternative in its
	// parent's synopsis ("isotp send|recv"): it has the parent's flags.
	Alt bool
}

// Name is the command's name as typed: "fieldgate can dump" for program
// "fieldgate".
func (s *Spec) Name(program string) string {
	return strings.Join(append([]string{program}, s.Path...), " ")
}

// Flag returns the flag called name, or nil.
func (s *Spec) Flag(name string) *Flag {
	for i := range s.Flags {
		if s.Flags[i].Name == name {
			return &s.Flags[i]
		}
	}
	return nil
}

// ArgAt is the kind of the n-th positional argument (from 0).
func (s *Spec) ArgAt(n int) ArgKind {
	switch {
	case n < len(s.Args):
		return s.Args[n]
	case s.Repeat && len(s.Args) > 0:
		return s.Args[len(s.Args)-1]
	}
	return ArgNone
}

// FlagsOf describes the flags registered in fs, sorted by name as -h
// prints them.
func FlagsOf(fs *flag.FlagSet) []Flag {
	var out []Flag
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			arg = ""
		}
		def := f.DefValue
		switch def {
		case "", "0", "false", "0s", "[]":
			def = ""
		}
		out = append(out, Flag{Name: f.Name, Arg: arg, Usage: usage, Default: def})
	})
	classifyFlags(out)
	return out
}

// classifyFlags sets each flag's Kind from its placeholder and usage.
// "same as -x" flags take -x's kind.
func classifyFlags(fl []Flag) {
	for i := range fl {
		fl[i].Kind = classify(fl[i].Arg, fl[i].Usage)
	}
	for i := range fl {
		other, ok := strings.CutPrefix(fl[i].Usage, "same as -")
		if !ok || fl[i].Arg == "" {
			continue
		}
		other = strings.TrimLeft(other, "-")
		if j := strings.IndexAny(other, " ,;()"); j >= 0 {
			other = other[:j]
		}
		for _, g := range fl {
			if g.Name == other && g.Arg != "" {
				fl[i].Kind = g.Kind
			}
		}
	}
	sort.SliceStable(fl, func(i, j int) bool { return fl[i].Name < fl[j].Name })
}

// classify guesses what a value is from its placeholder (arg) and the
// flag's usage: the words people write there (`file`, IFACE, DEV).
func classify(arg, usage string) ArgKind {
	if arg == "" {
		return ArgNone
	}
	a := strings.ToLower(arg)
	u := strings.ToLower(usage)
	switch a {
	case "iface", "interface", "dev", "ifname", "device":
		return ArgIface
	case "config", "configuration":
		return ArgConfig
	case "file", "path", "dir", "directory", "certificate", "cert", "key", "dbc":
		if strings.Contains(u, "configuration") {
			return ArgConfig
		}
		return ArgFile
	case "string", "value":
		// A generic placeholder: the usage says what it is.
		switch {
		case strings.HasPrefix(u, "interface") || strings.Contains(u, " interface to") || strings.Contains(u, " interface name"):
			return ArgIface
		case strings.Contains(u, "configuration file"):
			return ArgConfig
		case namesFile(u):
			return ArgFile
		}
	}
	return ArgWord
}

// classifyPositional is the kind of a positional argument named word in a
// synopsis: IFACE, FILE, CONFIG.
func classifyPositional(word string) ArgKind {
	w := strings.Trim(word, "[].")
	if i := strings.IndexAny(w, "[,:=|"); i > 0 {
		w = w[:i]
	}
	switch strings.ToUpper(w) {
	case "IFACE", "INTERFACE", "DEV", "DEVICE":
		return ArgIface
	case "CONFIG":
		return ArgConfig
	case "FILE", "PATH", "DIR":
		return ArgFile
	}
	return ArgWord
}

// namesFile reports whether a usage says its value is a file: "write
// packets to this pcapng file", "output file name", not "start a new file
// after this many bytes".
func namesFile(u string) bool {
	words := strings.Fields(strings.Trim(u, ".;: "))
	if len(words) > 0 && (words[len(words)-1] == "file" || words[len(words)-1] == "path") {
		return true
	}
	for _, p := range []string{"this file", "file name", "file path", "file to ", "output file", "input file"} {
		if strings.Contains(u, p) {
			return true
		}
	}
	return false
}
