package j1939_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoints/j1939"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/logfile"
)

func TestDecode(t *testing.T) {
	c, err := config.Parse("t.yaml", []byte(`endpoints:
  j:
    kind: j1939
    interface: vcan0
    address: 0x80
    name: 0x1234567890ABCDEF
    pgns: [0xFECA, 61444]
    promiscuous: true
  rx: {kind: j1939, interface: vcan1}
  rec: {kind: log, path: /tmp/x.log}
routes:
  - {from: [j, rx], to: [rec]}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := c.Endpoint("j").Settings.(*j1939.Config)
	want := &j1939.Config{Interface: "vcan0", Name: 0x1234567890ABCDEF, Addr: 0x80, PGNs: []uint32{0xFECA, 61444}, Promisc: true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("j = %+v, want %+v", got, want)
	}
	tr := got.Traits()
	if tr.Carries != config.CarriesPDUs || tr.Trust != config.TrustBus || tr.Interface != "vcan0" || !tr.Reads() || !tr.Writes() {
		t.Errorf("j traits = %+v", tr)
	}
	if _, ok := any(got).(config.Binder); ok {
		t.Error("a j1939 endpoint binds nothing exclusively")
	}

	rx := c.Endpoint("rx").Settings.(*j1939.Config)
	if want := (&j1939.Config{Interface: "vcan1", Addr: 0xFF}); !reflect.DeepEqual(rx, want) {
		t.Errorf("rx = %+v, want %+v", rx, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	const tail = "  rec: {kind: log, path: /tmp/x.log}\nroutes:\n  - {from: [j], to: [rec]}\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"pgn range", "endpoints:\n  j: {kind: j1939, interface: vcan0, pgns: [0xFECA, 0x40000]}\n" + tail,
			"t.yaml:2:53: endpoints.j.pgns: value 0x40000 out of range (hint: allowed range is 0..0x3ffff)"},
		{"bad interface", "endpoints:\n  j: {kind: j1939, interface: \"can 0\"}\n" + tail,
			"t.yaml:2:31: endpoints.j.interface: invalid interface name \"can 0\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse("t.yaml", []byte(tc.yaml))
			es, ok := err.(config.Errors)
			if !ok || len(es) == 0 {
				t.Fatalf("err = %v, want config.Errors", err)
			}
			if got := es[0].Error(); !strings.HasPrefix(got, tc.want) {
				t.Errorf("error = %q, want prefix %q", got, tc.want)
			}
		})
	}
}
