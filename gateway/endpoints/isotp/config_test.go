package isotp_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoints/isotp"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/logfile"
)

func u8(v uint8) *uint8 { return &v }

func TestDecode(t *testing.T) {
	c, err := config.Parse("t.yaml", []byte(`endpoints:
  tp:
    kind: isotp
    interface: vcan0
    tx_id: 0x7E0
    rx_id: 0x7E8
    fd: true
    options: {padding: 0xCC, ext_addr: 0xF1, block_size: 8, stmin: 0x14}
  plain: {kind: isotp, interface: vcan0, tx_id: 0x80000100, rx_id: 0x80000200}
  rec: {kind: log, path: /tmp/x.log}
routes:
  - {from: [tp, plain], to: [rec]}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := c.Endpoint("tp").Settings.(*isotp.Config)
	want := &isotp.Config{
		Interface: "vcan0", TxID: 0x7E0, RxID: 0x7E8, FD: true,
		Options: isotp.Options{Padding: u8(0xCC), ExtAddr: u8(0xF1), BlockSize: 8, STmin: 0x14},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tp = %+v, want %+v", got, want)
	}
	tr := got.Traits()
	if tr.Carries != config.CarriesPDUs || tr.Trust != config.TrustBus || tr.Interface != "vcan0" || !tr.Reads() || !tr.Writes() {
		t.Errorf("tp traits = %+v", tr)
	}
	if b := got.Binds(); !reflect.DeepEqual(b, []config.Bind{{Space: "isotp", Addr: "vcan0 7e8"}}) {
		t.Errorf("tp binds %v", b)
	}

	plain := c.Endpoint("plain").Settings.(*isotp.Config)
	if want := (&isotp.Config{Interface: "vcan0", TxID: 0x80000100, RxID: 0x80000200}); !reflect.DeepEqual(plain, want) {
		t.Errorf("plain = %+v, want %+v", plain, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	const tail = "  rec: {kind: log, path: /tmp/x.log}\nroutes:\n  - {from: [tp], to: [rec]}\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"missing rx_id", "endpoints:\n  tp: {kind: isotp, interface: vcan0, tx_id: 0x7E0}\n" + tail,
			"t.yaml:2:3: endpoints.tp: missing tx_id/rx_id (hint: an isotp endpoint needs tx_id and rx_id)"},
		{"equal ids", "endpoints:\n  tp: {kind: isotp, interface: vcan0, tx_id: 0x7E0, rx_id: 0x7E0}\n" + tail,
			"t.yaml:2:60: endpoints.tp.rx_id: rx_id equals tx_id (hint: use different IDs for the two directions)"},
		{"padding range", "endpoints:\n  tp: {kind: isotp, interface: vcan0, tx_id: 0x7E0, rx_id: 0x7E8, options: {padding: 300}}\n" + tail,
			"t.yaml:2:86: endpoints.tp.options.padding: value 300 out of range"},
		{"same rx channel", "endpoints:\n  tp: {kind: isotp, interface: vcan0, tx_id: 0x7E0, rx_id: 0x7E8}\n  tp2: {kind: isotp, interface: vcan0, tx_id: 0x7E1, rx_id: 0x7E8}\n" + strings.Replace(tail, "[tp]", "[tp, tp2]", 1),
			"t.yaml:3:3: endpoints.tp2: binds isotp vcan0 7e8, which tp (t.yaml:2:3) already binds"},
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
