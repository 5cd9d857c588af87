package console

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
)

func TestConfigConsole(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile("testdata/console.dbc")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "bus.dbc"), b, 0o644)
	os.WriteFile(filepath.Join(dir, "broken.dbc"), []byte("BO_ 291 Engine: 8 ECU\n SG_ Speed : 0|16@1+ (0.1,0) [0|6553.5] \"km/h\" X\n SG_ oops\n"), 0o644)
	file := filepath.Join(dir, "gw.yaml")
	parse := func(admin string) (*config.Config, error) {
		return config.Parse(file, []byte("admin: "+admin+"\nendpoints:\n  a: {kind: udp, listen: \"127.0.0.1:0\"}\n  b: {kind: udp, listen: \"127.0.0.1:1\"}\nroutes:\n  - {from: [a], to: [b]}\n"))
	}
	c, err := parse(`{console: {dbc: bus.dbc}}`)
	if err != nil {
		t.Fatal(err)
	}
	if cc := c.Admin.Console; cc.Disabled || cc.DBC != filepath.Join(dir, "bus.dbc") || cc.DB == nil {
		t.Errorf("console %+v", cc)
	}
	if c, err := parse(`{console: {enabled: false}}`); err != nil || !c.Admin.Console.Disabled {
		t.Errorf("enabled: false: %+v, %v", c.Admin.Console, err)
	}
	if c, err := parse(`{listen: "127.0.0.1:9108"}`); err != nil || c.Admin.Console.Disabled || c.Admin.Console.DB != nil {
		t.Errorf("default: %+v, %v", c.Admin.Console, err)
	}
	for admin, want := range map[string]string{
		`{console: {dbc: broken.dbc}}`:  "broken.dbc:",
		`{console: {dbc: missing.dbc}}`: "missing.dbc",
		`{console: {send: true}}`:       "admin.console.send",
		`{console: {enabled: maybe}}`:   "admin.console.enabled",
	} {
		_, err := parse(admin)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "gw.yaml:1") {
			t.Errorf("admin: %s: error %v, want one naming %s at gw.yaml:1", admin, err, want)
		}
	}
}

func TestDropsSince(t *testing.T) {
	h := newHistory(nil)
	h.noteDrops("route", "r", map[string]uint64{"queue_overflow": 5}, true, 1000, 5000)
	h.noteDrops("route", "r", map[string]uint64{"queue_overflow": 5, "not_allowed": 2}, false, 1000, 6000)
	h.noteDrops("route", "r", map[string]uint64{"queue_overflow": 7, "not_allowed": 2}, false, 1000, 7000)
	h.noteDrops("route", "r", map[string]uint64{"queue_overflow": 1, "not_allowed": 2}, false, 1000, 8000)
	got := map[string]Drop{}
	for _, d := range h.dropList() {
		got[d.Reason] = d
	}
	if d := got["not_allowed"]; d.Count != 2 || d.Since != 6000 || d.Before || d.Last != 6000 {
		t.Errorf("not_allowed %+v", d)
	}
	// Counted before the first sample: since the gateway started; then a
	// restart of the counter (reload) starts it again.
	if d := got["queue_overflow"]; d.Count != 1 || d.Since != 8000 || d.Before || d.Last != 8000 {
		t.Errorf("queue_overflow %+v", d)
	}
	h2 := newHistory(nil)
	h2.noteDrops("endpoint", "e", map[string]uint64{"no_route": 3, "malformed": 0}, true, 1000, 5000)
	if l := h2.dropList(); len(l) != 1 || l[0].Since != 1000 || !l[0].Before || l[0].Count != 3 {
		t.Errorf("drops %+v", l)
	}
}
