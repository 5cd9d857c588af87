package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// option is one command-line option, parsed the way getopt_long(3) parses
// tcpdump's: short options cluster (-nnvc 10, -c10), an option's argument
// is the rest of the word or the next word, long options take --name=value
// or --name value, and options may follow the positional words (the
// filter expression) until "--". Long-only options are also accepted with
// one dash (-rotate-size), as the Go flag package used to accept them.
type option struct {
	short byte   // 0: long only
	long  string // "": short only
	arg   string // argument name; "" for a flag
	help  string
	// set receives the argument; flags get "" once per occurrence.
	set func(v string) error
}

// optionSet is the option table of one subcommand: the synopsis, the flag
// list and the parser all come from it, so they cannot disagree.
type optionSet struct {
	cmd     string // "capture"
	tail    string // positional part of the synopsis: "[expression]"
	intro   string // text between synopsis and flag list
	options []*option
}

// printable quotes s when it holds anything but printable ASCII, so an
// error stays on one line.
func printable(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return strconv.Quote(s)
		}
	}
	return s
}

// errUsage marks command-line errors; they print as one line and a hint.
func (s *optionSet) errorf(format string, args ...any) error {
	return usageError("%s; see 'fieldgate %s -h'", fmt.Sprintf(format, args...), s.cmd)
}

func (s *optionSet) byShort(c byte) *option {
	for _, o := range s.options {
		if o.short == c && c != 0 {
			return o
		}
	}
	return nil
}

func (s *optionSet) byLong(name string) *option {
	for _, o := range s.options {
		if o.long == name && name != "" {
			return o
		}
	}
	return nil
}

// longOnly reports whether a is a long-only option written with one dash
// (-fanout 2, -rotate-size=1M).
func (s *optionSet) longOnly(a string) bool {
	name, _, _ := strings.Cut(a[1:], "=")
	o := s.byLong(name)
	return len(name) > 1 && o != nil && o.short == 0
}

func (o *option) name() string {
	if o.short != 0 {
		return "-" + string(o.short)
	}
	return "--" + o.long
}

func (s *optionSet) apply(o *option, display, v string) error {
	if err := o.set(v); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		if o.arg != "" {
			return s.errorf("%s %s: %v", display, printable(v), err)
		}
		return s.errorf("%s: %v", display, err)
	}
	return nil
}

// parse applies the options in args and returns the positional words.
func (s *optionSet) parse(args []string) ([]string, error) {
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(pos, args[i+1:]...), nil
		case a == "-" || !strings.HasPrefix(a, "-"):
			pos = append(pos, a)
		case strings.HasPrefix(a, "--") || s.longOnly(a):
			name := strings.TrimLeft(a, "-")
			val, hasVal := "", false
			if k := strings.IndexByte(name, '='); k >= 0 {
				name, val, hasVal = name[:k], name[k+1:], true
			}
			o := s.byLong(name)
			if o == nil {
				return nil, s.errorf("unknown option %s", printable("--"+name))
			}
			display := "--" + name
			if o.arg == "" {
				if hasVal {
					return nil, s.errorf("%s takes no argument", display)
				}
				if err := s.apply(o, display, ""); err != nil {
					return nil, err
				}
				continue
			}
			if !hasVal {
				if i+1 >= len(args) {
					return nil, s.errorf("%s needs an argument (%s)", display, o.arg)
				}
				i++
				val = args[i]
			}
			if err := s.apply(o, display, val); err != nil {
				return nil, err
			}
		default:
			for k := 1; k < len(a); k++ {
				o := s.byShort(a[k])
				if o == nil {
					return nil, s.errorf("unknown option %s", printable("-"+string(a[k])))
				}
				display := "-" + string(a[k])
				if o.arg == "" {
					if err := s.apply(o, display, ""); err != nil {
						return nil, err
					}
					continue
				}
				val := a[k+1:]
				if val == "" {
					if i+1 >= len(args) {
						return nil, s.errorf("%s needs an argument (%s)", display, o.arg)
					}
					i++
					val = args[i]
				}
				if err := s.apply(o, display, val); err != nil {
					return nil, err
				}
				break
			}
		}
	}
	return pos, nil
}

