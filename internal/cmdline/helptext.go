package cmdline

import (
	"strconv"
	"strings"
)

// Help is what a command's -h text says, parsed by ParseHelp.
type Help struct {
	Synopsis []string // the "usage:" line and its continuation lines, without "usage: "
	Prose    string   // every other line that is not a flag or a listed command
	Commands []Listed // the "commands:" list
	Flags    []Flag   // flags, in the order -h lists them
}

// Listed is one entry of a "commands:" list.
type Listed struct{ Name, Summary string }

// ParseHelp reads a -h text. It understands the output of
// flag.PrintDefaults ("  -name type" followed by a "\t"-indented usage
// line, or "  -x\tusage" for a one-letter boolean), option tables in
// columns ("  -s DEV     source interface"), a "commands:" list of
// "  name  summary" lines, and a "usage: PROGRAM ..." synopsis that goes
// on over indented lines starting with "[". Anything else is prose.
func ParseHelp(text string) Help {
	var h Help
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var prose []string
	inCommands := false
	seen := map[string]bool{}
	addFlag := func(f Flag) {
		if f.Name == "h" || f.Name == "help" || seen[f.Name] {
			return
		}
		seen[f.Name] = true
		h.Flags = append(h.Flags, f)
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trim := strings.TrimSpace(line)
		lower := strings.ToLower(trim)
		switch {
		case strings.HasPrefix(lower, "usage: ") && !strings.HasPrefix(lower, "usage of "):
			indent := len(line) - len(strings.TrimLeft(line, " \t"))
			h.Synopsis = append(h.Synopsis, strings.TrimSpace(trim[len("usage: "):]))
			for i+1 < len(lines) {
				next := lines[i+1]
				nt := strings.TrimSpace(next)
				nindent := len(next) - len(strings.TrimLeft(next, " \t"))
				if nt == "" || nindent <= indent+len("usage:") || !strings.HasPrefix(nt, "[") {
					break
				}
				h.Synopsis[len(h.Synopsis)-1] += " " + nt
				i++
			}
			inCommands = false
			continue
		case strings.HasPrefix(lower, "usage of ") && strings.HasSuffix(trim, ":"):
			// Go's default usage header: nothing to keep.
			continue
		case trim == "":
			inCommands = false
			prose = append(prose, "")
			continue
		case strings.HasSuffix(lower, "commands:"):
			inCommands = true
			continue
		}
		if inCommands {
			if l, ok := parseListed(line); ok {
				h.Commands = append(h.Commands, l)
				continue
			}
			inCommands = false
		}
		if f, used, ok := parseFlagLine(lines[i:]); ok {
			addFlag(f)
			i += used - 1
			continue
		}
		if lower == "flags:" || lower == "options:" {
			continue
		}
		prose = append(prose, strings.TrimRight(line, " \t"))
	}
	h.Prose = strings.Trim(squeezeBlank(prose), "\n")
	return h
}

// squeezeBlank joins lines, with no more than one blank line in a row.
func squeezeBlank(lines []string) string {
	var b strings.Builder
	blank := false
	for _, l := range lines {
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// parseListed reads "  name   summary" (an entry of a commands: list).
func parseListed(line string) (Listed, bool) {
	if !strings.HasPrefix(line, " ") {
		return Listed{}, false
	}
	t := strings.TrimSpace(line)
	name, rest, _ := strings.Cut(t, " ")
	if !isWord(name) {
		return Listed{}, false
	}
	return Listed{Name: name, Summary: strings.TrimSpace(rest)}, true
}

// isWord reports whether s can be a command name: a lower-case letter,
// then letters, digits and dashes.
func isWord(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// isFlagName reports whether s is a flag name: letters, digits, '-',
// '_' and '.', starting with a letter or digit.
func isFlagName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '-' && c != '_' && c != '.') {
			return false
		}
	}
	return true
}

// parseFlagLine reads the flag that starts at lines[0], and returns it
// with the number of lines it spans.
func parseFlagLine(lines []string) (Flag, int, bool) {
	line := lines[0]
	indent := len(line) - len(strings.TrimLeft(line, " "))
	if indent < 1 || indent > 4 || !strings.HasPrefix(line[indent:], "-") {
		return Flag{}, 0, false
	}
	rest := strings.TrimLeft(line[indent:], "-")
	end := strings.IndexAny(rest, " \t")
	if end < 0 {
		end = len(rest)
	}
	name := rest[:end]
	if !isFlagName(name) {
		return Flag{}, 0, false
	}
	f := Flag{Name: name}
	rest = rest[end:]
	used := 1
	// Go's flag.PrintDefaults: the usage on the next lines, after "\t".
	goUsage := func() {
		var u []string
		for used < len(lines) && strings.HasPrefix(lines[used], "    \t") {
			u = append(u, strings.TrimSpace(lines[used]))
			used++
		}
		f.Usage = strings.Join(u, " ")
	}
	switch {
	case strings.HasPrefix(rest, "\t"):
		// "  -x\tusage": a one-letter boolean.
		f.Usage = strings.TrimSpace(rest)
	case strings.TrimSpace(rest) == "" || (strings.HasPrefix(rest, " ") && !strings.Contains(strings.TrimSpace(rest), " ") && used < len(lines) && strings.HasPrefix(lines[used], "    \t")):
		f.Arg = strings.TrimSpace(rest)
		goUsage()
	default:
		// A column table: "  -s DEV        source interface".
		// One space after the name: an argument follows, up to the
		// column gap (or, when it overflows the column, one word).
		r := strings.TrimLeft(rest, " ")
		switch gap := strings.Index(r, "  "); {
		case strings.HasPrefix(rest, "  ") || strings.HasPrefix(rest, "\t"):
			f.Usage = strings.TrimSpace(r)
		case gap >= 0:
			f.Arg, f.Usage = strings.TrimSpace(r[:gap]), strings.TrimSpace(r[gap:])
		default:
			f.Arg, f.Usage, _ = strings.Cut(r, " ")
			f.Usage = strings.TrimSpace(f.Usage)
		}
		// Continuation lines, indented past the flag.
		for used < len(lines) {
			l := lines[used]
			li := len(l) - len(strings.TrimLeft(l, " "))
			t := strings.TrimSpace(l)
			if t == "" || li <= indent+4 || strings.HasPrefix(t, "-") {
				break
			}
			f.Usage += " " + t
			used++
		}
	}
	f.Usage, f.Default = cutDefault(f.Usage)
	f.Kind = classify(f.Arg, f.Usage)
	return f, used, true
}

// cutDefault splits Go's trailing ` (default X)` (X quoted, or one word)
// off a usage.
func cutDefault(usage string) (string, string) {
	if !strings.HasSuffix(usage, ")") {
		return usage, ""
	}
	i := strings.LastIndex(usage, " (default ")
	if i < 0 {
		return usage, ""
	}
	def := usage[i+len(" (default ") : len(usage)-1]
	switch {
	case len(def) >= 2 && strings.HasPrefix(def, `"`) && strings.HasSuffix(def, `"`):
		if u, err := strconv.Unquote(def); err == nil {
			def = u
		} else {
			def = def[1 : len(def)-1]
		}
	case strings.ContainsAny(def, " \t"):
		// Not Go's (a number, a duration, a word, or a quoted string):
		// the usage's own words, "(default with -c: admin.token_file)".
		return usage, ""
	}
	return usage[:i], def
}
