package hil

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// RunConfig describes a command to run in a fresh guest.
type RunConfig struct {
	Script   string        // shell script, run by /bin/sh in the guest
	Timeout  time.Duration // the guest is killed after this long; default 10 minutes
	Output   io.Writer     // the script's output, live; default os.Stdout
	Progress io.Writer     // rig messages; default os.Stderr
	BinDir   string        // first on the guest's PATH (holds fieldgate); may be empty
	Keep     bool          // keep the exchange folder after the run
}

// ErrGuestTimeout is returned (wrapped) when a guest does not finish in time.
var ErrGuestTimeout = errors.New("guest did not finish in time")

// Run boots a guest, runs cfg.Script in it and returns the script's exit
// status. The error is non-nil only when the rig itself failed: the guest
// could not boot, crashed before writing an exit status, or timed out.
func Run(ctx context.Context, p Paths, k Kernel, cfg RunConfig) (int, error) {
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Minute
	}
	if cfg.Output == nil {
		cfg.Output = os.Stdout
	}
	if cfg.Progress == nil {
		cfg.Progress = os.Stderr
	}
	if err := p.mkdirs(); err != nil {
		return -1, err
	}
	dir, err := os.MkdirTemp(p.RunsDir(), time.Now().Format("20060102-150405-"))
	if err != nil {
		return -1, err
	}
	if !cfg.Keep {
		defer os.RemoveAll(dir)
	}
	if err := os.WriteFile(filepath.Join(dir, "cmd.sh"), []byte(cfg.Script), 0o755); err != nil {
		return -1, err
	}
	initrd, err := BuildInitramfs(ctx, p, k, dir)
	if err != nil {
		return -1, err
	}
	bin := cfg.BinDir
	if bin == "" {
		bin = dir
	}
	extra, err := extraCmdline()
	if err != nil {
		return -1, err
	}
	boot := BootConfig{
		Kernel: k, Initramfs: initrd, RunDir: dir, Cwd: p.Root, BinDir: bin,
		KVM: kvmRequested(), Console: filepath.Join(dir, "console.log"), ExtraCmdline: extra,
	}
	args, err := qemuArgs(boot)
	if err != nil {
		return -1, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return -1, err
	}
	cmd := exec.Command("qemu-system-x86_64", args...)
	cmd.ExtraFiles = []*os.File{pw}
	var qemuErr bytes.Buffer
	cmd.Stdout = &qemuErr
	cmd.Stderr = &qemuErr
	cmd.SysProcAttr = dieWithParent()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return -1, fmt.Errorf("hil: start qemu: %w", err)
	}
	pw.Close()
	copied := make(chan struct{})
	go func() {
		io.Copy(cfg.Output, pr)
		close(copied)
	}()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()

	var waitErr error
	timer := time.NewTimer(cfg.Timeout)
	defer timer.Stop()
	select {
	case waitErr = <-waited:
	case <-timer.C:
		cmd.Process.Kill()
		<-waited
		<-copied
		pr.Close()
		return -1, fmt.Errorf("hil: %w: no exit status after %v, guest killed; last console lines:\n%s",
			ErrGuestTimeout, cfg.Timeout, tail(boot.Console, 20))
	case <-ctx.Done():
		cmd.Process.Kill()
		<-waited
		<-copied
		pr.Close()
		return -1, fmt.Errorf("hil: guest killed: %w", ctx.Err())
	}
	<-copied
	pr.Close()
	b, err := os.ReadFile(filepath.Join(dir, "rc"))
	if err != nil {
		return -1, fmt.Errorf("hil: guest ended after %.1fs without an exit status (qemu: %v %s); last console lines:\n%s",
			time.Since(start).Seconds(), waitErr, strings.TrimSpace(qemuErr.String()), tail(boot.Console, 30))
	}
	rc, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -1, fmt.Errorf("hil: guest wrote a malformed exit status %q", b)
	}
	fmt.Fprintf(cfg.Progress, "hil: guest finished in %.1fs, exit status %d\n", time.Since(start).Seconds(), rc)
	return rc, nil
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no console log: " + err.Error() + ")"
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return "(the kernel console printed nothing: loglevel=4 shows only warnings and worse)"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
