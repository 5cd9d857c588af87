package bluetooth

import (
	"bytes"
	"testing"
)

// FuzzParseEvent feeds arbitrary bytes to the event parser and the
// decoders built on it: none may panic, and an accepted event must encode
// back to exactly the bytes it came from.
func FuzzParseEvent(f *testing.F) {
	f.Add([]byte{0x0e, 0x0a, 0x01, 0x09, 0x10, 0x00, 0x00, 0x00, 0x00, 0x01, 0xaa, 0x00})
	f.Add([]byte{0x0f, 0x04, 0x01, 0x01, 0xff, 0x13})
	f.Add([]byte{0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00})
	f.Add([]byte{0x3e, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEvent(b)
		if err != nil {
			return
		}
		out, err := e.MarshalBinary()
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("% x -> %+v -> % x, %v", b, e, out, err)
		}
		if cc, err := e.CommandComplete(); err == nil {
			if e.Code != EvtCommandComplete || len(cc.Return) != len(e.Params)-3 {
				t.Fatalf("Command Complete %+v from %+v", cc, e)
			}
			parseLocalVersion(cc.Return)
			parseBDAddr(cc.Return)
		}
		if cs, err := e.CommandStatus(); err == nil && e.Code != EvtCommandStatus {
			t.Fatalf("Command Status %+v from %+v", cs, e)
		}
		_ = (&StatusError{Status: e.Code}).Error()
	})
}

// FuzzParseMonitor does the same for monitor channel packets and the
// payload decoders.
func FuzzParseMonitor(f *testing.F) {
	f.Add([]byte{0x00, 0x00, 0x01, 0x00, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x01, 0xaa, 0x00, 'h', 'c', 'i', '1', 0, 0, 0, 0})
	f.Add([]byte{0x03, 0x00, 0x00, 0x00, 0x06, 0x00, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00})
	f.Add([]byte{0x02, 0x00, 0x00, 0x00, 0x03, 0x00, 0x03, 0x0c, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseMonitor(b)
		if err != nil {
			return
		}
		out, err := p.AppendBinary(nil)
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("% x -> %+v -> % x, %v", b, p, out, err)
		}
		p.Event()
		p.NewIndex()
		p.IndexInfo()
		if c, err := p.Command(); err == nil {
			back, _ := c.AppendBinary(nil)
			if !bytes.Equal(back, p.Data) {
				t.Fatalf("command % x -> %+v -> % x", p.Data, c, back)
			}
		}
		_ = p.Opcode.String()
	})
}
