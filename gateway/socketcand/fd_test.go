package socketcand

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestRTRAndFD(t *testing.T) {
	id, dlc, err := ParseSendRTR(args("sendrtr 1AAAAAAA 2"))
	if err != nil || id != 0x9AAAAAAA || dlc != 2 {
		t.Fatalf("sendrtr: %x %d %v", id, dlc, err)
	}
	for _, bad := range []string{"sendrtr 123", "sendrtr 123 9", "sendrtr 123 1 2", "sendrtr zz 0"} {
		if _, _, err := ParseSendRTR(args(bad)); !errors.Is(err, ErrSyntax) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	data := make([]byte, 64)
	id, fl, n, err := ParseFDSend(args("fdsend 123 1 12 0 1 2 3 4 5 6 7 8 9 a FF"), data)
	if err != nil || id != 0x123 || fl != 1 || n != 12 || !bytes.Equal(data[:12], []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xa, 0xff}) {
		t.Fatalf("fdsend: %x %x %d % x %v", id, fl, n, data[:n], err)
	}
	if _, _, n, err := ParseFDSend(args("fdsend 12345678 3 64 "+strings.Repeat("AB ", 64)), data); err != nil || n != 64 || data[63] != 0xAB {
		t.Fatalf("64-byte fdsend: %d %v", n, err)
	}
	for _, tc := range []struct{ in, msg string }{
		{"fdsend 123 0", "needs can_id flags len"},
		{"fdsend 123 4 0", "flags \"4\""},
		{"fdsend 123 0 9 1 2 3 4 5 6 7 8 9", "len \"9\""},
		{"fdsend 123 0 65", "len \"65\""},
		{"fdsend 123 0 2 1", "len 2 but 1 data bytes"},
		{"fdsend 123 0 1 100", "data byte \"100\""},
	} {
		if _, _, _, err := ParseFDSend(args(tc.in), data); !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: %v, want %q", tc.in, err, tc.msg)
		}
	}
	for _, tc := range []struct{ got, want string }{
		{string(AppendRTRFrame(nil, 0x123, 23, 424242, 4)), "< rtr 123 23.424242 4 >"},
		{string(AppendRTRFrame(nil, 0x9AAAAAAA, 1, 0, 0)), "< rtr 1AAAAAAA 1.000000 0 >"},
		{string(AppendFDFrame(nil, 0x123, 1, 2, 3, []byte{0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4, 5, 6, 7})), "< fdframe 123 01 2.000003 DEADBEEF0001020304050607 >"},
		{string(AppendFDFrame(nil, 0x80000001, 0, 0, 0, nil)), "< fdframe 00000001 00 0.000000  >"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q want %q", tc.got, tc.want)
		}
	}
}
