package packet

import (
	"bytes"
	"io"
	"testing"

	"golang.org/x/net/bpf"
)

// FuzzReader feeds arbitrary bytes to the pcap/pcapng reader: it must
// return errors, never panic or allocate without bound, and every record
// must be self-consistent. Seeds: testdata/fuzz/FuzzReader (files written
// by us, by dumpcap and by tcpdump).
func FuzzReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		for range 10000 {
			rec, err := r.ReadPacket()
			if err != nil {
				if err != io.EOF && err.Error() == "" {
					t.Fatal("empty error")
				}
				return
			}
			if len(rec.Data) > rec.Length || len(rec.Data) > len(data) {
				t.Fatalf("record of %d bytes, length %d, from %d input bytes", len(rec.Data), rec.Length, len(data))
			}
			if rec.Interface < 0 || rec.Interface >= len(r.ifaces) {
				t.Fatalf("record on interface %d of %d", rec.Interface, len(r.ifaces))
			}
		}
	})
}

// FuzzCompileFilter compiles arbitrary expressions: a program that
// compiles must be valid classic BPF (the x/net/bpf VM and assembler
// accept it, jumps stay in bounds) in both modes and run on the corpus.
// Seeds: testdata/fuzz/FuzzCompileFilter (the table expressions).
func FuzzCompileFilter(f *testing.F) {
	frames := filterCorpus()
	f.Fuzz(func(t *testing.T, expr string) {
		for _, kernel := range []bool{false, true} {
			prog, err := CompileFilter(expr, &FilterOptions{LinkType: LinkTypeEthernet, Kernel: kernel})
			if err != nil {
				continue
			}
			if _, err := bpf.Assemble(prog); err != nil {
				t.Fatalf("%q: assemble: %v", expr, err)
			}
			if kernel {
				continue // the x/net/bpf VM has no ancillary loads
			}
			vm, err := bpf.NewVM(prog)
			if err != nil {
				t.Fatalf("%q: VM rejects program: %v", expr, err)
			}
			for _, fr := range frames {
				if _, err := vm.Run(fr); err != nil {
					t.Fatalf("%q: run: %v", expr, err)
				}
			}
		}
	})
}
