//go:build hil

package can

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

var logStamp = regexp.MustCompile(`^\(\d{10}\.\d{6}\) `)

// maskStamps replaces each candump -L line's time by a placeholder of the
// same width.
func maskStamps(s string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		lines[i] = logStamp.ReplaceAllString(l, "(XXXXXXXXXX.XXXXXX) ")
	}
	return strings.Join(lines, "")
}

// genRun runs a generator (cangen or fieldgate can gen) on vcan1 with
// candump -L watching, and returns what candump saw (times masked), the
// generator's stdout and exit status.
func genRun(t *testing.T, want int, name string, args ...string) (seen, stdout string, code int) {
	t.Helper()
	watch := startTool(t, 1, "candump", "-r", "4000000", "-L", "vcan1")
	gen := startTool(t, 0, name, append(args, "vcan1")...)
	gen.wait(t, 60*time.Second)
	if want > 0 {
		if !waitFor(20*time.Second, func() bool { return lineCount(watch.out.String(), nil) >= want }) {
			t.Fatalf("%s %q: candump saw %d frames, want %d; stderr %q", name, args, lineCount(watch.out.String(), nil), want, gen.errOut.String())
		}
	} else {
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	watch.stop(t)
	return maskStamps(watch.out.String()), gen.out.String(), gen.exitCode()
}

// TestHILGenVsCangen: for the deterministic modes, cangen and `fieldgate
// can gen` with the same options put the same frames on the bus (as
// candump -L sees them) and print the same -v lines.
func TestHILGenVsCangen(t *testing.T) {
	cases := []struct {
		args []string
		n    int // frames candump sees
	}{
		{[]string{"-I", "i", "-L", "i", "-D", "i", "-n", "20", "-g", "0", "-v"}, 20},
		{[]string{"-e", "-I", "i", "-L", "i", "-D", "i", "-n", "20", "-g", "0", "-vv"}, 20},
		{[]string{"-f", "-I", "i", "-L", "i", "-D", "i", "-n", "20", "-g", "0", "-v"}, 20},
		{[]string{"-b", "-E", "-I", "123", "-L", "i", "-D", "i", "-n", "17", "-g", "0", "-vvv"}, 17},
		{[]string{"-R", "-I", "i", "-L", "i", "-D", "i", "-n", "10", "-g", "0", "-v"}, 10},
		{[]string{"-I", "42A", "-L", "1", "-D", "i", "-n", "10", "-c", "3", "-g", "1", "-v"}, 10},
		{[]string{"-D", "11223344DEADBEEF", "-L", "8", "-I", "7FF", "-n", "5", "-g", "0"}, 5},
		{[]string{"-e", "-I", "1FFFFFFE", "-L", "i", "-D", "i", "-n", "4", "-g", "0", "-v"}, 4},
		{[]string{"-f", "-L", "12", "-D", "00112233445566778899AABBCCDDEEFF", "-I", "1", "-n", "3", "-g", "0", "-v"}, 3},
		{[]string{"-L", "10", "-I", "i", "-D", "i", "-n", "3", "-g", "0"}, 3},
		{[]string{"-f", "-L", "10", "-I", "i", "-D", "i", "-n", "3", "-g", "0"}, 3},
		{[]string{"-R", "-f", "-I", "5", "-L", "2", "-D", "i", "-n", "3", "-g", "0"}, 3},
		{[]string{"-Ii", "-Li", "-Di", "-n3", "-g0", "-vv"}, 3},
		{[]string{"-x", "-I", "i", "-L", "1", "-D", "i", "-n", "5", "-g", "0"}, 0},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			refSeen, refOut, refCode := genRun(t, c.n, "cangen", c.args...)
			fgSeen, fgOut, fgCode := genRun(t, c.n, "fieldgate", append([]string{"can", "gen"}, c.args...)...)
			if refCode != 0 || fgCode != 0 {
				t.Fatalf("exit status: cangen %d, fieldgate %d", refCode, fgCode)
			}
			if d := diffText(refSeen, fgSeen); d != "" {
				t.Fatalf("frames on the bus differ at %s", d)
			}
			if lineCount(refSeen, nil) != c.n {
				t.Fatalf("candump saw %d frames, want %d:\n%s", lineCount(refSeen, nil), c.n, refSeen)
			}
			if d := diffText(refOut, fgOut); d != "" {
				t.Fatalf("stdout differs at %s", d)
			}
			t.Logf("identical: %d frames, %d bytes of -v output", c.n, len(refOut))
		})
	}
}

