package peer

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// fatalTB records a Fatalf instead of failing the real test.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// endTB keeps a test's cleanups, logs and failure to itself; end runs
// the cleanups as the end of a test does.
type endTB struct {
	testing.TB
	failed   bool
	logs     []string
	cleanups []func()
}

func (e *endTB) Helper()          {}
func (e *endTB) Failed() bool     { return e.failed }
func (e *endTB) Cleanup(f func()) { e.cleanups = append(e.cleanups, f) }
func (e *endTB) Logf(format string, args ...any) {
	e.logs = append(e.logs, fmt.Sprintf(format, args...))
}

// end runs the cleanups, last first, and reports whether they finished
// within d.
func (e *endTB) end(d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := len(e.cleanups) - 1; i >= 0; i-- {
			e.cleanups[i]()
		}
	}()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// run calls fn on its own goroutine so that Goexit ends only fn.
func run(fn func()) {
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	<-done
}

func TestLinesExpectFields(t *testing.T) {
	p := Start(t, "sh", "-c", `echo " one "; echo noise >&2; echo skip; echo "key a b"; read x; echo "got $x"`)
	if s := p.Line(t, 5*time.Second); s != "one" {
		t.Fatalf("Line = %q, want %q", s, "one")
	}
	if f := p.Fields(t, "key", 5*time.Second); strings.Join(f, ",") != "a,b" {
		t.Fatalf("Fields = %q, want [a b]", f)
	}
	fmt.Fprintln(p.In(), "hello")
	if s := p.Expect(t, "got", 5*time.Second); s != "got hello" {
		t.Fatalf("Expect = %q", s)
	}
	p.Wait()
	if got := p.Stderr(); got != "noise\n" {
		t.Fatalf("Stderr = %q, want %q (kept apart from lines)", got, "noise\n")
	}
	if got := p.Output(); got != " one \nskip\nkey a b\ngot hello\n" {
		t.Fatalf("Output = %q", got)
	}
}

func TestMergedReadsStderrAsLines(t *testing.T) {
	p := StartMerged(t, "sh", "-c", `echo err >&2`)
	if s := p.Line(t, 5*time.Second); s != "err" {
		t.Fatalf("Line = %q, want %q", s, "err")
	}
}

func TestEndedPeerFailsWithItsOutput(t *testing.T) {
	p := Start(t, "sh", "-c", `echo last; echo why >&2; exit 3`)
	p.Wait()
	f := &fatalTB{TB: t}
	run(func() { p.Expect(f, "never", 5*time.Second) })
	if !strings.Contains(f.msg, `ended without "never"`) || !strings.Contains(f.msg, "last") || !strings.Contains(f.msg, "why") {
		t.Fatalf("failure message %q: want the missing line, output and stderr", f.msg)
	}
}

func TestSilentPeerTimesOut(t *testing.T) {
	p := Start(t, "sleep", "10")
	f := &fatalTB{TB: t}
	start := time.Now()
	run(func() { p.Line(f, 100*time.Millisecond) })
	if !strings.Contains(f.msg, "no line from") || time.Since(start) > 5*time.Second {
		t.Fatalf("failure %q after %v: want a timeout after 100ms", f.msg, time.Since(start))
	}
}

func TestStartEnvAddsToEnvironment(t *testing.T) {
	t.Setenv("PEER_TEST_INHERITED", "kept")
	p := StartEnv(t, []string{"PEER_TEST_ADDED=a b"}, "sh", "-c", `echo "$PEER_TEST_ADDED"; echo "$PEER_TEST_INHERITED"`)
	if s := p.Line(t, 5*time.Second); s != "a b" {
		t.Fatalf("added variable: %q, want %q", s, "a b")
	}
	if s := p.Line(t, 5*time.Second); s != "kept" {
		t.Fatalf("inherited variable: %q, want %q", s, "kept")
	}
}

func TestRun(t *testing.T) {
	if out := Run(t, "sh", "-c", `echo out; echo err >&2`); out != "out\nerr\n" {
		t.Fatalf("Run = %q, want both streams", out)
	}
	f := &fatalTB{TB: t}
	run(func() { Run(f, "sh", "-c", `echo why; exit 3`) })
	if !strings.Contains(f.msg, "exit status 3") || !strings.Contains(f.msg, "why") {
		t.Fatalf("failure message %q: want the exit status and the output", f.msg)
	}
}

func TestNextDrainCount(t *testing.T) {
	p := Start(t, "sh", "-c", `echo ready; read x; echo 1; echo 2; echo 3; echo 4; read x; seq 5`)
	if s, ok := p.Next(t, 5*time.Second); !ok || s != "ready" {
		t.Fatalf("Next = %q %v, want ready", s, ok)
	}
	start := time.Now()
	if s, ok := p.Next(t, 100*time.Millisecond); ok || time.Since(start) > 5*time.Second {
		t.Fatalf("Next from a silent peer = %q %v after %v, want false after 100ms", s, ok, time.Since(start))
	}
	fmt.Fprintln(p.In(), "go")
	for deadline := time.Now().Add(5 * time.Second); len(p.lines) < 4; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of 4 lines read", len(p.lines))
		}
	}
	if n := p.Drain(); n != 4 {
		t.Fatalf("Drain = %d, want 4", n)
	}
	if n := p.Count(1, 100*time.Millisecond); n != 0 {
		t.Fatalf("Count from a silent peer = %d", n)
	}
	fmt.Fprintln(p.In(), "go")
	if n := p.Count(10, 5*time.Second); n != 5 {
		t.Fatalf("Count = %d, want the 5 lines before the peer ended", n)
	}
	f := &fatalTB{TB: t}
	run(func() { p.Next(f, 5*time.Second) })
	if !strings.Contains(f.msg, "ended") {
		t.Fatalf("Next on an ended peer: %q, want a failure", f.msg)
	}
}

func TestExpectPrefix(t *testing.T) {
	p := Start(t, "sh", "-c", `echo "unexpected x (want ready)"; echo "ready 1"`)
	if s := p.ExpectPrefix(t, "ready", 5*time.Second); s != "ready 1" {
		t.Fatalf("ExpectPrefix = %q, want %q", s, "ready 1")
	}
}

func TestSignal(t *testing.T) {
	p := Start(t, "sh", "-c", `trap 'echo stopped; exit 0' INT; echo up; while :; do sleep 0.1; done`)
	p.Expect(t, "up", 5*time.Second)
	if err := p.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	p.Expect(t, "stopped", 5*time.Second)
	p.Wait()
}

// A peer that printed more than anyone read is still stopped when the
// test ends.
func TestCleanupWithUnreadLines(t *testing.T) {
	e := &endTB{TB: t}
	p := Start(e, "seq", "1000000")
	for deadline := time.Now().Add(10 * time.Second); len(p.lines) < cap(p.lines); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d lines read", len(p.lines))
		}
	}
	if !e.end(10 * time.Second) {
		t.Fatal("cleanup blocked on lines nobody read")
	}
}

func TestFailedTestLogsStderr(t *testing.T) {
	for _, failed := range []bool{false, true} {
		e := &endTB{TB: t, failed: failed}
		p := Start(e, "sh", "-c", `echo why >&2`)
		p.Wait()
		if !e.end(10 * time.Second) {
			t.Fatal("cleanup blocked")
		}
		logged := strings.Join(e.logs, "")
		if failed && !strings.Contains(logged, "sh stderr:\nwhy") || !failed && logged != "" {
			t.Fatalf("failed=%v: logged %q", failed, logged)
		}
	}
}
