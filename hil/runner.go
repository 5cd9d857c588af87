package hil

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// TestConfig selects which rig tests RunTests runs.
type TestConfig struct {
	Packages []string      // "./can" style paths; empty = every package with hil tests
	Bench    bool          // run benchmarks instead of tests
	Flags    []string      // extra flags for every test binary
	Timeout  time.Duration // for the whole guest run
	Output   io.Writer     // default os.Stdout
}

// HilPackages lists the packages below root that have test files built
// only with the hil tag (first line "//go:build hil").
func HilPackages(root string) ([]string, error) {
	set := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", ".cache", "testdata", "bin":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		line, _ := bufio.NewReader(f).ReadString('\n')
		f.Close()
		if strings.TrimSpace(line) == "//go:build hil" {
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			set["./"+filepath.ToSlash(rel)] = true
		}
		return nil
	})
	var pkgs []string
	for p := range set {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	return pkgs, err
}

// BuildFieldgate builds the fieldgate binary into a fresh folder under the
// rig cache and returns that folder and a function removing it.
func BuildFieldgate(ctx context.Context, p Paths) (string, func(), error) {
	if err := p.mkdirs(); err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp(p.RunsDir(), "bin-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	if err := goCmd(ctx, p, "build", "-o", filepath.Join(dir, "fieldgate"), "./cmd/fieldgate"); err != nil {
		cleanup()
		return "", nil, err
	}
	return dir, cleanup, nil
}

func goCmd(ctx context.Context, p Paths, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = p.Root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("hil: go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// binName turns "./can/cli" into "can_cli.test".
func binName(pkg string) string {
	s := strings.Trim(strings.TrimPrefix(pkg, "./"), "/")
	if s == "" || s == "." {
		s = "root"
	}
	return strings.ReplaceAll(s, "/", "_") + ".test"
}

// RunTests builds the hil test binaries and the fieldgate binary, runs every
// binary inside one guest boot (each in its package directory, so testdata
// works), prints each package's result and a closing line
// "hil: N passed, M failed", and returns exit status 1 if anything failed.
func RunTests(ctx context.Context, p Paths, k Kernel, cfg TestConfig) (int, error) {
	out := cfg.Output
	if out == nil {
		out = os.Stdout
	}
	pkgs := cfg.Packages
	if len(pkgs) == 0 {
		var err error
		if pkgs, err = HilPackages(p.Root); err != nil {
			return 1, err
		}
	}
	for i, pkg := range pkgs {
		if !strings.HasPrefix(pkg, "./") && pkg != "." {
			pkgs[i] = "./" + pkg
		}
		pkgs[i] = strings.TrimSuffix(pkgs[i], "/...")
	}
	if len(pkgs) == 0 {
		return 1, fmt.Errorf("hil: no package has hil tests")
	}
	start := time.Now()
	bin, cleanup, err := BuildFieldgate(ctx, p)
	if err != nil {
		return 1, err
	}
	defer cleanup()
	for _, pkg := range pkgs {
		if err := goCmd(ctx, p, "test", "-c", "-tags", "hil", "-o", filepath.Join(bin, binName(pkg)), pkg); err != nil {
			return 1, err
		}
	}
	fmt.Fprintf(os.Stderr, "hil: built %d test binaries in %.1fs\n", len(pkgs), time.Since(start).Seconds())

	flags := []string{"-test.v", "-test.timeout=10m"}
	if cfg.Bench {
		// The gateway package's rig benchmarks (forwarding, kernel-load
		// latency against can-gw and cannelloni, tunnels, wake-ups) run
		// one after another in one boot and outgrew 20 minutes.
		flags = []string{"-test.run=^$", "-test.bench=.", "-test.benchmem", "-test.timeout=50m"}
	}
	flags = append(flags, cfg.Flags...)
	var script strings.Builder
	script.WriteString("set +e\n")
	for _, pkg := range pkgs {
		if _, err := os.Stat(filepath.Join(bin, binName(pkg))); err != nil {
			// go test -c writes nothing for a package without tests.
			fmt.Fprintf(&script, "echo 'hil-result: %s rc=0 0 notests'\n", pkg)
			continue
		}
		dir := filepath.Join(p.Root, filepath.FromSlash(pkg))
		script.WriteString(resetInterfaces)
		fmt.Fprintf(&script, "echo '=== hil package %s'\n", pkg)
		fmt.Fprintf(&script, "s=$(date +%%s%%N)\n(cd %s && %s %s 2>&1)\nrc=$?\n", dir, filepath.Join(bin, binName(pkg)), shellJoin(flags))
		fmt.Fprintf(&script, "echo \"hil-result: %s rc=$rc $(( ($(date +%%s%%N) - s) / 1000000 ))ms\"\n", pkg)
	}
	tally := newTally(out)
	rc, runErr := Run(ctx, p, k, RunConfig{Script: script.String(), Timeout: cfg.Timeout, Output: tally, BinDir: bin})
	tally.Flush()
	return tally.report(os.Stdout, pkgs, rc, runErr, time.Since(start))
}

// resetInterfaces puts the guest's CAN interfaces back the way the guest
// set them up, so one package's tests cannot leak state (bit rates, control
// modes, a downed or bus-off controller, can-gw rules) into the next.
//
// QEMU 7.2's SJA1000 model never clears its receive FIFO on a reset-mode
// round trip (in PeliCAN mode it stores the new mode before testing for the
// reset-to-operation transition), so after heavy traffic a controller can
// keep a backlog of stale frames that "ip link set down/up" does not clear:
// every new frame then pushes out an old one. So we probe that a frame
// really crosses both ways, and when it does not, unbind and rebind the
// kvaser_pci driver, whose probe resets the card (this does clear it).
const resetInterfaces = `fg_setup_can() {
	for c in can0 can1; do
		ip link set "$c" down 2>/dev/null
		ip link set "$c" type can bitrate 500000 restart-ms 0 loopback off listen-only off triple-sampling off one-shot off berr-reporting off ||
			echo "hil: could not reset $c"
		ip link set "$c" up
	done
}
fg_rebind_can() {
	for d in /sys/bus/pci/drivers/kvaser_pci/0000:*; do
		[ -e "$d" ] || continue
		echo -n "${d##*/}" >/sys/bus/pci/drivers/kvaser_pci/unbind
		echo -n "${d##*/}" >/sys/bus/pci/drivers/kvaser_pci/bind
	done
}
fg_can_crosses() {
	candump -n1 -T 3000 "$2,7E5:7FF" >/tmp/fg-probe 2>&1 &
	p=$!
	sleep 1
	cansend "$1" 7E5#5A
	wait $p
	grep -q "7E5.*5A" /tmp/fg-probe
}
fg_setup_can
for try in 1 2 3; do
	fg_can_crosses can0 can1 && fg_can_crosses can1 can0 && break
	echo "hil: can0/can1 do not pass frames after a reset (QEMU SJA1000 FIFO backlog): rebinding kvaser_pci (try $try)"
	fg_rebind_can
	fg_setup_can
done
for v in vcan0 vcan1 vxcan0 vxcan1; do ip link set "$v" up 2>/dev/null || echo "hil: $v missing"; done
cangw -F >/dev/null 2>&1
`

func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// tally passes output through and counts top-level test results and
// per-package exit statuses.
type tally struct {
	w        io.Writer
	mu       sync.Mutex
	buf      bytes.Buffer
	pass     int
	fail     int
	skip     int
	failed   []string
	results  map[string]string
	current  string
	curTests []string
}

var resultRE = regexp.MustCompile(`^hil-result: (\S+) rc=(-?\d+) ?(\S*)`)

func newTally(w io.Writer) *tally { return &tally{w: w, results: map[string]string{}} }

func (t *tally) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(b)
	for {
		i := bytes.IndexByte(t.buf.Bytes(), '\n')
		if i < 0 {
			break
		}
		line := string(t.buf.Next(i + 1))
		t.line(strings.TrimRight(line, "\r\n"))
		if _, err := io.WriteString(t.w, line); err != nil {
			return len(b), err
		}
	}
	return len(b), nil
}

// Flush passes on a last unterminated line.
func (t *tally) Flush() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.buf.Len() > 0 {
		line := t.buf.String()
		t.buf.Reset()
		t.line(line)
		io.WriteString(t.w, line+"\n")
	}
}

