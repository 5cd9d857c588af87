package cli

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/can"
)

const dumpDBC = `VERSION ""

BO_ 291 Engine: 8 ECU
 SG_ Speed : 0|16@1+ (0.1,0) [0|6553.5] "km/h" Vector__XXX
`

// probeFrames is the corpus candump 2020.11 printed below (rig, vcan0 =
// ifindex 1, vcanlong0 = 2, all sent from the host: TX).
var probeFrames = []struct {
	ifindex int
	frame   string
	fd      bool
	usec    int64
}{
	{1, "123#1122", false, 1796659259706750},
	{2, "12345678#AABB", false, 1796659259775955},
	{1, "123##5AABB", true, 1796659259815761},
	{1, "7FF#R", false, 1796659259858898},
	{1, "7FF#R3", false, 1796659259891821},
	{2, "20000004#0004000000000000", false, 1796659259919650},
	{2, "20000095#0A0A0B0B000000AA", false, 1796659259954172},
	{1, "1AB##7001122334455667788000000", true, 1796659259988003},
	{1, "000##4", true, 1796659260014421},
	{1, "456#48656C6C6F", false, 1796659260049811},
}

func probeMsgs(t *testing.T) []can.RecvMsg {
	t.Helper()
	var msgs []can.RecvMsg
	for _, p := range probeFrames {
		f, err := can.ParseFrame(p.frame)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, can.RecvMsg{Frame: f, FD: p.fd, Ifindex: p.ifindex, Own: true,
			Time: time.UnixMicro(p.usec)})
	}
	return msgs
}

func runDumpOut(t *testing.T, o *dumpOptions, maxDevLen int, msgs []can.RecvMsg) string {
	t.Helper()
	var buf bytes.Buffer
	d := newDumpOut(o, &buf)
	d.maxDevLen = maxDevLen
	d.ifname = func(i int) (string, bool) {
		switch i {
		case 1:
			return "vcan0", true
		case 2:
			return "vcanlong0", true
		}
		return "", false
	}
	for i := range msgs {
		if _, err := d.write(msgs[i:i+1], -1, 0); err != nil {
			t.Fatal(err)
		}
	}
	return buf.String()
}

// TestDumpCandumpProbe: the output candump printed in the rig for the
// same frames (candump -ta -x, -L -x, -e -a with vcan0 vcanlong0,#FFFFFFFF).
func TestDumpCandumpProbe(t *testing.T) {
	msgs := probeMsgs(t)
	tests := []struct {
		name string
		o    dumpOptions
		want string
	}{
		{"-ta -x", dumpOptions{ts: 'a', extra: true}, ` (1796659259.706750)      vcan0  TX - -  123   [2]  11 22
 (1796659259.775955)  vcanlong0  TX - -  12345678   [2]  AA BB
 (1796659259.815761)      vcan0  TX B -       123  [02]  AA BB
 (1796659259.858898)      vcan0  TX - -       7FF   [0]  remote request
 (1796659259.891821)      vcan0  TX - -       7FF   [3]  remote request
 (1796659259.919650)  vcanlong0  TX - -  20000004   [8]  00 04 00 00 00 00 00 00   ERRORFRAME
 (1796659259.954172)  vcanlong0  TX - -  20000095   [8]  0A 0A 0B 0B 00 00 00 AA   ERRORFRAME
 (1796659259.988003)      vcan0  TX B E       1AB  [12]  00 11 22 33 44 55 66 77 88 00 00 00
 (1796659260.014421)      vcan0  TX - -       000  [00] 
 (1796659260.049811)      vcan0  TX - -       456   [5]  48 65 6C 6C 6F
`},
		{"-L -x", dumpOptions{logfrmt: true, extra: true}, `(1796659259.706750)     vcan0 123#1122 T
(1796659259.775955) vcanlong0 12345678#AABB T
(1796659259.815761)     vcan0 123##5AABB T
(1796659259.858898)     vcan0 7FF#R T
(1796659259.891821)     vcan0 7FF#R3 T
(1796659259.919650) vcanlong0 20000004#0004000000000000 T
(1796659259.954172) vcanlong0 20000095#0A0A0B0B000000AA T
(1796659259.988003)     vcan0 1AB##7001122334455667788000000 T
(1796659260.014421)     vcan0 000##4 T
(1796659260.049811)     vcan0 456#48656C6C6F T
`},
		{"-e -a", dumpOptions{view: viewError | viewASCII}, `      vcan0  123   [2]  11 22                     '."'
  vcanlong0  12345678   [2]  AA BB                     '..'
      vcan0       123  [02]  AA BB                     '..'
      vcan0       7FF   [0]  remote request
      vcan0       7FF   [3]  remote request
  vcanlong0  20000004   [8]  00 04 00 00 00 00 00 00   ERRORFRAME
	controller-problem{rx-error-warning}
  vcanlong0  20000095   [8]  0A 0A 0B 0B 00 00 00 AA   ERRORFRAME
	tx-timeout
	controller-problem{tx-overflow,tx-error-warning}
	transceiver-status
	bus-error
	error-counter-tx-rx{{0}{170}}
      vcan0       1AB  [12]  00 11 22 33 44 55 66 77 88 00 00 00
      vcan0       000  [00]                            ''
      vcan0       456   [5]  48 65 6C 6C 6F            'Hello'
`},
	}
	for _, tt := range tests {
		o := tt.o
		if got := runDumpOut(t, &o, 9, msgs); got != tt.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.name, got, tt.want)
		}
	}
}

