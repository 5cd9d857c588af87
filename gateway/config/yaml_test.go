package config_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
	canep "github.com/fieldgate/fieldgate/gateway/endpoints/can"
	udpep "github.com/fieldgate/fieldgate/gateway/endpoints/udp"
)

// TestMergeKeys: endpoints and routes take fields from anchored mappings
// through merge keys, own fields override merged ones, an earlier mapping
// in a merge list overrides a later one, and merges nest.
func TestMergeKeys(t *testing.T) {
	c, err := config.Parse("m.yaml", []byte(`
x-defaults:
  link: &link {kind: udp, mtu: 1400, flush: 100ms}
  fd: &fd {fd: true}
  bus: &bus {<<: *fd, kind: can, interface: vcan0}
  down: &down {allow: ["123:7FF"], frames: classic}
endpoints:
  a: {<<: *link, listen: "127.0.0.1:20000"}
  b:
    <<: [*link, {mtu: 9000, flush: 1ms}]
    listen: "127.0.0.1:20001"
    mtu: 1200
  bus0: *bus
  bus1: {<<: *bus, interface: vcan1, fd: false}
routes:
  - {<<: *down, name: ab, from: [a], to: [bus0]}
  - <<: *down
    name: bb
    from: [b]
    to: [bus1]
    frames: any
`))
	if err != nil {
		t.Fatal(err)
	}
	a := c.Endpoint("a").Settings.(*udpep.Config)
	b := c.Endpoint("b").Settings.(*udpep.Config)
	if a.MTU != 1400 || a.Flush.Milliseconds() != 100 || a.Listen != "127.0.0.1:20000" {
		t.Errorf("a: %+v", a)
	}
	if b.MTU != 1200 || b.Flush.Milliseconds() != 100 || b.Listen != "127.0.0.1:20001" {
		t.Errorf("b: %+v (want own mtu 1200, flush from the first merged mapping)", b)
	}
	bus0 := c.Endpoint("bus0").Settings.(*canep.Config)
	bus1 := c.Endpoint("bus1").Settings.(*canep.Config)
	if bus0.Interface != "vcan0" || !bus0.FD || bus1.Interface != "vcan1" || bus1.FD {
		t.Errorf("bus0 %+v, bus1 %+v", bus0, bus1)
	}
	r0, r1 := c.Routes[0], c.Routes[1]
	if r0.Name != "ab" || len(r0.Allow.Entries) != 1 || r0.Allow.Entries[0].ID != 0x123 || r0.FrameType != "classic" {
		t.Errorf("route ab: %+v", r0)
	}
	if r1.Name != "bb" || len(r1.Allow.Entries) != 1 || r1.FrameType != "any" {
		t.Errorf("route bb: %+v", r1)
	}
}

// TestMergeKeyErrors: errors about merged values point where the value is
// written (in the anchored mapping) and name the field of the endpoint it
// is merged into; a merge of something other than a mapping is an error.
func TestMergeKeyErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"merged value", "x-link: &link {kind: udp, mtu: 100}\nendpoints:\n  a: {<<: *link, listen: \"127.0.0.1:1\"}\n  b: {<<: *link, listen: \"127.0.0.1:2\", mtu: 1500}\nroutes: []\n",
			[]string{`m.yaml:1:32: endpoints.a.mtu: value 100 out of range (hint: allowed range is 576..65535)`}},
		{"merged unknown field", "x-link: &link {kind: udp, mtuu: 1400}\nendpoints:\n  a: {<<: *link, listen: \"127.0.0.1:1\"}\nroutes: []\n",
			[]string{`m.yaml:1:27: endpoints.a.mtuu: unknown field "mtuu" (hint: did you mean "mtu"?)`}},
		{"merge of a scalar", "endpoints:\n  a: {<<: 3, kind: can, interface: vcan0}\nroutes: []\n",
			[]string{`m.yaml:2:7: endpoints.a.<<: merge key needs a mapping, found "3"`}},
		{"kind only merged", "x-a: &a {interface: vcan0}\nendpoints:\n  a: {<<: *a}\nroutes: []\n",
			[]string{`m.yaml:3:3: endpoints.a.kind: missing field`, `m.yaml:1:10: endpoints.a.interface: unknown field "interface"`}},
		{"second document", "endpoints:\n  a: {kind: can, interface: vcan0}\nroutes: []\n---\nendpoints: {}\n",
			[]string{`m.yaml:4:1: a second YAML document starts here`}},
		{"empty second document", "endpoints: {}\nroutes: []\n---\n",
			[]string{`m.yaml:3:1: a second YAML document starts here`}},
		{"broken second document", "endpoints: {}\nroutes: []\n---\na: [\n",
			[]string{`YAML syntax: line 4`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse("m.yaml", []byte(tc.yaml))
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

// TestDocumentMarkers: a leading --- and a closing ... are one document.
func TestDocumentMarkers(t *testing.T) {
	if _, err := config.Parse("d.yaml", []byte("---\nendpoints:\n  a: {kind: can, interface: vcan0}\nroutes: []\n...\n")); err != nil {
		t.Fatal(err)
	}
}

// TestExtensionKeys: top-level keys starting with x- are ignored (they
// hold anchors); other unknown top-level keys are errors.
func TestExtensionKeys(t *testing.T) {
	_, err := config.Parse("x.yaml", []byte("x-anything: {a: [1, 2]}\nextra: 1\nendpoints: {}\nroutes: []\n"))
	var es config.Errors
	if !errors.As(err, &es) || len(es) != 1 || !strings.Contains(es[0].Error(), `x.yaml:2:1: extra: unknown field "extra"`) {
		t.Fatalf("got %v", err)
	}
}

// TestParseContextStops: a context that has ended stops parsing with an
// error that wraps its cause, and no configuration.
func TestParseContextStops(t *testing.T) {
	cause := errors.New("terminated signal received")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(cause)
	c, err := config.ParseContext(ctx, "big.yaml", bigConfig(400))
	if c != nil || !errors.Is(err, cause) || !strings.Contains(err.Error(), "config big.yaml: loading interrupted: terminated signal received") {
		t.Fatalf("got %v, %v", c, err)
	}
	var es config.Errors
	if errors.As(err, &es) {
		t.Fatalf("an interrupted load returned config.Errors: %v", err)
	}
}
