//go:build !hil

package packet

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteFuzzSeeds regenerates testdata/fuzz seeds when run with
// FIELDGATE_WRITE_SEEDS=1: go test -run TestWriteFuzzSeeds ./packet
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("FIELDGATE_WRITE_SEEDS") == "" {
		t.Log("set FIELDGATE_WRITE_SEEDS=1 to rewrite testdata/fuzz")
		return
	}
	write := func(fuzzer, name, val string) {
		dir := filepath.Join("testdata", "fuzz", fuzzer)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		body := fmt.Sprintf("go test fuzz v1\n%s(%q)\n", map[string]string{"FuzzReader": "[]byte", "FuzzCompileFilter": "string"}[fuzzer], val)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, e := range filterTable {
		write("FuzzCompileFilter", fmt.Sprintf("table%03d", i), e)
	}
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, nil)
	writeMixed(t, w)
	w.Close()
	write("FuzzReader", "ours-mixed", buf.String())
	path := filepath.Join(t.TempDir(), "c.pcap")
	writeCorpusPcap(t, path)
	b, _ := os.ReadFile(path)
	write("FuzzReader", "pcap-corpus", string(b[:600]))
	for _, f := range []string{"testdata/dumpcap.pcapng", "testdata/tcpdump.pcap"} {
		if b, err := os.ReadFile(f); err == nil {
			write("FuzzReader", filepath.Base(f), string(b[:min(len(b), 2000)]))
		}
	}
}
