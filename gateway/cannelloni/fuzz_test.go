package cannelloni

import (
	"bytes"
	"testing"
)

// FuzzCannelloni decodes arbitrary datagrams and stream bytes; every frame
// that decodes must re-encode to the same bytes.
func FuzzCannelloni(f *testing.F) {
	f.Add([]byte{2, 0, 0, 0, 1, 0, 0, 1, 0x23, 2, 0xde, 0xad})
	f.Add([]byte{2, 0, 0, 0, 1, 0x80, 0, 0, 1, 0x8c, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	f.Add([]byte{2, 0, 0, 0, 1, 0x40, 0, 1, 0, 4})
	f.Add(AppendPDU(nil, 3, &PDU{Kind: 3, ID: 0x7E8, Data: []byte{1, 2, 3}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Datagram
		if d.Reset(b) == nil {
			var fr Frame
			off := HeaderLen
			for d.Next(&fr) {
				enc := AppendFrame(nil, &fr)
				if !bytes.Equal(enc, b[off:off+len(enc)]) {
					t.Fatalf("re-encode mismatch at %d: %x vs %x", off, enc, b[off:off+len(enc)])
				}
				off += len(enc)
			}
		}
		if _, p, err := DecodePDU(b, 4096); err == nil {
			again := AppendPDU(nil, b[2], &p)
			if !bytes.Equal(again, b) {
				t.Fatalf("PDU re-encode mismatch")
			}
		}
		var s StreamDecoder
		s.Write(b)
		var fr Frame
		for {
			ok, err := s.Next(&fr)
			if err != nil || !ok {
				break
			}
			if fr.Len > 64 {
				t.Fatalf("len %d", fr.Len)
			}
		}
	})
}
