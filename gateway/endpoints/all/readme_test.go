package all_test

import (
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/all"
)

var (
	kindHeading = regexp.MustCompile("^### `([a-z0-9_-]+)` — ")
	fieldName   = regexp.MustCompile("`([a-z0-9_]+)(?:\\.[a-z0-9_.]+)?`")
)

// readmeKinds reads configs/README.md: for each `### \`kind\` — …` section,
// the top-level field names its first table lists (`rotate.size` counts as
// rotate; a row may name several fields).
func readmeKinds(t *testing.T) (map[string][]string, string) {
	t.Helper()
	b, err := os.ReadFile("../../../configs/README.md")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string][]string{}
	var cur string
	inTable, tableDone := false, false
	var kindRow string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "| `kind` |") {
			kindRow = line
		}
		if m := kindHeading.FindStringSubmatch(line); m != nil {
			cur, inTable, tableDone = m[1], false, false
			kinds[cur] = []string{}
			continue
		}
		if strings.HasPrefix(line, "#") {
			cur = ""
			continue
		}
		if cur == "" || tableDone {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			if inTable {
				tableDone = true
			}
			continue
		}
		inTable = true
		cells := strings.Split(line, "|")
		if len(cells) < 3 || strings.TrimSpace(cells[1]) == "field" || strings.HasPrefix(strings.TrimSpace(cells[1]), "---") {
			continue
		}
		for _, m := range fieldName.FindAllStringSubmatch(cells[1], -1) {
			if !slices.Contains(kinds[cur], m[1]) {
				kinds[cur] = append(kinds[cur], m[1])
			}
		}
	}
	return kinds, kindRow
}

// TestReadmeMatchesRegistry keeps configs/README.md true: every registered
// kind has a section whose field table lists exactly the fields the kind
// declares (and so decodes), and the `kind` row lists every kind.
func TestReadmeMatchesRegistry(t *testing.T) {
	doc, kindRow := readmeKinds(t)
	var registered []string
	for _, name := range config.KindNames() {
		if strings.HasPrefix(name, "test-") {
			continue
		}
		registered = append(registered, name)
		k, _ := config.LookupKind(name)
		fields, ok := doc[name]
		if !ok {
			t.Errorf("configs/README.md has no section \"### `%s` — …\" for registered kind %s", name, name)
			continue
		}
		var declared []string
		for _, f := range k.Fields {
			declared = append(declared, f.Name)
		}
		sort.Strings(declared)
		sort.Strings(fields)
		if !slices.Equal(declared, fields) {
			t.Errorf("kind %s: configs/README.md documents fields %v, the kind declares %v", name, fields, declared)
		}
		if !strings.Contains(kindRow, "`"+name+"`") {
			t.Errorf("configs/README.md's kind row does not list %s: %s", name, kindRow)
		}
		if _, ok := endpoint.Lookup(name); !ok {
			t.Errorf("kind %s is known to config but not to endpoint", name)
		}
	}
	for name := range doc {
		if !slices.Contains(registered, name) {
			t.Errorf("configs/README.md documents kind %s, which no package registers", name)
		}
	}
}

// TestEveryKindIsDescribed: each kind has a one-line description and
// declares its fields (for the unknown-field hints and this README check).
func TestEveryKindIsDescribed(t *testing.T) {
	for _, name := range config.KindNames() {
		if strings.HasPrefix(name, "test-") {
			continue
		}
		k, _ := config.LookupKind(name)
		if len(k.Fields) == 0 {
			t.Errorf("kind %s declares no fields", name)
		}
		if k.Doc == "" {
			t.Errorf("kind %s has no Doc", name)
		}
	}
}
