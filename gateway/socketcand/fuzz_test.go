package socketcand

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzSocketcand feeds arbitrary bytes through the scanner and the command
// parsers: no panic, every accepted send, isotpconf, sendpdu and muxfilter
// is within the protocol's ranges, and accepted PDUs round-trip through
// AppendPDU. Seeds: the literals below and testdata/fuzz/FuzzSocketcand.
func FuzzSocketcand(f *testing.F) {
	for _, s := range []string{"< open vcan0 >", "< rawmode >< send 123 2 de ad >", "< send 80001234 8 1 2 3 4 5 6 7 8 >",
		"< add 1 0 123 2 1 2 >", "< subscribe 0 0 123 >", "< statistics 1000 >", "<<<>>>", "< send 123 9 >",
		"< isotpconf 7E0 7E8 0 0 0 >< sendpdu 0102 >", "< sendrtr 1AAAAAAA 2 >< fdsend 123 1 12 0 1 2 3 4 5 6 7 8 9 a b >", "< muxfilter 0 0 123 2 FF 00 00 00 00 00 00 00 33 FF FF FF FF FF FF FF >"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Scanner
		s.Write(b)
		var c Command
		var data [8]byte
		pdu := make([]byte, MaxPDU)
		var frames [][8]byte
		for range 1000 {
			m, ok, err := s.Next()
			if err != nil || !ok {
				return
			}
			if c.Parse(m) != nil {
				continue
			}
			switch c.Verb {
			case "send":
				id, n, err := ParseSend(c.Args, data[:])
				if err == nil && (n > 8 || (id&0x80000000 == 0 && id > 0x7FF)) {
					t.Fatalf("bad frame %x %d", id, n)
				}
			case "add", "subscribe", "filter":
				for _, a := range c.Args {
					ParseUint(a)
					ParseID(a)
				}
			case "sendrtr":
				if id, dlc, err := ParseSendRTR(c.Args); err == nil && (dlc > 8 || id&0x80000000 == 0 && id > 0x7FF) {
					t.Fatalf("bad sendrtr %x %d", id, dlc)
				}
			case "fdsend":
				var fd [64]byte
				if _, fl, n, err := ParseFDSend(c.Args, fd[:]); err == nil && (n > 64 || !validFDLen(n) || fl > 3) {
					t.Fatalf("bad fdsend len %d flags %x", n, fl)
				}
			case "isotpconf":
				ic, err := ParseISOTPConf(c.Args)
				if err != nil {
					continue
				}
				for _, id := range []uint32{ic.TxID, ic.RxID} {
					if id&0x80000000 == 0 && id > 0x7FF || id&0x7FFFFFFF > 0x1FFFFFFF {
						t.Fatalf("bad isotp id %x", id)
					}
				}
				if ic.TxID == ic.RxID || ic.BlockSize > 15 || ic.Flags&^ISOTPKnownFlags != 0 || ic.Items < 5 || ic.Items > 10 {
					t.Fatalf("bad isotpconf accepted: %+v", ic)
				}
			case "sendpdu":
				n, err := ParseSendPDU(c.Args, pdu)
				if err != nil {
					continue
				}
				out := AppendPDU(nil, 1, 2, pdu[:n])
				want := "< pdu 1.000002 " + strings.ToUpper(string(c.Args[0])) + " >"
				if !bytes.Equal(out, []byte(want)) {
					t.Fatalf("pdu round trip: %q != %q", out, want)
				}
			case "muxfilter":
				mf, err := ParseMuxFilter(c.Args, frames)
				if err != nil {
					continue
				}
				frames = mf.Frames
				if len(mf.Frames) < 2 || len(mf.Frames) > MaxMuxFrames || mf.Usec > 999999 {
					t.Fatalf("bad muxfilter accepted: %d frames, usec %d", len(mf.Frames), mf.Usec)
				}
			}
		}
	})
}
