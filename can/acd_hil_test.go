//go:build hil

package can

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// acdRun is one run of the address claiming scenario with two claimers:
// first (NAME 0x1000) and second (NAME 0x2000), each j1939acd or
// `fieldgate can j1939 acd`. It returns the frames on vcan0 phase by
// phase (sorted within a phase, times masked), the two status dumps
// (SIGUSR1) and the two cache files.
func acdRun(t *testing.T, first, second string) (phases [][]string, status, caches [2]string) {
	t.Helper()
	dir := t.TempDir()
	watch := startTool(t, 1, "candump", "-L", "vcan0")
	lines := func() []string {
		s := strings.TrimSpace(maskStamps(watch.out.String()))
		if s == "" {
			return nil
		}
		return strings.Split(s, "\n")
	}
	seen := 0
	phase := func(name string, want int) {
		t.Helper()
		if !waitFor(10*time.Second, func() bool { return len(lines()) >= seen+want }) {
			t.Fatalf("%s/%s, %s: %d frames, want %d more:\n%s", first, second, name, len(lines())-seen, want, strings.Join(lines()[seen:], "\n"))
		}
		time.Sleep(300 * time.Millisecond) // nothing more must come
		got := lines()[seen:]
		if len(got) != want {
			t.Fatalf("%s/%s, %s: %d frames, want %d:\n%s", first, second, name, len(got), want, strings.Join(got, "\n"))
		}
		slices.Sort(got)
		phases = append(phases, got)
		seen += want
	}
	start := func(who, name, cache string) *tool {
		args := []string{"-r", "0x80-0x82", "-c", cache, name, "vcan0"}
		if who == "fieldgate" {
			args = append([]string{"can", "j1939", "acd"}, args...)
		} else {
			who = "j1939acd"
		}
		return startTool(t, 0, who, args...)
	}
	cacheA, cacheB := filepath.Join(dir, "a.jacd"), filepath.Join(dir, "b.jacd")
	a := start(first, "1000", cacheA)
	phase("first starts: request, claim of 0x80", 2)
	b := start(second, "2000", cacheB)
	phase("second starts: request, first answers, second claims 0x81", 3)
	runOK(t, "cansend", "vcan0", "18EAFFFE#00EE00")
	phase("a request for address claims: both answer", 3)
	runOK(t, "cansend", "vcan0", "18EEFF81#0001000000000000")
	phase("NAME 0x100 takes 0x81: second moves to 0x82", 2)
	runOK(t, "cansend", "vcan0", "18EEFF80#0090000000000000")
	phase("NAME 0x9000 claims 0x80: first defends it", 2)
	for i, tl := range []*tool{a, b} {
		n := len(tl.out.String())
		tl.cmd.Process.Signal(syscall.SIGUSR1)
		if !waitFor(10*time.Second, func() bool { return len(tl.out.String()) > n }) {
			t.Fatalf("%s: no status on SIGUSR1", tl.name)
		}
		time.Sleep(200 * time.Millisecond)
		status[i] = tl.out.String()[n:]
	}
	a.cmd.Process.Signal(syscall.SIGTERM)
	a.wait(t, 10*time.Second)
	phase("first stops: claims 0xFE", 1)
	b.cmd.Process.Signal(syscall.SIGTERM)
	b.wait(t, 10*time.Second)
	phase("second stops: claims 0xFE", 1)
	watch.stop(t)
	for i, p := range []string{cacheA, cacheB} {
		body, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("cache: %v", err)
		}
		// The first line holds the date.
		_, rest, _ := strings.Cut(string(body), "\n")
		caches[i] = rest
	}
	if a.exitCode() != 0 || b.exitCode() != 0 {
		t.Fatalf("exit: %d %d; stderr %q %q", a.exitCode(), b.exitCode(), a.errOut.String(), b.errOut.String())
	}
	return phases, status, caches
}

// TestHILACDVsJ1939acd runs the same address claiming scenario twice:
// j1939acd first and fieldgate second, then the other way round. The
// frames on the bus, each role's address table (SIGUSR1) and cache file
// must be the same whichever program plays the role.
func TestHILACDVsJ1939acd(t *testing.T) {
	p1, s1, c1 := acdRun(t, "j1939acd", "fieldgate")
	p2, s2, c2 := acdRun(t, "fieldgate", "j1939acd")
	p3, s3, c3 := acdRun(t, "j1939acd", "j1939acd")
	for i := range p1 {
		if d := diffText(strings.Join(p3[i], "\n"), strings.Join(p1[i], "\n")); d != "" {
			t.Errorf("phase %d, fieldgate second: %s", i, d)
		}
		if d := diffText(strings.Join(p3[i], "\n"), strings.Join(p2[i], "\n")); d != "" {
			t.Errorf("phase %d, fieldgate first: %s", i, d)
		}
	}
	for role := range 2 {
		for _, r := range []struct {
			s, c string
		}{{s1[role], c1[role]}, {s2[role], c2[role]}} {
			if d := diffText(s3[role], r.s); d != "" {
				t.Errorf("role %d status: %s", role, d)
			}
			if r.c != c3[role] {
				t.Errorf("role %d cache %q, j1939acd's %q", role, r.c, c3[role])
			}
		}
	}
	t.Logf("bus:\n%v\nstatus first:\n%s\nstatus second:\n%s\ncaches %q", p3, s3[0], s3[1], c3)
}
