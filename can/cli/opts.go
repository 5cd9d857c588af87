package cli

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// getopt-style command lines, as can-utils parses them: short options
// cluster (-c -c = -cc), take their argument attached or separate (-ta,
// -t a, -n3), options and operands mix in any order (GNU permutation), and
// "--" ends the options. fieldgate's own extras are long options
// (--dbc FILE, --dbc=FILE). -h and --help print the usage.

// option is one command-line option.
type option struct {
	short rune   // 0: long only
	long  string // "": short only
	arg   string // name of the argument in the usage; "" = takes none
	help  string
	set   func(val string) error
}

// optSet is the options of one command.
type optSet struct {
	name     string // "dump": used in errors
	synopsis string // printed before the option list
	trailer  string // printed after it
	opts     []*option
}

func (s *optSet) add(o *option) { s.opts = append(s.opts, o) }

// flag adds a switch.
func (s *optSet) flag(short rune, long, help string, p *bool) {
	s.add(&option{short: short, long: long, help: help, set: func(string) error { *p = true; return nil }})
}

// counter adds a switch that counts its occurrences (-c -c).
func (s *optSet) counter(short rune, long, help string, p *int) {
	s.add(&option{short: short, long: long, help: help, set: func(string) error { *p++; return nil }})
}

// str adds an option with a string argument.
func (s *optSet) str(short rune, long, arg, help string, p *string) {
	s.add(&option{short: short, long: long, arg: arg, help: help, set: func(v string) error { *p = v; return nil }})
}

// fn adds an option with an argument checked by f.
func (s *optSet) fn(short rune, long, arg, help string, f func(string) error) {
	s.add(&option{short: short, long: long, arg: arg, help: help, set: f})
}

// intOpt adds an option with a decimal integer argument in [lo, hi].
func (s *optSet) intOpt(short rune, long, arg, help string, p *int, lo, hi int) {
	s.add(&option{short: short, long: long, arg: arg, help: help, set: func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("want a whole number %d..%d", lo, hi)
		}
		*p = n
		return nil
	}})
}

func (s *optSet) lookupShort(c rune) *option {
	for _, o := range s.opts {
		if o.short == c {
			return o
		}
	}
	return nil
}

func (s *optSet) lookupLong(name string) *option {
	for _, o := range s.opts {
		if o.long == name {
			return o
		}
	}
	return nil
}

func (o *option) display() string {
	if o.short != 0 {
		return "-" + string(o.short)
	}
	return "--" + o.long
}

// parse sets the options of args and returns the operands. -h/--help
// prints the usage to stderr and returns flag.ErrHelp; errors are usage
// errors that name the option.
func (s *optSet) parse(args []string, stderr io.Writer) ([]string, error) {
	var operands []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(operands, args[i+1:]...), nil
		case a == "-h" && s.lookupShort('h') == nil, a == "--help":
			s.usage(stderr)
			return nil, flag.ErrHelp
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			o := s.lookupLong(name)
			if o == nil {
				return nil, s.errorf("unknown option --%s", name)
			}
			if o.arg == "" {
				if hasVal {
					return nil, s.errorf("option --%s takes no argument", name)
				}
				val = ""
			} else if !hasVal {
				if i+1 >= len(args) {
					return nil, s.errorf("option --%s needs an argument %s", name, o.arg)
				}
				i++
				val = args[i]
			}
			if err := o.set(val); err != nil {
				return nil, s.errorf("--%s %q: %v", name, val, err)
			}
		case len(a) > 1 && a[0] == '-':
			rs := []rune(a[1:])
			for j := 0; j < len(rs); j++ {
				o := s.lookupShort(rs[j])
				if o == nil {
					if rs[j] == 'h' {
						s.usage(stderr)
						return nil, flag.ErrHelp
					}
					return nil, s.errorf("unknown option -%c", rs[j])
				}
				val := ""
				if o.arg != "" {
					if j+1 < len(rs) {
						val = string(rs[j+1:])
					} else if i+1 < len(args) {
						i++
						val = args[i]
					} else if rs[j] == 'h' && len(rs) == 1 {
						// -h alone is a request for help even where
						// -h takes an argument (isotpsniffer's -h LEN).
						s.usage(stderr)
						return nil, flag.ErrHelp
					} else {
						return nil, s.errorf("option -%c needs an argument %s", rs[j], o.arg)
					}
					j = len(rs)
				}
				if err := o.set(val); err != nil {
					if o.arg == "" {
						return nil, s.errorf("-%c: %v", rs[j], err)
					}
					return nil, s.errorf("-%c %q: %v", o.short, val, err)
				}
			}
		default:
			operands = append(operands, a)
		}
	}
	return operands, nil
}

func (s *optSet) errorf(format string, args ...any) error {
	return usagef("%s: %s (see fieldgate can %s -h)", s.name, fmt.Sprintf(format, args...), s.name)
}

// usage prints the synopsis and one line per option name, in the column
// form internal/cmdline reads for the completions and man pages: an
// option with both names gets a second line for the long one.
func (s *optSet) usage(w io.Writer) {
	fmt.Fprintln(w, strings.TrimRight(s.synopsis, "\n"))
	fmt.Fprintln(w, "options:")
	line := func(names, help string) {
		if len(names) < 22 {
			names += strings.Repeat(" ", 22-len(names))
		}
		fmt.Fprintf(w, "  %s  %s\n", names, help)
	}
	for _, o := range s.opts {
		arg := ""
		if o.arg != "" {
			arg = " " + o.arg
		}
		switch {
		case o.short != 0 && o.long != "":
			line(fmt.Sprintf("-%c%s", o.short, arg), o.help)
			line("--"+o.long+arg, fmt.Sprintf("the same as -%c", o.short))
		case o.short != 0:
			line(fmt.Sprintf("-%c%s", o.short, arg), o.help)
		default:
			line("--"+o.long+arg, o.help)
		}
	}
	if s.trailer != "" {
		fmt.Fprintln(w, strings.TrimRight(s.trailer, "\n"))
	}
}
