//go:build hil

package gateway

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	wkGap    = flag.Duration("fg.wkgap", 20*time.Millisecond, "BenchmarkHILWakeupCost: gap between frames of the BCM job")
	wkFrames = flag.Int("fg.wkframes", 250, "BenchmarkHILWakeupCost: frames per run")
	wkRounds = flag.Int("fg.wkrounds", 5, "BenchmarkHILWakeupCost: rounds (each forwarder once per round)")
	wkLat    = flag.Float64("fg.wklat", 1000, "BenchmarkHILWakeupCost: also run each forwarder for -fg.klrun at this BCM rate (frames/s) and report p50/p99 (0: no)")
	wkAlt    = flag.String("fg.wkalt", "", "BenchmarkHILWakeupCost: another fieldgate binary to measure alongside (an A/B of two builds in one boot)")
)

// BenchmarkHILWakeupCost measures what one wake-up of a forwarder costs at
// low rates, where every frame finds the forwarder asleep: `fieldgate run`
// (vcan0 → vcan1, offload: never) against the bare Go forwarder
// (TestHILBareForwarder), both in processes of their own in the same boot.
// Each round, for each forwarder (the order alternating), it measures the
// process's CPU time (/proc/PID/task/*/schedstat) and context switches
// (/proc/PID/task/*/status) over an idle window and over a CAN_BCM job of
// -fg.wkframes frames -fg.wkgap apart of the same length, and checks that
// every frame reached vcan1. Per frame it reports the CPU with the load
// (total), the idle CPU of the same length (what the process costs with no
// frames: timers, samplers, the runtime) and their difference (what the
// frames themselves cost), as median [min, max] over the rounds. With
// -fg.wklat it then runs each forwarder at that rate as
// BenchmarkHILKernelLoadLatency does and reports its p50 and p99; with
// -fg.wkalt a second fieldgate build is measured alongside.
func BenchmarkHILWakeupCost(b *testing.B) {
	if *wkGap < time.Millisecond || *wkFrames < 10 || *wkRounds < 1 {
		b.Fatalf("-fg.wkgap %v, -fg.wkframes %d, -fg.wkrounds %d: need ≥ 1ms, ≥ 10, ≥ 1", *wkGap, *wkFrames, *wkRounds)
	}
	fwds := []klForwarder{&klFieldgate{admin: "127.0.0.1:9252"}, &klBare{}}
	if *wkAlt != "" {
		fwds = append(fwds, &klFieldgate{admin: "127.0.0.1:9253", bin: *wkAlt, label: "fieldgate-alt"})
	}
	var ival time.Duration
	if *wkLat > 0 {
		ival = klCalibrate(b, *wkLat)
	}
	res := map[string][]wkResult{}
	lat := map[string][]klResult{}
	for round := range *wkRounds {
		k := round % len(fwds)
		order := append(fwds[k:len(fwds):len(fwds)], fwds[:k]...)
		for _, f := range order {
			stop := f.start(b)
			r := wkRun1(b, f)
			res[f.name()] = append(res[f.name()], r)
			b.Logf("round %d %-13s: %v", round+1, f.name(), r)
			if ival > 0 {
				l := klRun1(b, f, ival, int(*wkLat*klRun.Seconds()))
				lat[f.name()] = append(lat[f.name()], l)
				b.Logf("round %d %-13s @%.0f/s: %v", round+1, f.name(), *wkLat, l)
			}
			stop()
		}
	}
	for _, f := range fwds {
		rs := res[f.name()]
		b.Logf("%-13s over %d rounds at %v gaps, median [min, max] per frame: CPU %s, idle CPU %s, CPU beyond idle %s, context switches %s (idle %s)",
			f.name(), len(rs), *wkGap,
			wkSpread(rs, func(r wkResult) float64 { return r.CPU }, "%.0f µs"),
			wkSpread(rs, func(r wkResult) float64 { return r.IdleCPU }, "%.0f µs"),
			wkSpread(rs, func(r wkResult) float64 { return r.CPU - r.IdleCPU }, "%.0f µs"),
			wkSpread(rs, func(r wkResult) float64 { return r.CS }, "%.2f"),
			wkSpread(rs, func(r wkResult) float64 { return r.IdleCS }, "%.2f"))
		if ls := lat[f.name()]; len(ls) > 0 {
			b.Logf("%-13s @%.0f/s over %d rounds, median [min, max]: p50 %s, p99 %s, lost %s, CPU/frame %s",
				f.name(), *wkLat, len(ls),
				spread(ls, func(r klResult) float64 { return ms(r.P50) }, "%.3f ms"),
				spread(ls, func(r klResult) float64 { return ms(r.P99) }, "%.3f ms"),
				spread(ls, func(r klResult) float64 { return float64(r.Lost) }, "%.0f"),
				spread(ls, func(r klResult) float64 { return r.CPUPerFrame.Seconds() * 1e6 }, "%.0f µs"))
		}
		n := map[string]string{"fieldgate": "fg", "bare": "bare", "fieldgate-alt": "fgalt"}[f.name()]
		b.ReportMetric(wkMedian(rs, func(r wkResult) float64 { return r.CPU }), n+"_cpu_us/frame")
		b.ReportMetric(wkMedian(rs, func(r wkResult) float64 { return r.IdleCPU }), n+"_idle_cpu_us/frame")
		b.ReportMetric(wkMedian(rs, func(r wkResult) float64 { return r.CS }), n+"_cs/frame")
	}
}

