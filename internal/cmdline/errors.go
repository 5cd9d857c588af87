package cmdline

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// ProgramName is the name usage errors point at ("see fieldgate check -h").
var ProgramName = "fieldgate"

// UsageError is a wrong command line: the program exits with status 2.
type UsageError struct {
	Msg string
}

func (e *UsageError) Error() string { return e.Msg }

// ExitCode returns 2, the exit status of a usage error.
func (e *UsageError) ExitCode() int { return 2 }

// Usagef returns a *UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// Parse parses args into fs. With -h or --help it prints fs's usage (to
// fs.Output()) and returns flag.ErrHelp. A wrong flag gives a one-line
// *UsageError that names the flag, says what it wants and points at
// "-h", without printing the whole usage.
func Parse(fs *flag.FlagSet, args []string) error {
	out, usage := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(out)
	fs.Usage = usage
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		if usage != nil {
			usage()
		} else {
			fmt.Fprintf(out, "usage: %s %s [flags]\n\nflags:\n", ProgramName, fs.Name())
			fs.PrintDefaults()
		}
		return flag.ErrHelp
	}
	return &UsageError{Msg: FlagError(fs, err) + " (see " + ProgramName + " " + fs.Name() + " -h)"}
}

// NoArgs returns a *UsageError when fs was given positional arguments.
func NoArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return &UsageError{Msg: fmt.Sprintf("unexpected argument %q: %s %s takes only flags, and flags go before arguments (see %s %s -h)",
			fs.Arg(0), ProgramName, fs.Name(), ProgramName, fs.Name())}
	}
	return nil
}

// FlagError rewrites an error of fs.Parse for people: "flag provided but
// not defined: -x" becomes "unknown flag -x", and "invalid value "1x" for
// flag -w: parse error" becomes `-w "1x": want a duration such as 500ms,
// 2s or 1m30s`.
func FlagError(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		return "unknown flag " + name
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		want := "a value"
		if f := fs.Lookup(strings.TrimLeft(name, "-")); f != nil {
			if arg, _ := flag.UnquoteUsage(f); arg != "" {
				want = article(arg) + " " + arg
			}
		}
		return "flag " + name + " needs " + want
	}
	// invalid value %q for flag -%s: %v / invalid boolean value %q for -%s: %v
	for _, pre := range []string{"invalid value ", "invalid boolean value "} {
		rest, ok := strings.CutPrefix(msg, pre)
		if !ok {
			continue
		}
		val, rest, ok := cutQuoted(rest)
		if !ok {
			break
		}
		rest = strings.TrimPrefix(strings.TrimPrefix(rest, " for flag "), " for ")
		name, why, _ := strings.Cut(rest, ": ")
		f := fs.Lookup(strings.TrimLeft(name, "-"))
		switch why {
		case "parse error", "value out of range":
			why = "want " + wants(f, why == "value out of range")
		}
		return fmt.Sprintf("%s %s: %s", name, val, why)
	}
	return msg
}

// cutQuoted splits a leading Go-quoted string off s.
func cutQuoted(s string) (quoted, rest string, ok bool) {
	if !strings.HasPrefix(s, `"`) {
		return "", s, false
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return s[:i+1], s[i+1:], true
		}
	}
	return "", s, false
}

// wants says what a flag's value must be, from the flag's type.
func wants(f *flag.Flag, outOfRange bool) string {
	if f == nil {
		return "a valid value"
	}
	t := fmt.Sprintf("%T", f.Value)
	var w string
	switch t {
	case "*flag.durationValue":
		w = "a duration such as 500ms, 2s or 1m30s"
	case "*flag.intValue", "*flag.int64Value":
		w = "a whole number"
	case "*flag.uintValue", "*flag.uint64Value":
		w = "a whole number, 0 or more"
	case "*flag.float64Value":
		w = "a number"
	case "*flag.boolValue":
		return "true or false (-" + f.Name + "=true)"
	default:
		return "a valid " + f.Name
	}
	if outOfRange {
		w += " in range"
	}
	return w
}

func article(w string) string {
	if w != "" && strings.ContainsRune("aeiouAEIOU", rune(w[0])) {
		return "an"
	}
	return "a"
}

// Message is how a command's error is printed: "fieldgate NAME: ERR".
// An error that already begins with the command's name ("can: ...", or
// "fieldgate can: ...") is not prefixed twice.
func Message(program, name string, err error) string {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, program+" "):
		return msg
	case strings.HasPrefix(msg, name+": "):
		return program + " " + msg
	}
	return program + " " + name + ": " + msg
}
