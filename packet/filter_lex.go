package packet

import (
	"fmt"
	"strings"
)

// token is one lexeme of a filter expression.
type token struct {
	s   string // the text
	pos int    // byte offset in the expression, for errors
	op  bool   // an operator or bracket, not a word
}

// lexFilter splits a tcpdump expression into tokens. Words are runs of
// letters, digits and . _ - : / \ (so 10.0.0.0/8, 2001:db8::1,
// 02:00:00:00:00:0a, tcp-syn and 5000-6000 are single words); inside [ ]
// only letters, digits, '.' and '_' make words, so ip[6:2] splits.
func lexFilter(expr string) ([]token, error) {
	var toks []token
	depth := 0
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case isWordChar(c, depth > 0) && (c != '-' && c != '/' || depth > 0):
			j := i
			for j < len(expr) && isWordChar(expr[j], depth > 0) {
				j++
			}
			toks = append(toks, token{s: expr[i:j], pos: i})
			i = j
			continue
		}
		// Operators, longest first.
		for _, op := range []string{"&&", "||", "<<", ">>", "<=", ">=", "==", "!=", "(", ")", "[", "]", ":", "!", "&", "|", "+", "-", "*", "/", "%", "^", "=", "<", ">"} {
			if strings.HasPrefix(expr[i:], op) {
				switch op {
				case "[":
					depth++
				case "]":
					depth--
				}
				toks = append(toks, token{s: op, pos: i, op: true})
				i += len(op)
				goto next
			}
		}
		return nil, fmt.Errorf("filter: offset %d: unexpected character %q", i, c)
	next:
	}
	return toks, nil
}

func isWordChar(c byte, inBracket bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '.':
		return true
	case inBracket:
		return false
	case c == '-', c == ':', c == '/', c == '\\':
		return true
	}
	return false
}
