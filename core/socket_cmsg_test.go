package core

import (
	"bytes"
	"testing"
)

func TestCmsgRoundTrip(t *testing.T) {
	in := []Cmsg{
		{Level: 1, Type: 1, Data: []byte{1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0}},
		{Level: 41, Type: 50, Data: []byte{}},
		{Level: 0, Type: 8, Data: []byte("abcde")},
	}
	b := AppendCmsg(nil, in...)
	if len(b) != CmsgBytes(in) || len(b) != 16+16+16+0+16+8 {
		t.Fatalf("encoded %d bytes, CmsgBytes %d", len(b), CmsgBytes(in))
	}
	out, err := ParseCmsg(b)
	if err != nil || len(out) != len(in) {
		t.Fatalf("ParseCmsg = %v, %v", out, err)
	}
	for i := range in {
		if out[i].Level != in[i].Level || out[i].Type != in[i].Type || !bytes.Equal(out[i].Data, in[i].Data) {
			t.Fatalf("cmsg %d = %+v, want %+v", i, out[i], in[i])
		}
	}
	fds, err := out[0].Rights()
	if err != nil || len(fds) != 3 || fds[2] != 3 {
		t.Fatalf("Rights = %v, %v", fds, err)
	}
	// Truncated last message: the data present is returned.
	tr, err := ParseCmsg(b[:len(b)-6])
	if err != nil || len(tr) != 3 || string(tr[2].Data) != "ab" {
		t.Fatalf("truncated ParseCmsg = %+v, %v", tr, err)
	}
	// A cmsg_len below the header size is an error naming the offset.
	bad := append([]byte(nil), b...)
	bad[32] = 3
	if _, err := ParseCmsg(bad); err == nil || !bytes.Contains([]byte(err.Error()), []byte("offset 32")) {
		t.Fatalf("bad cmsg_len: %v", err)
	}
	if c, err := ParseCmsg(nil); c != nil || err != nil {
		t.Fatal("empty buffer")
	}
	cred := CredentialsCmsg(Ucred{Pid: 7, Uid: 8, Gid: 9})
	if u, err := cred.Credentials(); err != nil || u != (Ucred{7, 8, 9}) {
		t.Fatalf("Credentials = %+v, %v", u, err)
	}
	if _, err := (Cmsg{Level: 1, Type: 1, Data: []byte{1, 2, 3, 4, 5}}).Rights(); err == nil {
		t.Fatal("Rights of 5 bytes: no error")
	}
}

func FuzzParseCmsg(f *testing.F) {
	f.Add(AppendCmsg(nil, RightsCmsg(3, 4)))
	f.Add(AppendCmsg(nil, CredentialsCmsg(Ucred{1, 2, 3}), Cmsg{Level: 41, Type: 50, Data: []byte{1}}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 1, 0, 0, 0})
	f.Add([]byte{15, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		cm, err := ParseCmsg(b)
		total := 0
		for _, c := range cm {
			total += sizeofCmsghdr + len(c.Data)
			if cap(c.Data) > len(b) {
				t.Fatalf("data capacity %d exceeds buffer %d", cap(c.Data), len(b))
			}
			c.Rights()
			c.Credentials()
		}
		if total > len(b)+0 && err == nil && len(cm) > 0 {
			// headers and data must come from the buffer
			if total > len(b) {
				t.Fatalf("parsed %d bytes from a %d-byte buffer", total, len(b))
			}
		}
		if err != nil {
			return
		}
		// Re-encoding what was parsed and parsing again is stable.
		again, err := ParseCmsg(AppendCmsg(nil, cm...))
		if err != nil || len(again) != len(cm) {
			t.Fatalf("re-parse: %d messages, %v; want %d", len(again), err, len(cm))
		}
		for i := range cm {
			if again[i].Level != cm[i].Level || again[i].Type != cm[i].Type || !bytes.Equal(again[i].Data, cm[i].Data) {
				t.Fatalf("re-parse message %d differs", i)
			}
		}
	})
}
