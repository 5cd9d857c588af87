package config_test

import (
	"github.com/fieldgate/fieldgate/gateway/config"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/all"
	canep "github.com/fieldgate/fieldgate/gateway/endpoints/can"

	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string // substrings, one per expected error, in order
	}{
		{"unknown field", "endpoints:\n  a: {kind: udp, listen: \"127.0.0.1:1\", mtuu: 1500}\nroutes: []\n",
			[]string{`test.yaml:2:41: endpoints.a.mtuu: unknown field "mtuu" (hint: did you mean "mtu"?)`}},
		{"bad range", "endpoints:\n  a: {kind: udp, listen: \"127.0.0.1:1\", mtu: 100}\nroutes: []\n",
			[]string{`test.yaml:2:46: endpoints.a.mtu: value 100 out of range (hint: allowed range is 576..65535)`}},
		{"bad kind", "endpoints:\n  a: {kind: cann}\nroutes: []\n",
			[]string{`test.yaml:2:13: endpoints.a.kind: invalid value "cann" (hint: did you mean "can"?)`}},
		{"unknown endpoint", "endpoints:\n  bus0: {kind: can, interface: vcan0}\n  bus1: {kind: can, interface: vcan1}\nroutes:\n  - {from: [bus0], to: [bus2]}\n",
			[]string{`test.yaml:5:25: routes.route0.to: unknown endpoint "bus2" (hint: did you mean "bus0"?)`}},
		{"conflicting binds", "endpoints:\n  a: {kind: udp, listen: \"0.0.0.0:20000\"}\n  b: {kind: udp, listen: \"127.0.0.1:20000\"}\nroutes:\n  - {from: [a], to: [b]}\n",
			[]string{`test.yaml:3:3: endpoints.b: binds udp 127.0.0.1:20000, which a (test.yaml:2:3) already binds`}},
		{"unreachable", "endpoints:\n  l: {kind: log, path: /tmp/x.log}\n  b: {kind: can, interface: vcan0}\nroutes:\n  - {from: [l], to: [b]}\n",
			[]string{`test.yaml:5:13: routes.route0.from: route is unreachable: endpoint "l" (log) never produces frames`}},
		{"self loop", "endpoints:\n  b: {kind: can, interface: vcan0}\nroutes:\n  - {from: [b], to: [b]}\n",
			[]string{`endpoint "b" is both source and destination`}},
		{"yaml syntax", "endpoints:\n  a: {kind: udp\nroutes: []\n", []string{"test.yaml:1:1: YAML syntax: line 1: did not find expected ',' or '}'"}},
		{"socketcand interface", "endpoints:\n  s: {kind: socketcand, bus: vcan0, interface: a_very_long_interface_name}\nroutes: []\n",
			[]string{`test.yaml:2:48: endpoints.s.interface: invalid interface name "a_very_long_interface_name" (hint: interface names are at most 15 characters)`}},
		{"missing", "log: {level: loud}\n", []string{`log.level: invalid value "loud"`, "endpoints: missing field", "routes: missing field"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse("test.yaml", []byte(tc.yaml))
			var es config.Errors
			if !errors.As(err, &es) {
				t.Fatalf("got %v, want config.Errors", err)
			}
			if len(es) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(es), len(tc.want), err)
			}
			for i, w := range tc.want {
				if !strings.Contains(es[i].Error(), w) {
					t.Errorf("error %d:\n got %s\nwant %s", i, es[i], w)
				}
			}
		})
	}
}

func TestDefaultsAndWarnings(t *testing.T) {
	c, err := config.Parse("t.yaml", []byte(`
endpoints:
  bus: {kind: can, interface: vcan0, filters: ["123:7FF", {id: 0x200, mask: 0x700, inverted: true}]}
  net: {kind: udp, listen: "0.0.0.0:20000", peer: "10.0.0.2:20000"}
routes:
  - {name: up, from: [bus], to: [net], rate: {frames_per_second: 100}}
  - {name: down, from: [net], to: [bus]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Admin.Listen != "127.0.0.1:9108" {
		t.Errorf("admin default %q, want loopback", c.Admin.Listen)
	}
	e := c.Endpoint("bus")
	fs := e.Settings.(*canep.Config).Filters
	if len(fs) != 2 || fs[0].ID != 0x123 || fs[0].Mask != 0x7FF || !fs[1].Inverted {
		t.Errorf("filters %+v", fs)
	}
	if e.Queue.Size != 1024 || e.Queue.Overflow != config.DropOldest {
		t.Errorf("queue %+v", e.Queue)
	}
	if c.Routes[0].Rate.Burst != 10 {
		t.Errorf("burst %d", c.Routes[0].Rate.Burst)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0].Error(), "injects nothing") {
		t.Errorf("warnings %v", c.Warnings)
	}
}

func TestFingerprintIgnoresPositions(t *testing.T) {
	a, _ := config.Parse("a", []byte("endpoints:\n  x: {kind: can, interface: vcan0, filters: [\"1:7FF\"]}\n  y: {kind: log, path: /tmp/y}\nroutes:\n  - {from: [x], to: [y]}\n"))
	b, _ := config.Parse("b", []byte("\n\nendpoints:\n  x:   {kind: can,   interface: vcan0, filters: [\"1:7FF\"]}\n  y: {kind: log, path: /tmp/y}\nroutes:\n  -   {from: [x], to: [y]}\n"))
	if a.Endpoints[0].Fingerprint() != b.Endpoints[0].Fingerprint() || a.Routes[0].Fingerprint() != b.Routes[0].Fingerprint() {
		t.Fatal("fingerprints differ for equal settings")
	}
}

// TestExampleConfigs checks every example in configs/ is valid.
func TestExampleConfigs(t *testing.T) {
	files, _ := filepath.Glob("../../configs/*.yaml")
	if len(files) < 5 {
		t.Fatalf("found %d example configs", len(files))
	}
	for _, f := range files {
		if _, err := config.Load(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
