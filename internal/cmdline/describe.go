package cmdline

import (
	"bytes"
	"context"
	"slices"
	"strings"
)

// maxDepth bounds how deep Describe follows "commands:" lists.
const maxDepth = 4

// Describe describes the program's commands (built-ins included) for
// completion and man pages. It runs each command with -h only: every
// fieldgate command prints its help and returns before it does anything.
// Subcommands are described from a command's Subcommands, else from its
// "commands:" list (each run with "SUB -h"), else from a synopsis that
// names alternatives ("isotp send|recv ..."), which get the parent's
// flags.
func (p *Program) Describe(ctx context.Context) []*Spec {
	var out []*Spec
	for _, c := range p.all() {
		out = append(out, p.describe(ctx, c, nil, c.Run, nil, 0))
	}
	// "help TOPIC..." and "man COMMAND" take command names.
	for _, s := range out {
		switch s.Path[0] {
		case "help":
			s.Subs, s.Args, s.Repeat = topics(s.Path, out, maxDepth), nil, false
		case "man":
			s.Subs, s.Args, s.Repeat = topics(s.Path, out, 1), nil, false
		}
	}
	return out
}

// topics mirrors the command tree under prefix, names only, depth levels
// deep: the words "help" and "man" take.
func topics(prefix []string, specs []*Spec, depth int) []*Spec {
	if depth == 0 {
		return nil
	}
	var out []*Spec
	for _, s := range specs {
		name := s.Path[len(s.Path)-1]
		if name == "help" && len(prefix) == 1 && prefix[0] == "help" {
			continue
		}
		t := &Spec{Path: append(append([]string(nil), prefix...), name), Summary: s.Summary}
		t.Subs = topics(t.Path, s.Subs, depth-1)
		out = append(out, t)
	}
	return out
}

// describe describes c, reached as parent + c.Name; run is the top-level
// command's Run and prefix the words it gets before "-h".
func (p *Program) describe(ctx context.Context, c Command, parent []string, run RunFunc, prefix []string, depth int) *Spec {
	path := append(append([]string(nil), parent...), c.Name)
	s := &Spec{Path: path, Summary: c.Summary}
	var h Help
	if run != nil {
		h = ParseHelp(helpText(ctx, run, append(append([]string(nil), prefix...), "-h")))
	}
	s.Synopsis, s.Prose = h.Synopsis, h.Prose
	if c.Flags != nil {
		s.Flags = FlagsOf(c.Flags())
	} else {
		s.Flags = append([]Flag(nil), h.Flags...)
		classifyFlags(s.Flags)
	}
	if s.Summary == "" && len(h.Synopsis) == 0 {
		s.Summary = firstSentence(h.Prose)
	}
	s.Args, s.Repeat = positionals(s, h.Synopsis)
	switch {
	case len(c.Subcommands) > 0:
		for _, sc := range c.Subcommands {
			if sc.Run != nil {
				s.Subs = append(s.Subs, p.describe(ctx, sc, path, sc.Run, nil, depth+1))
			} else {
				s.Subs = append(s.Subs, p.describe(ctx, sc, path, run, append(append([]string(nil), prefix...), sc.Name), depth+1))
			}
		}
	case len(h.Commands) > 0 && depth < maxDepth:
		for _, l := range h.Commands {
			sc := Command{Name: l.Name, Summary: l.Summary}
			s.Subs = append(s.Subs, p.describe(ctx, sc, path, run, append(append([]string(nil), prefix...), l.Name), depth+1))
		}
	default:
		for _, alt := range alternatives(path, h.Synopsis) {
			s.Subs = append(s.Subs, &Spec{Path: append(append([]string(nil), path...), alt), Synopsis: h.Synopsis,
				Flags: s.Flags, Args: s.Args, Repeat: s.Repeat, Alt: true})
		}
		if len(s.Subs) > 0 {
			// The positional arguments are those after the alternative.
			for _, sub := range s.Subs {
				sub.Args, sub.Repeat = positionals(sub, h.Synopsis)
			}
			s.Args, s.Repeat = nil, false
		}
	}
	return s
}

// helpText runs a command with args (ending in -h) and returns what it
// printed on both streams.
func helpText(ctx context.Context, run RunFunc, args []string) string {
	var b bytes.Buffer
	defer func() { recover() }() // a command that cannot describe itself has no help
	run(ctx, args, &b, &b)
	return b.String()
}

// firstSentence is the first line of s.
func firstSentence(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

// alternatives returns the subcommand names a synopsis offers right after
// the command's path: "fieldgate can isotp send|recv [flags] IFACE" gives
// send and recv for path [can isotp].
func alternatives(path []string, synopsis []string) []string {
	for _, syn := range synopsis {
		words := strings.Fields(syn)
		i := matchPath(words, path)
		if i < 0 || i >= len(words) || !strings.Contains(words[i], "|") {
			continue
		}
		var alts []string
		for _, a := range strings.Split(words[i], "|") {
			if !isWord(a) {
				return nil
			}
			alts = append(alts, a)
		}
		return alts
	}
	return nil
}

// matchPath returns the index in words just past the program name and
// path (or path alone), or -1.
func matchPath(words, path []string) int {
	for start := 0; start <= 1 && start < len(words); start++ {
		ok := len(words) >= start+len(path)
		for j := 0; ok && j < len(path); j++ {
			ok = words[start+j] == path[j] || slices.Contains(strings.Split(words[start+j], "|"), path[j])
		}
		if ok {
			return start + len(path)
		}
	}
	return -1
}

// positionals reads the kinds of the positional arguments from the
// synopsis: words after the command's path that are neither a flag, a
// flag's value, nor an optional group of flags ("[-c FILE]",
// "[flags]"). "IFACE..." repeats.
func positionals(s *Spec, synopsis []string) ([]ArgKind, bool) {
	for _, syn := range synopsis {
		words := strings.Fields(syn)
		i := matchPath(words, s.Path)
		if i < 0 {
			continue
		}
		var kinds []ArgKind
		repeat := false
		depth := 0
		for ; i < len(words); i++ {
			w := words[i]
			if depth > 0 || strings.HasPrefix(w, "[-") || isFlagsWord(w) {
				depth += strings.Count(w, "[") - strings.Count(w, "]")
				if depth < 0 {
					depth = 0
				}
				continue
			}
			if strings.HasPrefix(w, "-") {
				// A flag: skip its value unless it is a boolean.
				name := strings.TrimLeft(w, "-")
				if f := s.Flag(name); f == nil || f.Arg != "" {
					if i+1 < len(words) && !strings.HasPrefix(words[i+1], "-") && !strings.HasPrefix(words[i+1], "[") {
						i++
					}
				}
				continue
			}
			if w == "|" || strings.Contains(strings.Trim(w, "[]"), "|") {
				continue
			}
			kinds = append(kinds, classifyPositional(w))
			if strings.HasSuffix(w, "...") || strings.HasSuffix(w, "...]") {
				repeat = true
				break
			}
		}
		return kinds, repeat
	}
	return nil, false
}

// isFlagsWord reports whether w stands for "any flags": [flags], [FLAGS],
// [OPTIONS], [ARGS...].
func isFlagsWord(w string) bool {
	switch strings.ToLower(strings.Trim(w, "[].")) {
	case "flags", "options", "args", "settings":
		return strings.HasPrefix(w, "[")
	}
	return false
}
