package peer

import (
	"fmt"
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
