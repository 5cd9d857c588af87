package can

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestLogRoundTrip(t *testing.T) {
	in := `# comment canplayer skips
(1436509052.249713) vcan0 044#2A366C2BBA
(1436509052.449847) vcan0 0F6#7ADFE07BD2
(0000000001.000001) can1 12345678#R T
(1700000000.123456789) vcan1 213##1DEADBEEF R

(1436509052.650004) vcan0 20000080#0000000000000000
`
	r := NewLogReader(strings.NewReader(in), "in.log")
	var got []LogEntry
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	if len(got) != 5 {
		t.Fatalf("%d entries", len(got))
	}
	if got[0].Time != time.Unix(1436509052, 249713000) || got[0].Iface != "vcan0" || got[0].Frame.ID != 0x44 || got[0].Frame.Len != 5 {
		t.Errorf("entry 0 %+v", got[0])
	}
	if got[2].Dir != 'T' || !got[2].Frame.Remote || !got[2].Frame.Extended {
		t.Errorf("entry 2 %+v", got[2])
	}
	if got[3].Time.Nanosecond() != 123456789 || !got[3].Frame.IsFD() || got[3].Dir != 'R' {
		t.Errorf("entry 3 %+v", got[3])
	}
	if !got[4].Frame.Error || got[4].Frame.ID != 0x80 {
		t.Errorf("entry 4 %+v", got[4])
	}
	var buf bytes.Buffer
	w := NewLogWriter(&buf, false)
	for i := range got {
		if err := w.Write(&got[i]); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	want := `(1436509052.249713) vcan0 044#2A366C2BBA
(1436509052.449847) vcan0 0F6#7ADFE07BD2
(0000000001.000001) can1 12345678#R T
(1700000000.123456) vcan1 213##5DEADBEEF R
(1436509052.650004) vcan0 20000080#0000000000000000
`
	if buf.String() != want {
		t.Fatalf("written:\n%s\nwant:\n%s", buf.String(), want)
	}
	var nb bytes.Buffer
	w = NewLogWriter(&nb, true)
	w.Write(&got[3])
	w.Flush()
	if nb.String() != "(1700000000.123456789) vcan1 213##5DEADBEEF R\n" {
		t.Fatalf("nanos: %q", nb.String())
	}
}

func TestLogErrorsNameLine(t *testing.T) {
	tests := map[string]string{
		"(1.000001) vcan0 123#00\n(1.00001) vcan0 123#00\n": "x.log:2: timestamp",
		"(1.000001) vcan0 123#0\n":                          "x.log:1: can: frame",
		"(1.000001) vcan0\n":                                "x.log:1: want",
		"(1.000001) vcan0 123#00 X\n":                       "x.log:1: unexpected",
		"(1.000001 vcan0 123#00\n":                          "x.log:1: timestamp has no",
		"(a.000001) vcan0 123#00\n":                         "x.log:1: timestamp",
		"(1.000001)vcan0 123#00\n":                          "x.log:1: want a space",
		"(1.000001) verylonginterfacename 123#00\n":         "longer than 15",
		"(-1.000001) vcan0 123#00\n":                        "seconds",
	}
	for in, want := range tests {
		_, err := NewLogReader(strings.NewReader(in), "x.log").Next()
		if in[:11] == "(1.000001) " && strings.Count(in, "\n") == 2 {
			r := NewLogReader(strings.NewReader(in), "x.log")
			if _, err = r.Next(); err != nil {
				t.Fatal(err)
			}
			_, err = r.Next()
		}
		var se *LogSyntaxError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want containing %q", in, err, want)
		}
	}
}

func TestLogWriterNoAlloc(t *testing.T) {
	w := NewLogWriter(io.Discard, false)
	e := LogEntry{Time: time.Unix(1, 2), Iface: "vcan0", Frame: FDFrame{ID: 1, Len: 8}}
	if n := testing.AllocsPerRun(100, func() { w.Write(&e) }); n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func FuzzParseLogLine(f *testing.F) {
	for _, s := range []string{
		"(1436509052.249713) vcan0 044#2A366C2BBA",
		"(0000000001.000001) can1 12345678#R T",
		"(1700000000.123456789) vcan1 213##1DEADBEEF R",
		"(1436509052.650004) vcan0 20000080#0000000000000000",
		"(1.000000) x 123#1122334455667788_9",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseLogLine(s)
		if err != nil {
			return
		}
		nanos := e.Time.Nanosecond()%1000 != 0
		line := string(e.AppendLog(nil, nanos))
		e2, err := ParseLogLine(line)
		if err != nil {
			t.Fatalf("%q -> %q: %v", s, line, err)
		}
		if !e2.Time.Equal(e.Time) || e2.Iface != e.Iface || e2.Frame != e.Frame || e2.Dir != e.Dir {
			t.Fatalf("%q -> %q: %+v != %+v", s, line, e2, e)
		}
	})
}
