package socketcand

import (
	"errors"
	"strings"
	"testing"
)

func TestScannerAndParse(t *testing.T) {
	var s Scanner
	s.Write([]byte("junk< open vcan0 ><rawmode>< send 123 3 de ad 1 >< send 1234567 0 >< sen"))
	var got []string
	for {
		m, ok, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		got = append(got, string(m))
	}
	if strings.Join(got, "|") != " open vcan0 |rawmode| send 123 3 de ad 1 | send 1234567 0 " {
		t.Fatalf("messages %q", got)
	}
	s.Write([]byte("d 7FF 1 ff >"))
	m, ok, _ := s.Next()
	if !ok || string(m) != " send 7FF 1 ff " {
		t.Fatalf("continued message %q %v", m, ok)
	}
	var c Command
	var data [8]byte
	c.Parse([]byte(" send 123 3 de ad 1 "))
	id, n, err := ParseSend(c.Args, data[:])
	if err != nil || id != 0x123 || n != 3 || data[0] != 0xde || data[2] != 1 {
		t.Fatalf("send: %x %d %v %x", id, n, err, data)
	}
	c.Parse([]byte("send 80001234 0"))
	if id, _, err := ParseSend(c.Args, data[:]); err != nil || id != 0x80001234 {
		t.Fatalf("extended with bit 31: %x %v", id, err)
	}
	for _, bad := range []string{"send 123", "send 123 9 1 2 3 4 5 6 7 8 9", "send 123 2 1", "send xyz 0", "send 123 1 100", "send 123456789 0"} {
		c.Parse([]byte(bad))
		if _, _, err := ParseSend(c.Args, data[:]); !errors.Is(err, ErrSyntax) {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
	s = Scanner{}
	s.Write([]byte("<" + strings.Repeat("a", MaxMessage+1)))
	if _, _, err := s.Next(); !errors.Is(err, ErrTooLong) {
		t.Fatalf("long message: %v", err)
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{string(AppendRawFrame(nil, 0x123, 1700000000, 42, []byte{0xde, 0xad})), "< frame 123 1700000000.000042 DEAD >"},
		{string(AppendRawFrame(nil, 0x80012345, 1, 999999, nil)), "< frame 00012345 1.999999  >"},
		{string(AppendBCMFrame(nil, 0x7FF, 2, 5, []byte{1, 0xab})), "< frame 7FF 2.000005 01 AB >"},
		{string(AppendErrorFrame(nil, 0x20000004, 3, 0)), "< error 004 3.000000 >"},
		{string(AppendStat(nil, 1, 2, 3, 4)), "< stat 1 2 3 4 >"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q want %q", tc.got, tc.want)
		}
	}
}
