//go:build linux

// Command guestinit is PID 1 of the rig's guest. It lives in the initramfs
// that hil builds; the product never runs it.
//
// It mounts the host root (shared read-only over 9p) and the run's writable
// exchange folder, switches root to the host root so the host's own
// binaries (can-utils, python3, iproute2) run unchanged, loads the kernel
// modules and creates the CAN interfaces (setup.sh), runs the run's cmd.sh
// with its output on the second serial port, writes the exit status to the
// exchange folder and powers the guest off.
//
// Parameters come from the kernel command line:
//
//	fg.run=DIR   exchange folder (holds cmd.sh; receives rc)
//	fg.kdir=DIR  unpacked kernel package (DIR/lib/modules/VERSION)
//	fg.cwd=DIR   working directory for cmd.sh (the checkout)
//	fg.path=DIR  directory put first on PATH (holds the fieldgate binary)
package main

import (
	"bufio"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

//go:embed setup.sh
var setupScript string

func main() {
	err := run()
	if err != nil {
		logf("guestinit: %v", err)
	}
	unix.Sync()
	// Power off; QEMU exits. If that fails, there is nothing else to do.
	if err := unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF); err != nil {
		logf("guestinit: power off: %v", err)
	}
	select {}
}

// logf writes to the kernel console (the first serial port), which the host
// keeps as the run's console log.
func logf(format string, args ...any) {
	f, err := os.OpenFile("/dev/console", os.O_WRONLY|unix.O_NOCTTY, 0)
	if err != nil {
		return
	}
	fmt.Fprintf(f, format+"\n", args...)
	f.Close()
}

type params struct{ run, kdir, cwd, path string }

func readParams() (params, error) {
	var p params
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return p, err
	}
	for _, f := range strings.Fields(string(b)) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "fg.run":
			p.run = v
		case "fg.kdir":
			p.kdir = v
		case "fg.cwd":
			p.cwd = v
		case "fg.path":
			p.path = v
		}
	}
	if p.run == "" || p.kdir == "" || p.cwd == "" {
		return p, fmt.Errorf("kernel command line lacks fg.run, fg.kdir or fg.cwd: %q", b)
	}
	return p, nil
}

func mount(src, dst, fstype string, flags uintptr, data string) error {
	if err := unix.Mount(src, dst, fstype, flags, data); err != nil {
		return fmt.Errorf("mount %s on %s (%s, %q): %w", src, dst, fstype, data, err)
	}
	return nil
}

