package cannelloni

import (
	"bytes"
	"encoding/hex"
	"errors"
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
