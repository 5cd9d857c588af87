package packet

import (
	"io"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkWritePacket measures the pcapng writer alone: one 64-byte
// Ethernet frame per op, to io.Discard and to a file.
func BenchmarkWritePacket(b *testing.B) {
	frame := testFrame(1, 64)
	ts := time.Unix(1763780000, 0)
	for _, dst := range []string{"discard", "file"} {
		b.Run(dst, func(b *testing.B) {
			var w *Writer
			var err error
			if dst == "discard" {
				w, err = NewWriter(io.Discard, nil)
			} else {
				w, err = CreateFile(filepath.Join(b.TempDir(), "w.pcapng"), nil)
			}
			if err != nil {
				b.Fatal(err)
			}
			id, _ := w.AddInterface(Interface{Name: "x", LinkType: LinkTypeEthernet})
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if err := w.WritePacket(id, CaptureInfo{Timestamp: ts.Add(time.Duration(i)), Direction: DirectionInbound}, frame); err != nil {
					b.Fatal(err)
				}
			}
			w.Close()
		})
	}
}
