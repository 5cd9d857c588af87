package cli

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/can"
)

const dumpDBC = `VERSION ""

BO_ 291 Engine: 8 ECU
 SG_ Speed : 0|16@1+ (0.1,0) [0|6553.5] "km/h" Vector__XXX
`

func TestDumpHumanFormat(t *testing.T) {
	d, err := can.ParseDBC("t.dbc", []byte(dumpDBC))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	o := &dumpOut{w: bufio.NewWriter(&buf), names: map[int]string{1: "vcan0"}, buf: make([]byte, 0, 256), dbc: d, tsMode: "a", extra: true}
	frames := []string{"123#E803", "12345678#R", "7FF##5" + strings.Repeat("AA", 12), "20000040#0000000000000000"}
	var msgs []can.RecvMsg
	for _, s := range frames {
		f, err := can.ParseFrame(s)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, can.RecvMsg{Frame: f, FD: f.IsFD(), Ifindex: 1, Time: time.Unix(1700000000, 123456000), Own: s == "123#E803"})
	}
	if _, err := o.write(msgs); err != nil {
		t.Fatal(err)
	}
	want := `(1700000000.123456)   vcan0  123   [2]  E8 03  TX
        Engine: Speed=100 km/h
(1700000000.123456)   vcan0  12345678   [0]  remote request  RX
(1700000000.123456)   vcan0  7FF  [12]  AA AA AA AA AA AA AA AA AA AA AA AA  RX
(1700000000.123456)   vcan0  20000040   [8]  00 00 00 00 00 00 00 00  RX  ERRORFRAME can error: bus-off (state bus-off)
`
	if buf.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
	// Log mode to a file and the -n limit.
	dir := t.TempDir()
	f, _ := os.Create(filepath.Join(dir, "x.log"))
	o2 := &dumpOut{log: can.NewLogWriter(f, false), names: map[int]string{1: "vcan0"}, limit: 2, buf: make([]byte, 0, 256)}
	done, err := o2.write(msgs)
	f.Close()
	if err != nil || !done {
		t.Fatalf("limit: %v %v", done, err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "x.log"))
	if string(b) != "(1700000000.123456) vcan0 123#E803\n(1700000000.123456) vcan0 12345678#R\n" {
		t.Fatalf("log: %q", b)
	}
}