func TestDumpModes(t *testing.T) {
	msgs := probeMsgs(t)[:3]
	msgs[1].Own = false
	tests := []struct {
		name string
		o    dumpOptions
		want string
	}{
		{"-td", dumpOptions{ts: 'd'}, ` (000.000000)      vcan0  123   [2]  11 22
 (000.069205)  vcanlong0  12345678   [2]  AA BB
 (000.039806)      vcan0       123  [02]  AA BB
`},
		{"-tz", dumpOptions{ts: 'z'}, ` (000.000000)      vcan0  123   [2]  11 22
 (000.069205)  vcanlong0  12345678   [2]  AA BB
 (000.109011)      vcan0       123  [02]  AA BB
`},
		{"-tA", dumpOptions{ts: 'A'}, " (" + time.UnixMicro(1796659259706750).Format("2006-01-02 15:04:05") + ".706750)      vcan0  123   [2]  11 22\n"},
		{"-i -S -a", dumpOptions{view: viewBinary | viewSwap | viewASCII}, "      vcan0  123   [2]  00100010`00010001                                                         `\".`\n"},
		{"-c", dumpOptions{color: 1}, "  \x1b[1m\x1b[34m    vcan0\x1b[0m  123   [2]  11 22\n"},
		{"-c -c", dumpOptions{color: 2}, "  \x1b[1m\x1b[34m    vcan0  123   [2]  11 22\x1b[0m\n"},
		{"-c -c -c -ta", dumpOptions{color: 3, ts: 'a'}, " \x1b[1m\x1b[34m(1796659259.706750)      vcan0  123   [2]  11 22\x1b[0m\n"},
		{"-s 1", dumpOptions{silent: 1}, "|\b/\b-\b"},
		{"-s 2", dumpOptions{silent: 2}, ""},
		{"-H -ta", dumpOptions{hw: true, ts: 'a'}, " (0000000000.000000)      vcan0  123   [2]  11 22\n"},
		{"-L --nanos", dumpOptions{logfrmt: true, nanos: true}, "(1796659259.706750000)     vcan0 123#1122\n"},
	}
	for _, tt := range tests {
		o := tt.o
		in := msgs
		if strings.HasPrefix(tt.name, "-tA") || strings.HasPrefix(tt.name, "-i") || strings.HasPrefix(tt.name, "-c") ||
			strings.HasPrefix(tt.name, "-H") || strings.HasPrefix(tt.name, "-L") {
			in = msgs[:1]
		}
		if got := runDumpOut(t, &o, 9, in); got != tt.want {
			t.Errorf("%s: got\n%q\nwant\n%q", tt.name, got, tt.want)
		}
	}
}

