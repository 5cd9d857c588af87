//go:build hil

package can

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// playLog is a candump -L log over two interfaces whose names differ in
// length, with comments, -x markers, FD, remote, extended and error frames.
const playLog = `# recorded by candump -L -x
(1700000000.000000) vcan0 123#1122 R
(1700000000.000010) vcanlong0 12345678#AABBCCDD T
this line does not start with a parenthesis

(1700000000.000020) vcan0 7FF#R3
(1700000000.000030) vcan0 321##548656C6C6F
(1700000000.000040) vcanlong0 20000004#0004000000000000
(1700000000.000050) vcan0 1ABCDEF0##3` + "00112233445566778899AABBCCDDEEFF" + `
(1700000000.000060) vcanlong0 000#
(1700000000.000070) vcan0 12F##0` + "5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A" + `
(1700000000.000080) vcanlong0 1FFFFFFF#R
`

func writeLog(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// playRun runs a player with a candump -L watcher on watchArgs, waits for
// want frames and returns what the watcher saw (times masked), the
// player's stdout, exit status and run time.
func playRun(t *testing.T, want int, watchArgs []string, name string, args ...string) (seen, stdout string, code int, took time.Duration) {
	t.Helper()
	watch := startTool(t, 1, "candump", append([]string{"-r", "4000000", "-L"}, watchArgs...)...)
	start := time.Now()
	pl := startTool(t, 0, name, args...)
	pl.wait(t, 60*time.Second)
	took = time.Since(start)
	if want > 0 {
		if !waitFor(20*time.Second, func() bool { return lineCount(watch.out.String(), nil) >= want }) {
			t.Fatalf("%s %q: watcher saw %d frames, want %d; stderr %q; watcher:\n%s", name, args, lineCount(watch.out.String(), nil), want, pl.errOut.String(), watch.out.String())
		}
	}
	time.Sleep(300 * time.Millisecond)
	watch.stop(t)
	return maskStamps(watch.out.String()), pl.out.String(), pl.exitCode(), took
}

// TestHILPlayVsCanplayer: canplayer and `fieldgate can play` with the same
// options and log put the same frames on the same interfaces (as candump
// sees them) and print the same lines.
func TestHILPlayVsCanplayer(t *testing.T) {
	addVcan(t, "vcanlong0")
	f := writeLog(t, "corpus.log", playLog)
	var spaced strings.Builder
	for i := range 5 {
		fmt.Fprintf(&spaced, "(1700000100.%06d) vcan0 10%d#0%d\n", i*100000, i, i)
	}
	g := writeLog(t, "spaced.log", spaced.String())
	h := writeLog(t, "gap.log", "(1700000000.000000) vcan0 111#01\n(1700001000.000000) vcan0 222#02\n(1600000000.000000) vcan0 333#03\n")
	cases := []struct {
		name    string
		args    []string
		watch   []string
		n       int
		minTime time.Duration
		maxTime time.Duration
	}{
		{"-t -v, two log interfaces to vcan1", []string{"-t", "-v", "-I", f, "vcan1=vcan0", "vcan1=vcanlong0"}, []string{"vcan1,#FFFFFFFF"}, 9, 0, 30 * time.Second},
		{"-t, no assignments", []string{"-t", "-I", f}, []string{"any,#FFFFFFFF"}, 9, 0, 30 * time.Second},
		{"-t -l 3, one interface mapped", []string{"-t", "-l", "3", "-I", f, "vcan1=vcan0"}, []string{"vcan1"}, 15, 0, 30 * time.Second},
		{"-t -v -v, stdout hook", []string{"-t", "-v", "-v", "-I", f, "stdout=vcan0", "vcan1=vcanlong0"}, []string{"vcan1,#FFFFFFFF"}, 4, 0, 30 * time.Second},
		{"timestamps 100 ms apart", []string{"-v", "-I", g, "vcan1=vcan0"}, []string{"vcan1"}, 5, 350 * time.Millisecond, 10 * time.Second},
		{"-g 50 -v", []string{"-g", "50", "-v", "-I", g, "vcan1=vcan0"}, []string{"vcan1"}, 5, 350 * time.Millisecond, 10 * time.Second},
		{"-s 1: skip the 1000 s gap; backwards jump", []string{"-s", "1", "-I", h, "vcan1=vcan0"}, []string{"vcan1"}, 3, 0, 10 * time.Second},
		{"-x: loopback off", []string{"-x", "-t", "-I", f, "vcan1=vcan0"}, []string{"vcan1"}, 0, 0, 30 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			refSeen, refOut, refCode, refTook := playRun(t, c.n, c.watch, "canplayer", c.args...)
			fgSeen, fgOut, fgCode, fgTook := playRun(t, c.n, c.watch, "fieldgate", append([]string{"can", "play"}, c.args...)...)
			if refCode != 0 || fgCode != 0 {
				t.Fatalf("exit status: canplayer %d, fieldgate %d", refCode, fgCode)
			}
			if d := diffText(refSeen, fgSeen); d != "" {
				t.Fatalf("frames on the bus differ at %s", d)
			}
			if got := lineCount(refSeen, nil); got != c.n {
				t.Fatalf("canplayer: the watcher saw %d frames, want %d:\n%s", got, c.n, refSeen)
			}
			if d := diffText(refOut, fgOut); d != "" {
				t.Fatalf("stdout differs at %s", d)
			}
			for who, d := range map[string]time.Duration{"canplayer": refTook, "fieldgate": fgTook} {
				if d < c.minTime || d > c.maxTime {
					t.Errorf("%s took %v, want %v..%v", who, d, c.minTime, c.maxTime)
				}
			}
			t.Logf("identical: %d frames, %d bytes of stdout; canplayer %v, fieldgate %v", c.n, len(refOut), refTook, fgTook)
		})
	}
}
