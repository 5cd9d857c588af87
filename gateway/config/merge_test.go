package config

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestMergeBudget: merge keys stop copying fields when the file's budget
// is spent, with one error at the merge key that hit it.
func TestMergeBudget(t *testing.T) {
	var doc yaml.Node
	src := "a: &a {k1: 1, k2: 2, k3: 3}\nb: {<<: *a, x: 1}\nc: {<<: *a}\n"
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	d := &decoder{file: "m.yaml", mergeBudget: 4}
	top := doc.Content[0]
	b, c := top.Content[3], top.Content[5]
	if got := len(d.pairs(b, "b")); got != 4 || d.mergeBudget != 1 {
		t.Fatalf("b: %d pairs, budget left %d", got, d.mergeBudget)
	}
	if got := len(d.pairs(c, "c")); got != 1 {
		t.Fatalf("c: %d pairs, want 1 (budget spent)", got)
	}
	d.pairs(c, "c")
	if len(d.errs) != 1 || !strings.Contains(d.errs[0].Error(), "m.yaml:3:5: c.<<: merge keys copy more than") {
		t.Fatalf("errors %v", d.errs)
	}
}
