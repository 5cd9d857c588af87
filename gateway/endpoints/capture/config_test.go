package capture

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/logfile"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/packet"
)

// TestDecode decodes capture endpoints with every field and with the
// defaults, fed by a log replay (CAN) and a packet endpoint (Ethernet).
func TestDecode(t *testing.T) {
	c, err := config.Parse("c.yaml", []byte(`
endpoints:
  in: {kind: log, mode: read, path: /tmp/in.log}
  lan: {kind: packet, interface: veth0}
  a: {kind: capture, path: /tmp/a.pcapng, rotate: {size: 100MiB, interval: 1h, keep: 24}}
  b: {kind: capture, path: /tmp/b.pcapng}
routes:
  - {from: [in], to: [a]}
  - {from: [lan], to: [a, b]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings %v", c.Warnings)
	}
	a, b := c.Endpoint("a"), c.Endpoint("b")
	if s := *a.Settings.(*Config); s != (Config{Path: "/tmp/a.pcapng", RotateSize: 100 << 20, RotateInterval: time.Hour, RotateKeep: 24}) {
		t.Errorf("a = %+v", s)
	}
	if s := *b.Settings.(*Config); s != (Config{Path: "/tmp/b.pcapng"}) {
		t.Errorf("b = %+v", s)
	}
	want := config.Traits{Carries: config.CarriesCAN | config.CarriesCANFD | config.CarriesPDUs | config.CarriesEthernet, Direction: config.WriteOnly, Trust: config.TrustLocal}
	if tr := a.Traits(); tr != want {
		t.Errorf("traits %+v, want %+v", tr, want)
	}
	if a.CanRead() || !a.CanWrite() || a.Interface() != "" {
		t.Errorf("read %v write %v interface %q", a.CanRead(), a.CanWrite(), a.Interface())
	}
	if bs := a.Settings.(config.Binder).Binds(); len(bs) != 1 || bs[0] != (config.Bind{Space: "file", Addr: "/tmp/a.pcapng"}) {
		t.Errorf("binds %v", bs)
	}
}

// TestErrors checks each capture misconfiguration is an error at its
// position.
func TestErrors(t *testing.T) {
	const in = "endpoints:\n  in: {kind: log, mode: read, path: /tmp/in.log}\n"
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"missing path", in + "  cap: {kind: capture}\nroutes: [{from: [in], to: [cap]}]\n",
			[]string{`c.yaml:3:3: endpoints.cap.path: missing field (hint: a pcapng file path, e.g. /var/log/fieldgate/can.pcapng)`}},
		{"rotate", in + "  cap: {kind: capture, path: /tmp/c, rotate: {size: lots, interval: -1s, keep: 100001, files: 2}}\nroutes: [{from: [in], to: [cap]}]\n",
			[]string{`endpoints.cap.rotate.size: `, `endpoints.cap.rotate.interval: `, `endpoints.cap.rotate.keep: `, `endpoints.cap.rotate.files: unknown field`}},
		{"unknown field", in + "  cap: {kind: capture, path: /tmp/c, mode: read}\nroutes: [{from: [in], to: [cap]}]\n",
			[]string{`c.yaml:3:38: endpoints.cap.mode: unknown field`}},
		{"source", in + "  cap: {kind: capture, path: /tmp/c}\n  log: {kind: log, path: /tmp/out.log}\nroutes: [{from: [cap], to: [log]}]\n",
			[]string{`routes.route0.from: route is unreachable: endpoint "cap" (capture) never produces frames`}},
		{"same file", in + "  a: {kind: capture, path: /tmp/c}\n  b: {kind: log, path: /tmp/c}\nroutes: [{from: [in], to: [a, b]}]\n",
			[]string{`c.yaml:4:3: endpoints.b: binds file /tmp/c, which a (c.yaml:3:3) already binds`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse("c.yaml", []byte(tc.yaml))
			var es config.Errors
			if !errors.As(err, &es) {
				t.Fatalf("got %v, want Errors", err)
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

// TestQueueDefaults: a capture's queue is QueueSize frames unless the file
// says otherwise; the overflow policy keeps the general default, and a
// queue given in the file wins field by field.
func TestQueueDefaults(t *testing.T) {
	c, err := config.Parse("c.yaml", []byte(`
endpoints:
  in: {kind: log, mode: read, path: /tmp/in.log}
  a: {kind: capture, path: /tmp/a.pcapng}
  b: {kind: capture, path: /tmp/b.pcapng, queue: {size: 100}}
  c: {kind: capture, path: /tmp/c.pcapng, queue: {overflow: drop-newest}}
routes:
  - {from: [in], to: [a, b, c]}
`))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]config.Queue{
		"a": {Size: QueueSize, Overflow: config.DropOldest},
		"b": {Size: 100, Overflow: config.DropOldest},
		"c": {Size: QueueSize, Overflow: config.DropNewest},
	} {
		if got := c.Endpoint(name).Queue; got != want {
			t.Errorf("%s: queue %+v, want %+v", name, got, want)
		}
	}
	if QueueSize <= config.DefaultQueueSize {
		t.Errorf("QueueSize %d is not larger than the general default %d", QueueSize, config.DefaultQueueSize)
	}
}