// wkResult is one forwarder's run: per frame, CPU in µs and context
// switches with the load and over an idle window of the same length.
type wkResult struct {
	CPU, IdleCPU float64
	CS, IdleCS   float64
}

func (r wkResult) String() string {
	return fmt.Sprintf("per frame: CPU %.0f µs (idle %.0f µs, beyond idle %.0f µs), context switches %.2f (idle %.2f)",
		r.CPU, r.IdleCPU, r.CPU-r.IdleCPU, r.CS, r.IdleCS)
}

// wkRun1 measures f idle, then under the BCM job.
func wkRun1(b *testing.B, f klForwarder) wkResult {
	b.Helper()
	pid, n := f.pid(), *wkFrames
	window := time.Duration(n) * *wkGap
	perFrame := func(d time.Duration) float64 { return d.Seconds() * 1e6 / float64(n) }

	cpu0, cs0 := taskCPU(pid), taskSwitches(pid)
	time.Sleep(window)
	idleCPU, idleCS := taskCPU(pid)-cpu0, taskSwitches(pid)-cs0

	in, out := openStampSocks(b, n)
	defer in.close()
	defer out.close()
	time.Sleep(100 * time.Millisecond)
	cpu0, cs0 = taskCPU(pid), taskSwitches(pid)
	t0 := time.Now()
	klJob(b, n, *wkGap)
	time.Sleep(200 * time.Millisecond) // the last frame's forwarding
	wall := time.Since(t0)
	cpu, cs := taskCPU(pid)-cpu0, taskSwitches(pid)-cs0
	sent, _, err := in.drain()
	if err != nil {
		b.Fatalf("vcan0: %v", err)
	}
	got, _, err := out.drain()
	if err != nil {
		b.Fatalf("vcan1: %v", err)
	}
	if len(sent) != n || len(got) != n {
		b.Fatalf("%s: the BCM job put %d frames on vcan0 and %d reached vcan1, want %d each", f.name(), len(sent), len(got), n)
	}
	// The loaded window is a little longer than the idle one (the BCM
	// timer's lateness, the wait for the last frame): scale the idle cost.
	scale := wall.Seconds() / window.Seconds()
	return wkResult{
		CPU: perFrame(cpu), IdleCPU: perFrame(idleCPU) * scale,
		CS: float64(cs) / float64(n), IdleCS: float64(idleCS) * scale / float64(n),
	}
}

// taskSwitches is the sum of the voluntary and involuntary context
// switches of pid's threads.
func taskSwitches(pid int) int64 {
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	var sum int64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if ok && strings.HasSuffix(k, "ctxt_switches") {
				if x, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
					sum += x
				}
			}
		}
	}
	return sum
}

func wkMedian(rs []wkResult, f func(wkResult) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	sort.Float64s(v)
	return v[len(v)/2]
}

func wkSpread(rs []wkResult, f func(wkResult) float64, format string) string {
	lo, hi := f(rs[0]), f(rs[0])
	for _, r := range rs {
		lo, hi = min(lo, f(r)), max(hi, f(r))
	}
	return fmt.Sprintf(format+" ["+format+", "+format+"]", wkMedian(rs, f), lo, hi)
}
