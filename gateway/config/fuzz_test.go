package config_test

import (
	"github.com/fieldgate/fieldgate/gateway/config"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/all"

	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzConfig parses arbitrary files: no panic, every error carries a
// position in the file (a line the file has, or its end) and a message, and no more
// errors are kept than the limit. Seeds: the example configurations, and
// testdata/fuzz/FuzzConfig (merge keys, aliases, extra documents).
func FuzzConfig(f *testing.F) {
	files, _ := filepath.Glob("../../configs/*.yaml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("endpoints: {a: {kind: udp, listen: \"0.0.0.0:1\", auth: {key_file: x}}}\nroutes: [{from: [a], to: [a], transform: {crc8: {from: -1, to: 3, result: 9}}}]\n"))
	f.Add([]byte("endpoints:\n  p: {kind: packet, interface: veth0, filter: \"ether proto 0x88b5 and (vlan 5 or ip[2:2] > 100)\", ring: {block_size: 64KiB}}\n  u: {kind: udp, listen: \"127.0.0.1:1\"}\nroutes: [{from: [u], to: [p], allow: [any, 0x0800, \"123:7FF\"]}, {from: [p], to: [u], filters: [\"1:2\"]}]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := config.Parse("f.yaml", b)
		es, ok := err.(config.Errors)
		if !ok {
			return
		}
		if len(es) > 1001 {
			t.Fatalf("%d errors kept", len(es))
		}
		// YAML breaks lines at \n, \r, NEL, LS and PS: at most this many,
		// and the end of the file (an empty document, a missing value)
		// may be one line further.
		lines := 2
		for _, br := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
			lines += bytes.Count(b, []byte(br))
		}
		for _, e := range es {
			if e.Pos.File != "f.yaml" || e.Msg == "" {
				t.Fatalf("error without position or message: %#v", e)
			}
			if e.Pos.Line < 0 || e.Pos.Line > lines {
				t.Fatalf("error at line %d of a %d-line file: %v", e.Pos.Line, lines, e)
			}
		}
	})
}
