package can_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoints/can"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/logfile"
)

func TestDecode(t *testing.T) {
	c, err := config.Parse("t.yaml", []byte(`endpoints:
  bus:
    kind: can
    interface: vcan0
    fd: true
    filters: ["123:7FF", {id: 0x200, mask: 0x700, inverted: true}]
    error_mask: 0x1FFFFFFF
    confirm: true
  plain: {kind: can, interface: vcan1}
  rec: {kind: log, path: /tmp/x.log}
routes:
  - {from: [bus, plain], to: [rec]}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := c.Endpoint("bus").Settings.(*can.Config)
	for i := range got.Filters {
		got.Filters[i].Pos = config.Pos{}
	}
	want := &can.Config{
		Interface: "vcan0",
		FD:        true,
		Filters:   []config.Filter{{ID: 0x123, Mask: 0x7FF}, {ID: 0x200, Mask: 0x700, Inverted: true}},
		ErrorMask: 0x1FFFFFFF,
		Confirm:   true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bus = %+v, want %+v", got, want)
	}
	tr := got.Traits()
	if tr.Carries != config.CarriesCAN|config.CarriesCANFD || tr.Trust != config.TrustBus || tr.Interface != "vcan0" || !tr.Reads() || !tr.Writes() {
		t.Errorf("bus traits = %+v", tr)
	}
	if iface, fd, filtered := got.RawCAN(); iface != "vcan0" || !fd || !filtered {
		t.Errorf("bus RawCAN = %s %v %v", iface, fd, filtered)
	}

	plain := c.Endpoint("plain").Settings.(*can.Config)
	if want := (&can.Config{Interface: "vcan1"}); !reflect.DeepEqual(plain, want) {
		t.Errorf("plain = %+v, want %+v", plain, want)
	}
	if tr := plain.Traits(); tr.Carries != config.CarriesCAN {
		t.Errorf("plain carries %v, want CAN only", tr.Carries)
	}
	if iface, fd, filtered := plain.RawCAN(); iface != "vcan1" || fd || filtered {
		t.Errorf("plain RawCAN = %s %v %v", iface, fd, filtered)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"missing interface", "endpoints:\n  bus: {kind: can}\n  rec: {kind: log, path: /tmp/x.log}\nroutes:\n  - {from: [bus], to: [rec]}\n",
			"t.yaml:2:3: endpoints.bus.interface: missing field (hint: the CAN interface name, e.g. can0 or vcan0)"},
		{"error mask range", "endpoints:\n  bus: {kind: can, interface: vcan0, error_mask: 0x20000000}\n  rec: {kind: log, path: /tmp/x.log}\nroutes:\n  - {from: [bus], to: [rec]}\n",
			"t.yaml:2:50: endpoints.bus.error_mask"},
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
