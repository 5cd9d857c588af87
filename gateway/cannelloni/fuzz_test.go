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
	f.Add(AppendStreamPDU([]byte{0, 0, 1, 0x23, 1, 0xAA}, &PDU{Kind: 5, Data: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x88, 0xb5}}))
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
		// With PDU records: every record re-encodes to the bytes it came from.
		var sp StreamDecoder
		sp.Write(b)
		off := 0
		for {
			var fr Frame
			var p PDU
			pdu, ok, err := sp.NextRecord(&fr, &p, 4096)
			if err != nil || !ok {
				break
			}
			var enc []byte
			if pdu {
				enc = AppendStreamPDU(nil, &p)
			} else {
				enc = AppendFrame(nil, &fr)
			}
			if off+len(enc) > len(b) || !bytes.Equal(enc, b[off:off+len(enc)]) {
				t.Fatalf("stream record re-encode mismatch at %d: %x", off, enc)
			}
			off += len(enc)
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
