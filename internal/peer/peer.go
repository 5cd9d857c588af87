// Package peer runs the real programs rig tests talk to (Debian's
// /usr/bin/python3, socat, l2test, rctest …) and reads what they print,
// line by line, with a deadline per line: a peer that crashed or hangs
// fails the test with everything it printed instead of blocking it.
//
// It replaces the copy of this helper each family package's rig tests
// used to carry.
package peer

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Python is the interpreter rig tests use as the CPython peer.
const Python = "/usr/bin/python3"

// A Process is a running peer program. Its standard output is read as
// lines (and its standard error too when started with StartMerged); all of
// it is kept for failure messages.
type Process struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan string

	mu     sync.Mutex
	out    strings.Builder // every line read, in order
	stderr strings.Builder // standard error, when not merged
	done   chan struct{}   // closed once the output is read to its end
}

// Start runs name with args. Its standard error is kept apart (Stderr) so
// that warnings cannot be mistaken for output lines. The process is killed
// when the test ends, and a failed test logs its standard error.
func Start(t testing.TB, name string, args ...string) *Process {
	t.Helper()
	return start(t, false, nil, name, args...)
}

// StartEnv is Start with env ("KEY=value" entries) added to the test
// process's environment, for a helper process that is the test binary
// itself.
func StartEnv(t testing.TB, env []string, name string, args ...string) *Process {
	t.Helper()
	return start(t, false, env, name, args...)
}

// StartMerged is Start with standard error read as lines too, for tools
// that report on either stream (l2test, rctest).
func StartMerged(t testing.TB, name string, args ...string) *Process {
	t.Helper()
	return start(t, true, nil, name, args...)
}

// StartPython runs script with /usr/bin/python3 -u (unbuffered, so each
// print arrives at once); args become sys.argv[1:].
func StartPython(t testing.TB, script string, args ...string) *Process {
	t.Helper()
	return Start(t, Python, append([]string{"-u", "-c", script}, args...)...)
}

type stderrWriter struct{ p *Process }

func (w stderrWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.stderr.Write(b)
}

func start(t testing.TB, merged bool, env []string, name string, args ...string) *Process {
	t.Helper()
	p := &Process{cmd: exec.Command(name, args...), lines: make(chan string, 256), done: make(chan struct{})}
	if env != nil {
		p.cmd.Env = append(os.Environ(), env...)
	}
	in, err := p.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.in = in
	r, w := io.Pipe()
	p.cmd.Stdout = w
	if merged {
		p.cmd.Stderr = w
	} else {
		p.cmd.Stderr = stderrWriter{p}
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		defer close(p.done)
		defer close(p.lines)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.out.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			p.lines <- strings.TrimSpace(sc.Text())
		}
		io.Copy(io.Discard, r) // a line over 4 MiB: keep the pipe flowing
	}()
	go func() { p.cmd.Wait(); w.Close() }()
	t.Cleanup(func() {
		p.in.Close()
		p.cmd.Process.Kill()
		for range p.lines {
			// Lines nobody read: the reader must reach the end.
		}
		<-p.done
		if e := p.Stderr(); t.Failed() && e != "" {
			t.Logf("%s stderr:\n%s", name, e)
		}
	})
	return p
}

// Run runs name with args to its end and returns what it printed
// (standard output and error together), for one-shot tools (cansend,
// canplayer, cangw). It fails the test with that output if the program
// cannot start or exits unsuccessfully.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// In is the peer's standard input.
func (p *Process) In() io.Writer { return p.in }

// CloseInput closes the peer's standard input (EOF for the peer).
func (p *Process) CloseInput() error { return p.in.Close() }

// Wait waits until the peer has exited and its output is read.
func (p *Process) Wait() { <-p.done }

// Signal sends sig to the peer: os.Interrupt to have it stop cleanly,
// os.Kill.
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Name is the program's path.
func (p *Process) Name() string { return p.cmd.Path }

// Output returns every line read so far (and standard error when merged).
func (p *Process) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// Stderr returns what the peer wrote to standard error (empty when
// merged: see Output).
func (p *Process) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

func (p *Process) report() string {
	s := "output:\n" + p.Output()
	if e := p.Stderr(); e != "" {
		s += "stderr:\n" + e
	}
	return s
}

// Line returns the next line, trimmed. It fails the test if the peer ends
// first or prints nothing for d (Python starts slowly under TCG).
func (p *Process) Line(t testing.TB, d time.Duration) string {
	t.Helper()
	select {
	case s, ok := <-p.lines:
		if !ok {
			t.Fatalf("%s ended; %s", p.cmd.Path, p.report())
		}
		return s
	case <-time.After(d):
		t.Fatalf("no line from %s in %v; %s", p.cmd.Path, d, p.report())
	}
	return ""
}

// Next is Line for a peer that may stay silent: ok is false if it prints
// nothing for d (a readiness probe to send again, or no line where none
// is expected). A peer that ends first still fails the test.
func (p *Process) Next(t testing.TB, d time.Duration) (line string, ok bool) {
	t.Helper()
	select {
	case s, open := <-p.lines:
		if !open {
			t.Fatalf("%s ended; %s", p.cmd.Path, p.report())
		}
		return s, true
	case <-time.After(d):
		return "", false
	}
}

// Drain discards the lines read but not yet returned (the echoes of a
// readiness probe) and returns how many there were.
func (p *Process) Drain() int {
	n := 0
	for {
		select {
		case _, ok := <-p.lines:
			if !ok {
				return n
			}
			n++
		default:
			return n
		}
	}
}

// Count reads lines until n have come, d has passed or the peer has
// ended, and returns how many came. It does not fail the test: the caller
// compares the count with what was sent (candump -n N seeing N frames).
func (p *Process) Count(n int, d time.Duration) int {
	got := 0
	timeout := time.After(d)
	for got < n {
		select {
		case _, ok := <-p.lines:
			if !ok {
				return got
			}
			got++
		case <-timeout:
			return got
		}
	}
	return got
}

// Expect returns the first line containing want, skipping others; it
// fails the test if the peer ends first or no such line comes within d.
func (p *Process) Expect(t testing.TB, want string, d time.Duration) string {
	t.Helper()
	return p.expect(t, want, func(s string) bool { return strings.Contains(s, want) }, d)
}

// ExpectPrefix is Expect for the first line that begins with prefix, for
// a peer whose other lines may contain it ("unexpected ... (want ready)").
func (p *Process) ExpectPrefix(t testing.TB, prefix string, d time.Duration) string {
	t.Helper()
	return p.expect(t, prefix, func(s string) bool { return strings.HasPrefix(s, prefix) }, d)
}

func (p *Process) expect(t testing.TB, want string, match func(string) bool, d time.Duration) string {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case s, ok := <-p.lines:
			if !ok {
				t.Fatalf("%s ended without %q; %s", p.cmd.Path, want, p.report())
			}
			if match(s) {
				return s
			}
		case <-timeout:
			t.Fatalf("no %q from %s in %v; %s", want, p.cmd.Path, d, p.report())
		}
	}
}

// Fields returns the words after key of the first line whose first word
// is key.
func (p *Process) Fields(t testing.TB, key string, d time.Duration) []string {
	t.Helper()
	for {
		if f := strings.Fields(p.Expect(t, key, d)); len(f) > 0 && f[0] == key {
			return f[1:]
		}
	}
}
