package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary run TestCLIHelper as `fieldgate
// SUBCOMMAND ARGS...` (the arguments after --): with cmd/fieldgate's signal handling (SIGINT and
// SIGTERM end the context) and its exit status (an error's ExitCode, else 1).
const helperEnv = "FIELDGATE_CLI_HELPER"

// TestCLIHelper is not a test: it is the subprocess of the signal tests.
func TestCLIHelper(t *testing.T) {
	args := flag.Args()
	if os.Getenv(helperEnv) == "" || len(args) == 0 {
		t.Skip("subprocess of TestCheckExitsOnSignal")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	fmt.Fprintln(os.Stdout, "ready")
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) error{"check": Check, "run": Run}
	err := cmds[args[0]](ctx, args[1:], os.Stdout, os.Stderr)
	stop()
	if err == nil {
		os.Exit(0)
	}
	fmt.Fprintf(os.Stderr, "fieldgate %s: %v\n", args[0], err)
	var ec interface{ ExitCode() int }
	if errors.As(err, &ec) {
		os.Exit(ec.ExitCode())
	}
	os.Exit(1)
}

// hugeConfig writes a configuration of about size bytes that takes seconds
// to load.
func hugeConfig(t *testing.T, size int) string {
	var b strings.Builder
	b.WriteString("endpoints:\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "  e%d: {kind: udp, listen: \"127.0.0.1:%d\", mtu: 1400}\n  l%d: {kind: log, path: /tmp/%d.log}\n", i, 1+i%60000, i, i)
	}
	b.WriteString("routes: []\n")
	file := filepath.Join(t.TempDir(), "huge.yaml")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestCheckExitsOnSignal starts `fieldgate check` and `fieldgate run` on a
// file that takes seconds to load, sends SIGTERM (or SIGINT) 100 ms after
// the process is ready, and wants it gone within a second, with exit
// status 128 + the signal's number.
func TestCheckExitsOnSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a 5 MB file")
	}
	file := hugeConfig(t, 5<<20)
	for _, tc := range []struct {
		cmd  string
		sig  syscall.Signal
		code int
	}{
		{"check", syscall.SIGTERM, 143},
		{"run", syscall.SIGTERM, 143},
		{"check", syscall.SIGINT, 130},
	} {
		t.Run(fmt.Sprintf("%s %v", tc.cmd, tc.sig), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestCLIHelper$", "--", tc.cmd, "-c", file)
			cmd.Env = append(os.Environ(), helperEnv+"=1")
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
				t.Fatalf("helper said %q, %v", line, err)
			}
			go io.Copy(io.Discard, out)
			time.Sleep(100 * time.Millisecond)
			sent := time.Now()
			cmd.Process.Signal(tc.sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(time.Second):
				t.Fatalf("still running 1 s after %v", tc.sig)
			}
			took := time.Since(sent)
			if got := cmd.ProcessState.ExitCode(); got != tc.code {
				t.Fatalf("exit status %d, want %d; stderr:\n%.2000s", got, tc.code, stderr.String())
			}
			if want := "loading stopped: " + tc.sig.String() + " signal received"; !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr %q does not say %q", stderr.String(), want)
			}
			t.Logf("exited %v after %v", tc.sig, took)
		})
	}
}
