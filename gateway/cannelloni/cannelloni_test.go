package cannelloni

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
)

func TestDatagramKnownBytes(t *testing.T) {
	var b []byte
	b = AppendHeader(b, 7, 3)
	f1 := Frame{ID: 0x123, Len: 2, Data: [64]byte{0xDE, 0xAD}}
	f2 := Frame{ID: 0x80012345, FD: true, Flags: 1, Len: 12}
	for i := range 12 {
		f2.Data[i] = byte(i)
	}
	f3 := Frame{ID: 0x40000100, Len: 4} // RTR: no data bytes
	b = AppendFrame(b, &f1)
	b = AppendFrame(b, &f2)
	b = AppendFrame(b, &f3)
	want := "0200070003" + "0000012302dead" + "800123458c01000102030405060708090a0b" + "4000010004"
	if got := hex.EncodeToString(b); got != want {
		t.Fatalf("encoding:\n got %s\nwant %s", got, want)
	}
	for _, f := range []*Frame{&f1, &f2, &f3} {
		if EncodedLen(f) != len(AppendFrame(nil, f)) {
			t.Fatalf("EncodedLen(%+v) wrong", f)
		}
	}
	var d Datagram
	if err := d.Reset(b); err != nil {
		t.Fatal(err)
	}
	if d.Header.Seq != 7 || d.Header.Count != 3 {
		t.Fatalf("header %+v", d.Header)
	}
	var got []Frame
	for {
		var f Frame
		if !d.Next(&f) {
			break
		}
		got = append(got, f)
	}
	if d.Err() != nil || len(got) != 3 {
		t.Fatalf("decoded %d frames, err %v", len(got), d.Err())
	}
	if got[0] != f1 || got[1] != f2 || got[2] != f3 {
		t.Fatalf("round trip mismatch: %+v", got)
	}
}

func TestDatagramRejects(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want error
	}{
		{"01000000", ErrShort},
		{"0100000001", ErrVersion},
		{"0201000001", ErrOpcode},
	} {
		b, _ := hex.DecodeString(tc.in)
		var d Datagram
		if err := d.Reset(b); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v want %v", tc.in, err, tc.want)
		}
	}
	b, _ := hex.DecodeString("0200000001" + "0000012309")
	var d Datagram
	var f Frame
	if d.Reset(b) != nil || d.Next(&f) || !errors.Is(d.Err(), ErrLength) {
		t.Fatalf("len 9 classic accepted: %v", d.Err())
	}
	b, _ = hex.DecodeString("0200000002" + "0000012301aa")
	d.Reset(b)
	n := 0
	for d.Next(&f) {
		n++
	}
	if n != 1 || !errors.Is(d.Err(), ErrShort) || d.Remaining() != 1 {
		t.Fatalf("count beyond data: n=%d err=%v", n, d.Err())
	}
}

func TestStream(t *testing.T) {
	var all []byte
	var in []Frame
	for i := range 100 {
		f := Frame{ID: uint32(i), Len: uint8(i % 9)}
		for j := range int(f.Len) {
			f.Data[j] = byte(i + j)
		}
		in = append(in, f)
		all = AppendFrame(all, &f)
	}
	var s StreamDecoder
	var out []Frame
	for i := 0; i < len(all); i += 3 {
		s.Write(all[i:min(i+3, len(all))])
		for {
			var f Frame
			ok, err := s.Next(&f)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			out = append(out, f)
		}
	}
	if len(out) != len(in) || s.Buffered() != 0 {
		t.Fatalf("got %d frames, %d buffered", len(out), s.Buffered())
	}
	for i := range in {
		if in[i] != out[i] {
			t.Fatalf("frame %d: %+v != %+v", i, out[i], in[i])
		}
	}
	if !bytes.Equal([]byte(Handshake), []byte("CANNELLONIv1")) {
		t.Fatal("handshake")
	}
}

func BenchmarkEncodeDecode(b *testing.B) {
	f := Frame{ID: 0x123, Len: 8}
	buf := make([]byte, 0, 1500)
	var d Datagram
	var out Frame
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendHeader(buf[:0], 1, 20)
		for range 20 {
			buf = AppendFrame(buf, &f)
		}
		d.Reset(buf)
		for d.Next(&out) {
		}
	}
}

// TestStreamPDURecords decodes CAN frames and PDU records mixed in one
// stream, fed one byte at a time, and refuses an oversized PDU.
func TestStreamPDURecords(t *testing.T) {
	eth := make([]byte, 1514)
	for i := range eth {
		eth[i] = byte(i * 7)
	}
	var b []byte
	b = AppendFrame(b, &Frame{ID: 0x123, Len: 2, Data: [64]byte{0xde, 0xad}})
	b = AppendStreamPDU(b, &PDU{Kind: 5, Data: eth})
	b = AppendStreamPDU(b, &PDU{Kind: 3, Flags: 1, Addr: 2, ID: 0x7E8, Data: []byte{1, 2, 3}})
	b = AppendFrame(b, &Frame{ID: 0x80000001, FD: true, Flags: 1, Len: 12})
	if !bytes.Equal(b[7:17], []byte{0, 0, 0, 0, StreamPDUMarker, 5, 0, 0, 0x05, 0xEA}) {
		t.Fatalf("PDU record header % x", b[7:17])
	}
	var s StreamDecoder
	var kinds []string
	for i := range b {
		s.Write(b[i : i+1])
		for {
			var f Frame
			var p PDU
			pdu, ok, err := s.NextRecord(&f, &p, 4096)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			switch {
			case pdu && p.Kind == 5:
				if !bytes.Equal(p.Data, eth) {
					t.Fatal("Ethernet PDU data differs")
				}
				kinds = append(kinds, "eth")
			case pdu:
				if p.Kind != 3 || p.Flags != 1 || p.Addr != 2 || p.ID != 0x7E8 || !bytes.Equal(p.Data, []byte{1, 2, 3}) {
					t.Fatalf("PDU %+v", p)
				}
				kinds = append(kinds, "isotp")
			default:
				kinds = append(kinds, fmt.Sprintf("can%x", f.ID))
			}
		}
	}
	if fmt.Sprint(kinds) != "[can123 eth isotp can80000001]" || s.Buffered() != 0 {
		t.Fatalf("records %v, %d bytes left", kinds, s.Buffered())
	}
	s = StreamDecoder{}
	s.Write(AppendStreamPDU(nil, &PDU{Kind: 5, Data: make([]byte, 5000)}))
	var f Frame
	var p PDU
	if _, _, err := s.NextRecord(&f, &p, 4096); err != ErrPDU {
		t.Fatalf("oversized PDU: %v, want ErrPDU", err)
	}
	// Without PDU records the marker is an invalid CAN length.
	s = StreamDecoder{}
	s.Write(AppendStreamPDU(nil, &PDU{Kind: 5, Data: eth}))
	if _, err := s.Next(&f); !errors.Is(err, ErrLength) {
		t.Fatalf("plain decoder on a PDU record: %v, want ErrLength", err)
	}
}
