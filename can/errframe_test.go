package can

import (
	"errors"
	"testing"
)

func TestParseError(t *testing.T) {
	f, err := ParseFrame("20000204#0004000000000061")
	if err != nil {
		t.Fatal(err)
	}
	f.Data[1] = byte(CtrlRxWarning)
	e, err := ParseError(&f)
	if err != nil {
		t.Fatal(err)
	}
	if e.Class != ErrCtrl|ErrCnt || e.Ctrl != CtrlRxWarning || e.TxErrors != 0 || e.RxErrors != 0x61 || !e.HasCounters {
		t.Fatalf("%+v", e)
	}
	if e.State() != StateWarning {
		t.Fatalf("state %v", e.State())
	}
	want := "can error: controller-problem{rx-error-warning},error-counters{tx 0 rx 97} (state error-warning)"
	if e.Error() != want {
		t.Fatalf("got %q\nwant %q", e.Error(), want)
	}
	var err2 error = e
	var ef *ErrorFrame
	if !errors.As(err2, &ef) {
		t.Fatal("not an error")
	}

	cases := map[string]string{
		"20000040#0000000000000000": "can error: bus-off (state bus-off)",
		"20000002#0500000000000000": "can error: lost-arbitration{at bit 5}",
		"20000088#0000020A00000000": "can error: protocol-violation{{frame-format-error}{data-field}},bus-error",
		"20000010#0000000054000000": "can error: transceiver-status{canh-no-wire,canl-short-to-bat}",
		"20000100#0000000000000000": "can error: restarted-after-bus-off (state error-active)",
		"20000000#0000000000008000": "can error: error-counters{tx 128 rx 0} (state error-passive)",
		"20000000#0000000000000000": "can error: no error class",
		"20000400#0000000000000000": "can error: class-0x400",
	}
	for in, want := range cases {
		f, err := ParseFrame(in)
		if err != nil {
			t.Fatal(err)
		}
		e, err := ParseError(&f)
		if err != nil {
			t.Fatal(err)
		}
		if e.Error() != want {
			t.Errorf("%s: %q, want %q", in, e.Error(), want)
		}
	}
	nf := FDFrame{ID: 1}
	if _, err := ParseError(&nf); err == nil {
		t.Fatal("non-error frame decoded")
	}
	if ErrClass(0x41).String() != "tx-timeout,bus-off" {
		t.Fatal(ErrClass(0x41).String())
	}
}