func TestDumpDBCAndLogFile(t *testing.T) {
	d, err := can.ParseDBC("t.dbc", []byte(dumpDBC))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := can.ParseFrame("123#E803")
	msgs := []can.RecvMsg{{Frame: f, Ifindex: 1, Time: time.Unix(1700000000, 123456000)}}
	var buf bytes.Buffer
	o := &dumpOptions{count: 1}
	out := newDumpOut(o, &buf)
	out.dbc = d
	out.maxDevLen = 5
	out.ifname = func(int) (string, bool) { return "vcan0", true }
	dir := t.TempDir()
	lf, _ := os.Create(filepath.Join(dir, "x.log"))
	out.logFile = bufio.NewWriter(lf)
	done, err := out.write(append(msgs, msgs...), -1, 0)
	lf.Close()
	if err != nil || !done {
		t.Fatalf("limit: %v %v", done, err)
	}
	if want := "  vcan0  123   [2]  E8 03\n        Engine: Speed=100 km/h\n"; buf.String() != want {
		t.Fatalf("got %q, want %q", buf.String(), want)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "x.log"))
	if string(b) != "(1700000000.123456) vcan0 123#E803\n" {
		t.Fatalf("log: %q", b)
	}
}

func TestDumpDropCount(t *testing.T) {
	f, _ := can.ParseFrame("123#01")
	var buf bytes.Buffer
	out := newDumpOut(&dumpOptions{}, &buf)
	out.ifname = func(int) (string, bool) { return "vcan0", true }
	out.maxDevLen = 5
	out.write([]can.RecvMsg{{Frame: f, Ifindex: 1}}, 3, 3)
	out.write([]can.RecvMsg{{Frame: f, Ifindex: 1}}, 1, 4)
	want := "DROPCOUNT: dropped 3 CAN frames on 'vcan0' socket (total drops 3)\n  vcan0  123   [1]  01\n" +
		"DROPCOUNT: dropped 1 CAN frame on 'vcan0' socket (total drops 4)\n  vcan0  123   [1]  01\n"
	if buf.String() != want {
		t.Fatalf("got %q", buf.String())
	}
}

func TestDumpNameCache(t *testing.T) {
	gone := false
	d := newDumpOut(&dumpOptions{}, &bytes.Buffer{})
	d.ifname = func(i int) (string, bool) {
		if i == 1 && gone {
			return "", false
		}
		return map[int]string{1: "a", 2: "bb", 3: "cccc"}[i], true
	}
	if d.dindex(1) != 0 || d.dindex(2) != 1 || d.dindex(1) != 0 || d.maxDevLen != 2 {
		t.Fatalf("cache %v %v", d.slots, d.maxDevLen)
	}
	gone = true
	if d.dindex(3) != 0 || d.maxDevLen != 4 {
		t.Fatalf("zombie not reused: %v", d.slots)
	}
}

func TestDumpErrorTextRepeat(t *testing.T) {
	var msgs []can.RecvMsg
	for _, s := range []string{"20000400#0000000000000000", "20000200#0000000000000000", "20000002#0500000000000000"} {
		f, _ := can.ParseFrame(s)
		msgs = append(msgs, can.RecvMsg{Frame: f, Ifindex: 1, Own: true})
	}
	// What candump printed in the rig (-x -e vxcan1,#FFFFFFFF vcan0,#FFFFFFFF).
	want := `   vcan0  TX - -  20000400   [8]  00 00 00 00 00 00 00 00   ERRORFRAME
	20000400   [8]  00 00 00 00 00 00 00 00   ERRORFRAME
   vcan0  TX - -  20000200   [8]  00 00 00 00 00 00 00 00   ERRORFRAME
	20000200   [8]  00 00 00 00 00 00 00 00   ERRORFRAME
   vcan0  TX - -  20000002   [8]  05 00 00 00 00 00 00 00   ERRORFRAME
	lost-arbitration{at bit 5}
`
	if got := runDumpOut(t, &dumpOptions{extra: true, view: viewError}, 6, msgs); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestErrorTextInvalidClass(t *testing.T) {
	f, _ := can.ParseFrame("20000400#0000000000000000")
	if _, ok := appendErrorText(nil, &f, ","); ok {
		t.Fatal("class 0x400 accepted")
	}
	f, _ = can.ParseFrame("2000000A#0000020A00000000")
	b, ok := appendErrorText(nil, &f, ",")
	if !ok || string(b) != "lost-arbitration{at bit 0},protocol-violation{{frame-format-error}{data-field}}" {
		t.Fatalf("%q", b)
	}
}
