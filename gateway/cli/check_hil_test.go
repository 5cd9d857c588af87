//go:build hil

package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHILCheckInterfaces: on a host with CAN interfaces, check accepts the
// endpoints on them without a word and warns (only) about the one that is
// missing.
func TestHILCheckInterfaces(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gw.yaml")
	os.WriteFile(file, []byte(`admin: {listen: ""}
endpoints:
  a: {kind: can, interface: vcan0}
  b: {kind: isotp, interface: vcan1, tx_id: 0x7E0, rx_id: 0x7E8}
  c: {kind: j1939, interface: can0}
  d: {kind: socketcand, listen: "127.0.0.1:0", bus: vcan0, interface: vcan1}
  e: {kind: can, interface: nosuch9}
routes:
  - {from: [a, b, c], to: [e]}
  - {from: [e], to: [d]}
`), 0o644)
	var out, errb bytes.Buffer
	if err := Check(context.Background(), []string{"-c", file}, &out, &errb); err != nil {
		t.Fatalf("check: %v\n%s", err, errb.String())
	}
	w := lines(errb.String(), "warning: ")
	want := file + `:7:29: endpoints.e.interface: interface "nosuch9" is not present on this host`
	if len(w) != 1 || !strings.HasPrefix(w[0], "warning: "+want) {
		t.Fatalf("warnings:\n%s\nwant only %s", errb.String(), want)
	}
	if !strings.Contains(out.String(), "ok (5 endpoints, 2 routes, 1 warning)") {
		t.Fatalf("output %q", out.String())
	}
}
