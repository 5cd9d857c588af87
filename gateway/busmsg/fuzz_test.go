package busmsg

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/frame"
)

// FuzzParseBinary: no input panics; an accepted message re-encodes to the
// same bytes, and every frame in it passes the frame rule.
func FuzzParseBinary(f *testing.F) {
	fs := sample()
	b := BeginBinary(nil, 3, fs[0].Time)
	for i := range fs {
		b, _ = AppendBinary(b, &fs[i])
	}
	f.Add(b)
	f.Add(b[:BinaryHeaderLen+RecordHeaderLen])
	f.Add([]byte{1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 7, 0xFF, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := ParseBinary(in)
		if err != nil {
			return
		}
		out := BeginBinary(nil, m.Seq, m.Time)
		var fr frame.Frame
		var all []frame.Frame
		n := 0
		for m.Next(&fr) {
			all = append(all, fr)
			if err := checkFrame(fr.Type, fr.Flags, fr.Addr, fr.ID, int(fr.Len)); err != nil {
				t.Fatalf("accepted frame fails the rule: %v", err)
			}
			var ok bool
			if out, ok = AppendBinary(out, &fr); !ok {
				t.Fatalf("frame %d not re-encoded", n)
			}
			n++
		}
		if n != m.N || !bytes.Equal(out, in) {
			t.Fatalf("re-encoded %x\nfrom %x", out, in)
		}
		// The batch encoder, in two calls (the second continues the
		// message), gives the same bytes when the frames share a type.
		for i := range all {
			if all[i].Type != all[0].Type {
				return
			}
		}
		k := len(all) / 2
		b := BeginBinary(nil, m.Seq, m.Time)
		b, n1, _ := AppendBinaryBatch(b, all[:k], 1<<30)
		b, n2, _ := AppendBinaryBatch(b, all[k:], 1<<30)
		if n1 != k || n2 != len(all)-k || !bytes.Equal(b, in) {
			t.Fatalf("batch re-encoded (%d+%d frames) %x\nfrom %x", n1, n2, b, in)
		}
	})
}

// FuzzParseJSON: no input panics; what is accepted is JSON, passes the
// frame rule, and its re-encoding parses back to the same frame.
func FuzzParseJSON(f *testing.F) {
	for i, fr := range sample() {
		f.Add(AppendJSON(nil, &fr, uint64(i)))
	}
	f.Add([]byte(`{"kind":"can","id":"123","rtr":true,"len":8}`))
	f.Add([]byte(` {"kind" : "j1939","id":"feca","src":1,"dst":2,"data":"00"} `))
	f.Add([]byte(`{"kind":"can","id":"1","data":"0","x":[1]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var fr frame.Frame
		info, err := ParseJSON(in, &fr)
		if err != nil {
			return
		}
		if !json.Valid(in) {
			t.Fatalf("accepted invalid JSON %q", in)
		}
		if err := checkFrame(fr.Type, fr.Flags, fr.Addr, fr.ID, int(fr.Len)); err != nil {
			t.Fatalf("accepted frame fails the rule: %v", err)
		}
		out := AppendJSON(nil, &fr, info.Seq)
		var g frame.Frame
		if _, err := ParseJSON(out, &g); err != nil || !sameFrame(&g, &fr) {
			t.Fatalf("%s → %s: %v", in, out, err)
		}
	})
}
