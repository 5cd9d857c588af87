package cmdline

import (
	"strings"
)

// node is one command path of the completion tables, flattened from the
// Spec tree: what each shell script's spec function knows of it.
type node struct {
	path    string // "can dump"; "" for the program itself
	subs    []*Spec
	flags   []Flag // every flag, -h included
	args    []ArgKind
	repeat  bool
	summary string
}

// completionNodes flattens specs (the program's commands) into one node
// per command path, the program itself first. Names that are not plain
// words are left out: they go into shell scripts.
func completionNodes(program string, specs []*Spec) []node {
	rootFlags := []Flag{{Name: "h", Usage: "show the command list"}, {Name: "help", Usage: "show the command list"}}
	for _, s := range specs {
		if s.Path[len(s.Path)-1] == "version" {
			rootFlags = append(rootFlags, Flag{Name: "version", Usage: "print the version"})
		}
	}
	out := []node{{path: "", subs: plainSpecs(specs), flags: rootFlags, summary: program}}
	var walk func(s *Spec)
	walk = func(s *Spec) {
		for _, w := range s.Path {
			if !isWord(w) {
				return
			}
		}
		n := node{path: strings.Join(s.Path, " "), subs: plainSpecs(s.Subs), args: s.Args, repeat: s.Repeat, summary: s.Summary}
		n.flags = append(n.flags, Flag{Name: "h", Usage: "show usage and flags"})
		for _, f := range s.Flags {
			if isFlagName(f.Name) && f.Name != "h" {
				n.flags = append(n.flags, f)
			}
		}
		out = append(out, n)
		for _, sub := range s.Subs {
			walk(sub)
		}
	}
	for _, s := range specs {
		walk(s)
	}
	return out
}

func plainSpecs(specs []*Spec) []*Spec {
	var out []*Spec
	for _, s := range specs {
		if isWord(s.Path[len(s.Path)-1]) {
			out = append(out, s)
		}
	}
	return out
}

func (n *node) subNames() []string {
	var out []string
	for _, s := range n.subs {
		out = append(out, s.Path[len(s.Path)-1])
	}
	return out
}

// valueFlags returns "name:kind" for every flag that takes a value.
func (n *node) valueFlags() []string {
	var out []string
	for _, f := range n.flags {
		if f.Arg != "" {
			k := f.Kind
			if k == ArgNone {
				k = ArgWord
			}
			out = append(out, f.Name+":"+k.String())
		}
	}
	return out
}

func (n *node) argKinds() []string {
	var out []string
	for _, k := range n.args {
		out = append(out, k.String())
	}
	return out
}

// shellQuote quotes s for sh, bash, zsh and fish in single quotes.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// fishQuote quotes s for fish: in single quotes, \ and ' are escaped.
func fishQuote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
}

// oneLine shortens a usage to its first sentence, for completion menus.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		cut := strings.LastIndex(s[:77], " ")
		if cut < 40 {
			cut = 77
		}
		s = s[:cut] + "..."
	}
	return s
}