func run() error {
	os.MkdirAll("/dev", 0o755)
	os.MkdirAll("/proc", 0o755)
	os.MkdirAll("/sys", 0o755)
	if err := mount("devtmpfs", "/dev", "devtmpfs", 0, ""); err != nil {
		return err
	}
	if err := mount("proc", "/proc", "proc", 0, ""); err != nil {
		return err
	}
	if err := mount("sysfs", "/sys", "sysfs", 0, ""); err != nil {
		return err
	}
	p, err := readParams()
	if err != nil {
		return err
	}
	if err := loadInitramfsModules(); err != nil {
		return err
	}
	const root = "/host"
	os.MkdirAll(root, 0o755)
	if err := mount("hostroot", root, "9p", unix.MS_RDONLY,
		"trans=virtio,version=9p2000.L,msize=524288,cache=loose,access=any"); err != nil {
		return err
	}
	mounts := []struct{ src, dst, fstype, data string }{
		{"devtmpfs", "/dev", "devtmpfs", ""},
		{"proc", "/proc", "proc", ""},
		{"sysfs", "/sys", "sysfs", ""},
		{"devpts", "/dev/pts", "devpts", "newinstance,ptmxmode=0666"},
		{"tmpfs", "/dev/shm", "tmpfs", "mode=1777"},
		{"tmpfs", "/tmp", "tmpfs", "mode=1777"},
		{"tmpfs", "/run", "tmpfs", "mode=755"},
		{"tmpfs", "/var/tmp", "tmpfs", "mode=1777"},
		{"tmpfs", "/root", "tmpfs", "mode=700"},
	}
	// The checkout may live under a folder the guest covers with tmpfs (a
	// CI clone in /tmp, say): hold on to it with a bind mount and put it
	// back on top afterwards.
	const keep = "/keep"
	kept := false
	for _, m := range mounts {
		if m.fstype == "tmpfs" && (p.cwd == m.dst || strings.HasPrefix(p.cwd, m.dst+"/")) {
			os.MkdirAll(keep, 0o755)
			if err := mount(root+p.cwd, keep, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
				return err
			}
			kept = true
			break
		}
	}
	for _, m := range mounts {
		if strings.HasPrefix(m.dst, "/dev/") {
			os.MkdirAll(root+m.dst, 0o755) // devtmpfs is writable; the host root is not
		}
		if err := mount(m.src, root+m.dst, m.fstype, 0, m.data); err != nil {
			return err
		}
	}
	if kept {
		if err := os.MkdirAll(root+p.cwd, 0o755); err != nil {
			return fmt.Errorf("recreate %s on tmpfs: %w", p.cwd, err)
		}
		if err := mount(keep, root+p.cwd, "", unix.MS_MOVE, ""); err != nil {
			return err
		}
	}
	// The exchange folder is writable: mount it over its own path so the
	// guest writes where the host reads.
	if err := mount("xchg", root+p.run, "9p", 0,
		"trans=virtio,version=9p2000.L,msize=524288,access=any"); err != nil {
		return err
	}
	// Switch root the way switch_root does, so kernel helpers (modprobe for
	// crypto and protocol auto-loading) see the same tree as we do.
	if err := os.Chdir(root); err != nil {
		return err
	}
	if err := unix.Mount(".", "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move %s to /: %w", root, err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot: %w", err)
	}
	if err := os.Chdir("/"); err != nil {
		return err
	}

	out, err := os.OpenFile("/dev/ttyS1", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return fmt.Errorf("open output port: %w", err)
	}
	rawTTY(out)

	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	if p.path != "" {
		path = p.path + ":" + path
	}
	env := []string{
		"PATH=" + path, "HOME=/root", "TMPDIR=/tmp", "TERM=dumb", "LANG=C.UTF-8",
		"FIELDGATE_HIL=1", "FIELDGATE_HIL_KDIR=" + p.kdir, "FIELDGATE_HIL_RUN=" + p.run,
	}
	start := time.Now()
	if err := sh(out, env, "/", "-c", setupScript, "setup", p.kdir); err != nil {
		fmt.Fprintf(out, "hil: guest setup failed: %v\n", err)
		return writeRC(p.run, 125)
	}
	fmt.Fprintf(out, "hil: guest ready in %.1fs after init (kernel %s)\n", time.Since(start).Seconds(), kernelRelease())
	rc := 0
	if err := sh(out, env, p.cwd, filepath.Join(p.run, "cmd.sh")); err != nil {
		rc = exitCode(err)
	}
	return writeRC(p.run, rc)
}

func writeRC(dir string, rc int) error {
	return os.WriteFile(filepath.Join(dir, "rc"), []byte(fmt.Sprintf("%d\n", rc)), 0o644)
}

func sh(out *os.File, env []string, dir string, args ...string) error {
	cmd := exec.Command("/bin/sh", args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = out
	cmd.Stderr = out
	// A new session so a test's stray background processes do not keep
	// the console; they die with the guest.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return cmd.Run()
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return 126
}

// rawTTY turns off output post-processing so "\n" is not sent as "\r\n".
func rawTTY(f *os.File) {
	t, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		return
	}
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ICANON | unix.ISIG
	unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, t)
}

func kernelRelease() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return "?"
	}
	return unix.ByteSliceToString(u.Release[:])
}

// loadInitramfsModules loads the modules the initramfs carries (virtio and
// 9p, needed before the host root can be mounted), in the order hil wrote
// to /modules/order.
func loadInitramfsModules() error {
	f, err := os.Open("/modules/order")
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name := strings.TrimSpace(sc.Text())
		if name == "" {
			continue
		}
		m, err := os.Open(filepath.Join("/modules", name))
		if err != nil {
			return err
		}
		err = unix.FinitModule(int(m.Fd()), "", 0)
		m.Close()
		if err != nil && err != unix.EEXIST {
			return fmt.Errorf("load module %s: %w", name, err)
		}
	}
	return sc.Err()
}