// synopsis is the usage line: flags without arguments clustered, then every
// option with an argument, then the long-only options.
func (s *optionSet) synopsis() string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: fieldgate %s", s.cmd)
	var cluster []byte
	for _, o := range s.options {
		if o.short != 0 && o.arg == "" {
			cluster = append(cluster, o.short)
		}
	}
	words := []string{}
	if len(cluster) > 0 {
		words = append(words, "[-"+string(cluster)+"]")
	}
	for _, o := range s.options {
		switch {
		case o.short != 0 && o.arg != "":
			words = append(words, fmt.Sprintf("[-%c %s]", o.short, o.arg))
		case o.short == 0 && o.arg != "":
			words = append(words, fmt.Sprintf("[--%s %s]", o.long, o.arg))
		case o.short == 0:
			words = append(words, fmt.Sprintf("[--%s]", o.long))
		}
	}
	if s.tail != "" {
		words = append(words, s.tail)
	}
	indent := len("usage: fieldgate  ") + len(s.cmd)
	col := indent
	for i, w := range words {
		if i > 0 && col+1+len(w) > 80 {
			b.WriteString("\n" + strings.Repeat(" ", indent))
			col = indent
		} else {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += len(w)
	}
	b.WriteByte('\n')
	return b.String()
}

// flagList is one line per option, in the column form the shared help
// parser (internal/cmdline.ParseHelp) reads for completion and man pages:
// the option's first name and argument, then its help, which names the
// long alias of a short option.
func (s *optionSet) flagList() string {
	var b strings.Builder
	names := make([]string, len(s.options))
	width := 0
	for i, o := range s.options {
		n := o.name()
		if o.arg != "" {
			n += " " + o.arg
		}
		names[i] = n
		width = max(width, len(n))
	}
	for i, o := range s.options {
		fmt.Fprintf(&b, "  %-*s  ", width, names[i])
		help := o.help
		if o.short != 0 && o.long != "" {
			alias := "(also --" + o.long + ")"
			if k := strings.Index(help, " (default"); k >= 0 {
				help = help[:k] + " " + alias + help[k:]
			} else {
				help += " " + alias
			}
		}
		for k, line := range wrap(strings.Fields(help), 80-width-4) {
			if k > 0 {
				fmt.Fprintf(&b, "\n%s", strings.Repeat(" ", width+4))
			}
			b.WriteString(line)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// wrap fills lines of at most n columns with words; no line but the first
// starts with "-" (help parsers would take it for an option), so such a
// word takes the word before it along.
func wrap(words []string, n int) []string {
	var lines [][]string
	cols := 0
	for _, w := range words {
		if len(lines) == 0 || cols+1+len(w) > n {
			lines = append(lines, nil)
			cols = -1
		}
		last := &lines[len(lines)-1]
		*last = append(*last, w)
		cols += 1 + len(w)
	}
	for i := 1; i < len(lines); i++ {
		if strings.HasPrefix(lines[i][0], "-") && len(lines[i-1]) > 1 {
			prev := lines[i-1]
			lines[i] = append([]string{prev[len(prev)-1]}, lines[i]...)
			lines[i-1] = prev[:len(prev)-1]
		}
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.Join(l, " ")
	}
	return out
}

func (s *optionSet) usage(w io.Writer) {
	fmt.Fprint(w, s.synopsis())
	if s.intro != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(s.intro))
	}
	fmt.Fprintf(w, "\noptions:\n%s", s.flagList())
}

// Option constructors.

func flagOpt(short byte, long, help string, n *int) *option {
	return &option{short: short, long: long, help: help, set: func(string) error { *n++; return nil }}
}

func boolOpt(short byte, long, help string, p *bool) *option {
	return &option{short: short, long: long, help: help, set: func(string) error { *p = true; return nil }}
}

func argOpt(short byte, long, arg, help string, set func(string) error) *option {
	return &option{short: short, long: long, arg: arg, help: help, set: set}
}
