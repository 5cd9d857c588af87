package config

import (
	"strconv"
	"strings"
)

// Error is one finding in a configuration file.
type Error struct {
	Pos   Pos
	Field string // dotted path, e.g. endpoints.bus0.interface
	Msg   string
	Hint  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Pos.String())
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString(" (hint: ")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Errors is the list of all errors found in a file.
type Errors []*Error

func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap lets errors.As find individual *Error values.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

// maxSuggest bounds the length of a string suggest looks for: names and
// field names are shorter, and the edit distance costs the product of the
// two lengths.
const maxSuggest = 128

// defaultSuggestBudget bounds the work of all suggestions for one file, in
// edit distance matrix cells: a file with many misspelt names among many
// candidates gets suggestions for the first ones only.
const defaultSuggestBudget = 1 << 26

// suggest returns the candidate closest to s, if close enough, within the
// decoder's budget.
func (d *decoder) suggest(s string, candidates []string) string {
	return suggestWithin(s, candidates, &d.suggestBudget)
}

// suggestWithin returns the candidate closest to s, if close enough.
// Candidates whose length differs from s by more than the largest distance
// accepted are skipped without comparing them; the others count their
// edit distance cells against *budget, and once it is spent nothing more
// is suggested.
func suggestWithin(s string, candidates []string, budget *int) string {
	if len(s) > maxSuggest {
		return ""
	}
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if l := len(c) - len(s); l > 3 || l < -3 || len(c) > maxSuggest {
			continue
		}
		cost := (len(s) + 1) * (len(c) + 1)
		if *budget < cost {
			return ""
		}
		*budget -= cost
		if d := levenshtein(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	if bestD <= 2 || (bestD <= len(s)/2 && bestD < 4) {
		return best
	}
	return ""
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