// candumpLog parses candump -L lines (times masked) into frames.
func candumpLog(t *testing.T, s string) []FDFrame {
	t.Helper()
	var out []FDFrame
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		f := strings.Fields(l)
		if len(f) < 3 {
			t.Fatalf("candump line %q", l)
		}
		fr, err := ParseFrame(f[2])
		if err != nil {
			t.Fatalf("candump line %q: %v", l, err)
		}
		out = append(out, fr)
	}
	return out
}

// TestHILGenRandomVsCangen: the random modes cannot be compared frame by
// frame (cangen seeds from the clock); both generators must draw from the
// same space: classic lengths 8 for about half the frames, CAN FD lengths
// from the DLC table with payloads that repeat their first 8 bytes, -m
// mixing standard, extended, FD and remote frames.
func TestHILGenRandomVsCangen(t *testing.T) {
	type shape struct{ eight, fd, eff, rtr, sff int }
	check := func(t *testing.T, who string, frames []FDFrame, mode string) shape {
		var s shape
		for _, f := range frames {
			switch {
			case f.Remote:
				s.rtr++
			case f.IsFD():
				s.fd++
				if !ValidFDLen(int(f.Len)) {
					t.Errorf("%s %s: FD length %d", who, mode, f.Len)
				}
				for i := 8; i < int(f.Len); i++ {
					if f.Data[i] != f.Data[i%8] {
						t.Errorf("%s %s: FD payload does not repeat: %s", who, mode, f)
						break
					}
				}
			case f.Extended:
				s.eff++
			default:
				s.sff++
			}
			if f.Len == 8 && !f.IsFD() {
				s.eight++
			}
		}
		return s
	}
	for _, mode := range []string{"", "-f", "-m"} {
		args := []string{"-n", "300", "-g", "0"}
		if mode != "" {
			args = append([]string{mode}, args...)
		}
		for _, who := range []string{"cangen", "fieldgate"} {
			name, a := who, args
			if who == "fieldgate" {
				a = append([]string{"can", "gen"}, args...)
			}
			seen, _, code := genRun(t, 300, name, a...)
			if code != 0 {
				t.Fatalf("%s %q: exit %d", who, args, code)
			}
			s := check(t, who, candumpLog(t, seen), mode)
			t.Logf("%s %s: %+v", who, mode, s)
			switch mode {
			case "":
				if s.sff != 300 || s.eight < 100 || s.eight > 200 {
					t.Errorf("%s: %+v, want 300 standard frames, about 150 of length 8", who, s)
				}
			case "-f":
				if s.fd != 300 {
					t.Errorf("%s -f: %+v, want 300 FD frames", who, s)
				}
			case "-m":
				if s.fd < 50 || s.eff < 20 || s.sff < 20 || s.rtr < 10 {
					t.Errorf("%s -m: %+v, want every kind", who, s)
				}
			}
		}
	}
}

// TestHILGenGap: -g is the gap in milliseconds, -c the burst size.
func TestHILGenGap(t *testing.T) {
	for _, who := range []string{"cangen", "fieldgate"} {
		args := []string{"-g", "50", "-c", "2", "-n", "10", "-I", "1", "-L", "1", "-D", "i", "vcan1"}
		if who == "fieldgate" {
			args = append([]string{"can", "gen"}, args...)
		}
		start := time.Now()
		runOK(t, who, args...)
		if d := time.Since(start); d < 200*time.Millisecond || d > 5*time.Second {
			t.Errorf("%s: 5 bursts 50 ms apart took %v", who, d)
		}
	}
}
