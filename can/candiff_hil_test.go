//go:build hil

package can

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Helpers of the differential tests against can-utils: a can-utils tool
// and `fieldgate can ...` run side by side with the same arguments, in
// their own working folders, and their outputs are compared byte for byte.

// syncBuf is a bytes.Buffer safe for a writer process and a reading test.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// tool is one running program of a differential test.
type tool struct {
	name   string
	cmd    *exec.Cmd
	dir    string
	out    syncBuf
	errOut syncBuf
	stdin  io.WriteCloser
	done   chan struct{}
	err    error
}

// startTool starts name with args in a fresh working folder and waits
// until it has registered at least sockets more CAN receive filters
// (see canReceivers) and their number has been stable for a while: the
// tool is bound then and misses no frame. sockets 0 skips the wait.
func startTool(t *testing.T, sockets int, name string, args ...string) *tool {
	t.Helper()
	before := canReceivers(t)
	tl := &tool{name: name, dir: t.TempDir(), done: make(chan struct{})}
	tl.cmd = exec.Command(name, args...)
	tl.cmd.Dir = tl.dir
	tl.cmd.Stdout = &tl.out
	tl.cmd.Stderr = &tl.errOut
	// An open, silent standard input (isotpsniffer quits on input).
	stdin, err := tl.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	tl.stdin = stdin
	if err := tl.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	go func() {
		tl.err = tl.cmd.Wait()
		close(tl.done)
	}()
	t.Cleanup(func() {
		select {
		case <-tl.done:
		default:
			tl.cmd.Process.Kill()
			<-tl.done
		}
	})
	if sockets == 0 {
		return tl
	}
	deadline := time.Now().Add(20 * time.Second)
	last, stable := -1, 0
	for {
		n := canReceivers(t)
		if n >= before+sockets && n == last {
			stable++
			if stable >= 3 {
				return tl
			}
		} else {
			stable = 0
		}
		last = n
		select {
		case <-tl.done:
			t.Fatalf("%s %q exited before it was ready: %v\nstdout: %s\nstderr: %s", name, args, tl.err, tl.out.String(), tl.errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %q: receive filters %d -> %d, want %d more", name, args, before, n, sockets)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// canReceivers counts the sockets' entries in the kernel's CAN receive
// lists (/proc/net/can/rcvlist_*): each bound CAN_RAW socket (and each
// ISO-TP socket) has at least one.
func canReceivers(t *testing.T) int {
	t.Helper()
	files, _ := filepath.Glob("/proc/net/can/rcvlist_*")
	if len(files) == 0 {
		t.Fatal("no /proc/net/can/rcvlist_*")
	}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); strings.HasSuffix(l, " raw") || strings.HasSuffix(l, " isotp") {
				n++
			}
		}
	}
	return n
}

// stop sends SIGINT and waits for the exit.
func (tl *tool) stop(t *testing.T) {
	t.Helper()
	tl.cmd.Process.Signal(syscall.SIGINT)
	tl.wait(t, 10*time.Second)
}

// wait waits up to d for the tool to exit.
func (tl *tool) wait(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-tl.done:
	case <-time.After(d):
		tl.cmd.Process.Kill()
		<-tl.done
		t.Fatalf("%s did not exit within %v; stdout so far:\n%s", tl.name, d, tl.out.String())
	}
}

func (tl *tool) exitCode() int {
	var ee *exec.ExitError
	if errors.As(tl.err, &ee) {
		return ee.ExitCode()
	}
	if tl.err != nil {
		return -1
	}
	return 0
}

// diffText reports the first differing line of want (the can-utils tool's)
// and got (fieldgate's), or "" when they are byte-identical.
func diffText(want, got string) string {
	if want == got {
		return ""
	}
	wl, gl := strings.SplitAfter(want, "\n"), strings.SplitAfter(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  can-utils: %q\n  fieldgate: %q\n(%d vs %d bytes; can-utils output:\n%s\nfieldgate output:\n%s)", i+1, w, g, len(want), len(got), want, got)
		}
	}
	return "differ"
}

// waitFor polls cond every 10 ms until it holds or d has passed.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// lineCount counts lines of s for which keep is true.
func lineCount(s string, keep func(string) bool) int {
	n := 0
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if keep == nil || keep(sc.Text()) {
			n++
		}
	}
	return n
}

// addVcan creates a vcan interface for the test and removes it after.
func addVcan(t *testing.T, name string) {
	t.Helper()
	exec.Command("ip", "link", "del", name).Run()
	for _, args := range [][]string{{"link", "add", "name", name, "type", "vcan"}, {"link", "set", name, "up"}} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v %s", args, err, out)
		}
	}
	t.Cleanup(func() { exec.Command("ip", "link", "del", name).Run() })
}

func runOK(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", name, args, err, out)
	}
	return string(out)
}
