package busmsg

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/frame"
)

func TestSignals(t *testing.T) {
	d, err := LoadDBC("testdata/engine.dbc")
	if err != nil {
		t.Fatal(err)
	}
	s := NewSignals(d)
	for _, tc := range []struct {
		f    frame.Frame
		want string
	}{
		{mk(frame.CAN, 0x123, 0, 0, 5, "E803F60100000000"),
			`{"time":5,"seq":9,"kind":"can","id":"123","message":"Engine","signals":{"Speed":{"value":100,"unit":"km/h"},"Temp":{"value":-50,"unit":"degC"},"Gear":{"value":1,"text":"Drive"}}}`},
		{mk(frame.CAN, frame.CANEFFFlag|0x203, 0, 0, 6, "0207"),
			`{"time":6,"seq":9,"kind":"can","id":"00000203","message":"Ext","signals":{"Mode":{"value":2},"B":{"value":14}}}`},
	} {
		b, ok := s.Append(nil, &tc.f, 9)
		if !ok || string(b) != tc.want {
			t.Errorf("%v:\n got %s %v\nwant %s", tc.f.String(), b, ok, tc.want)
		}
		if !json.Valid(b) {
			t.Errorf("not JSON: %s", b)
		}
	}
	for _, f := range []frame.Frame{
		mk(frame.CAN, 0x124, 0, 0, 0, "00"),                  // not in the DBC
		mk(frame.CAN, 0x123|frame.CANRTRFlag, 0, 0, 0, "00"), // remote request
		mk(frame.CANFD, 0x123, 0, 0, 0, "E803F60100000000"),  // CAN FD
		mk(frame.CAN, frame.CANEFFFlag|0x123, 0, 0, 0, "E8"), // 29-bit, other message
	} {
		if b, ok := s.Append([]byte("x"), &f, 1); ok || string(b) != "x" {
			t.Errorf("%v encoded: %s", f.String(), b)
		}
	}
	f := mk(frame.CAN, 0x123, 0, 0, 5, "E803F60100000000")
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(100, func() { s.Append(buf[:0], &f, 1) }); n != 0 {
		t.Errorf("%v allocations per frame", n)
	}
}

func TestDBCErrorNamesLine(t *testing.T) {
	_, err := LoadDBC("testdata/broken.dbc")
	if err == nil || !strings.Contains(err.Error(), "testdata/broken.dbc:5:11: expected ident") {
		t.Fatalf("err %v", err)
	}
}

func TestJSONString(t *testing.T) {
	got := string(appendJSONString(nil, "a\"b\\c\x01°\xff"))
	if want := `"a\"b\\c\u0001°\uFFFD"`; got != want {
		t.Fatalf("got %s want %s", got, want)
	}
	var s string
	if err := json.Unmarshal([]byte(got), &s); err != nil || s != "a\"b\\c\x01°\uFFFD" {
		t.Fatalf("%q %v", s, err)
	}
}