func (t *tally) line(l string) {
	switch {
	case strings.HasPrefix(l, "=== hil package "):
		t.current = strings.TrimPrefix(l, "=== hil package ")
	case strings.HasPrefix(l, "--- PASS: "):
		t.pass++
	case strings.HasPrefix(l, "--- SKIP: "):
		t.skip++
	case strings.HasPrefix(l, "--- FAIL: "):
		t.fail++
		name := strings.Fields(strings.TrimPrefix(l, "--- FAIL: "))
		if len(name) > 0 {
			t.failed = append(t.failed, t.current+" "+name[0])
		}
	case resultRE.MatchString(l):
		m := resultRE.FindStringSubmatch(l)
		t.results[m[1]] = m[2] + " " + m[3]
	}
}

func (t *tally) report(w io.Writer, pkgs []string, rc int, runErr error, took time.Duration) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	bad := 0
	fmt.Fprintln(w, "hil: results")
	for _, pkg := range pkgs {
		r, ok := t.results[pkg]
		f := strings.Fields(r)
		switch {
		case !ok:
			bad++
			fmt.Fprintf(w, "hil: FAIL %s (no result: the guest stopped before it finished)\n", pkg)
		case f[0] != "0":
			bad++
			fmt.Fprintf(w, "hil: FAIL %s (exit status %s)\n", pkg, f[0])
		default:
			secs := ""
			if len(f) > 1 {
				if ms, err := strconv.ParseFloat(strings.TrimSuffix(f[1], "ms"), 64); err == nil {
					secs = fmt.Sprintf(" (%.1fs)", ms/1000)
				} else if f[1] == "notests" {
					secs = " (no test files)"
				}
			}
			fmt.Fprintf(w, "hil: ok   %s%s\n", pkg, secs)
		}
	}
	for _, f := range t.failed {
		fmt.Fprintf(w, "hil: failed test %s\n", f)
	}
	fails := t.fail
	if bad > 0 && fails == 0 {
		fails = bad // a crashed binary failed without a --- FAIL line
	}
	fmt.Fprintf(w, "hil: %d packages in %.0fs\n", len(pkgs), took.Seconds())
	fmt.Fprintf(w, "hil: %d passed, %d failed, %d skipped\n", t.pass, fails, t.skip)
	if runErr != nil {
		return 1, runErr
	}
	if bad > 0 || rc != 0 {
		return 1, nil
	}
	return 0, nil
}
