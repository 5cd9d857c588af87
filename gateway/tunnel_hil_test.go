//go:build hil

package gateway

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The UDP tunnel: vcan0 → gateway A (can → udp) → 127.0.0.1 → gateway B
// (udp → can) → vcan1, two `fieldgate run` processes, driven by the load
// generator process of loadgen_hil_test.go (frames carrying their send
// time, sent on vcan0 and received on vcan1).

// tunnel starts gateways A and B joined by udp endpoints with the given
// extra udp settings (e.g. "flush: 1ms"; "" for the defaults).
func tunnel(t testing.TB, port int, udp string) (a, b *gw) {
	t.Helper()
	if udp != "" {
		udp = ", " + udp
	}
	a = startGW(t, port, fmt.Sprintf(`
endpoints:
  bus: {kind: can, interface: vcan0}
  link: {kind: udp, listen: "127.0.0.1:%d", peer: "127.0.0.1:%d"%s}
routes:
  - {name: up, from: [bus], to: [link]}
`, port+100, port+101, udp))
	b = startGW(t, port+1, fmt.Sprintf(`
endpoints:
  bus: {kind: can, interface: vcan1}
  link: {kind: udp, listen: "127.0.0.1:%d", peer: "127.0.0.1:%d"%s}
routes:
  - {name: down, from: [link], to: [bus], allow: ["000:000"]}
`, port+101, port+100, udp))
	return a, b
}

// tunnelRun is one load generator run through the tunnel.
type tunnelRun struct {
	fwdResult
	// GatewayCPU is the time gateways A and B ran on the CPU during the
	// run (their schedstat, the figure getrusage reports), per frame sent.
	GatewayCPU time.Duration
	// GuestCPU is the guest's busy CPU time (/proc/stat) over the load
	// generator's window, per frame sent: the gateways, the load
	// generator and the kernel's work for all of them.
	GuestCPU time.Duration
	// Datagrams is UDP datagrams sent per frame (/proc/net/snmp
	// OutDatagrams); RcvbufErrors the UDP datagrams the kernel dropped
	// at a full receive buffer.
	Datagrams    float64
	RcvbufErrors int64
	// Drops are both gateways' counted drops.
	Drops uint64
}

func (r tunnelRun) String() string {
	return fmt.Sprintf("%d/%d, p50 %v p99 %v, gateway CPU %v/frame, guest CPU %v/frame, %.2f datagrams/frame, drops %d, rcvbuf errors %d",
		r.Recv, r.Sent, r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond),
		r.GatewayCPU.Round(time.Microsecond), r.GuestCPU.Round(time.Microsecond), r.Datagrams, r.Drops, r.RcvbufErrors)
}

// pid returns the gateway process's id.
func (g *gw) pid(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && strings.Contains(string(cmd), g.file) {
			return pid
		}
	}
	t.Fatalf("no process runs %s", g.file)
	return 0
}

// onCPU returns the time process pid has run on a CPU (schedstat's first
// field: the task clock that getrusage's user + system time add up to).
func onCPU(t testing.TB, pid int) time.Duration {
	t.Helper()
	var total time.Duration
	// Every thread of the process: /proc/pid/schedstat is the main
	// thread's only.
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, e.Name()))
		if err != nil {
			continue // the thread ended
		}
		ns, _ := strconv.ParseInt(strings.Fields(string(b))[0], 10, 64)
		total += time.Duration(ns)
	}
	return total
}

// udpSNMP returns the guest's UDP OutDatagrams and RcvbufErrors.
func udpSNMP(t testing.TB) (out, rcvbufErrs int64) {
	t.Helper()
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		for i := range f {
			v, _ := strconv.ParseInt(f[i], 10, 64)
			switch names[i] {
			case "OutDatagrams":
				out = v
			case "RcvbufErrors":
				rcvbufErrs = v
			}
		}
	}
	return out, rcvbufErrs
}

// runTunnel sends spec through the tunnel a → b and measures it.
func runTunnel(t testing.TB, a, b *gw, spec loadSpec) tunnelRun {
	t.Helper()
	pa, pb := a.pid(t), b.pid(t)
	d0 := a.status(t).dropped() + b.status(t).dropped()
	out0, rerr0 := udpSNMP(t)
	c0 := onCPU(t, pa) + onCPU(t, pb)
	r := tunnelRun{fwdResult: forward(t, spec)}
	c1 := onCPU(t, pa) + onCPU(t, pb)
	out1, rerr1 := udpSNMP(t)
	sa, sb := a.settle(t), b.settle(t)
	r.Drops = sa.dropped() + sb.dropped() - d0
	r.GatewayCPU = (c1 - c0) / time.Duration(spec.N)
	if r.FPS > 0 {
		window := float64(r.Recv) / r.FPS // first send to last receive, s
		r.GuestCPU = time.Duration(r.Busy * window * 1e9 / float64(spec.N))
	}
	r.Datagrams = float64(out1-out0) / float64(spec.N)
	r.RcvbufErrors = rerr1 - rerr0
	return r
}

// TestHILUDPTunnel2000: 2 000 frames/s, paced single frames, cross the
// default UDP tunnel (flush: 0, coalesce: 1ms) without loss, about two
// frames a datagram; frames on a quiet link (20 frames/s) go at once.
func TestHILUDPTunnel2000(t *testing.T) {
	a, b := tunnel(t, 9290, "")
	forward(t, loadSpec{N: 200, Rate: 1000}) // warm-up
	r := runTunnel(t, a, b, loadSpec{N: 4000, Rate: 2000})
	t.Logf("2000 frames/s: %v", r)
	if r.Recv != r.Sent || r.Drops != 0 {
		t.Errorf("%d of %d frames arrived, %d drops counted", r.Recv, r.Sent, r.Drops)
	}
	// coalesce 1 ms: at most about one datagram that is not full per
	// millisecond, so about two frames share one (one each before).
	if r.Datagrams > 0.6 {
		t.Errorf("%.2f datagrams per frame at 2 000 frames/s, want ≤ 0.6 (coalesced)", r.Datagrams)
	}
	// Idle: frames 50 ms apart each go out alone, at once.
	idle := runTunnel(t, a, b, loadSpec{N: 40, Rate: 20})
	t.Logf("20 frames/s: %v", idle)
	if idle.Recv != idle.Sent {
		t.Errorf("idle: %d of %d frames arrived", idle.Recv, idle.Sent)
	}
	if idle.P50 > 5*time.Millisecond {
		t.Errorf("idle: p50 %v, want a frame on an idle link sent at once (no flush delay)", idle.P50)
	}
}

// tunnelFlushes are the udp settings BenchmarkHILUDPTunnel compares:
// semicolon-separated, each key=value[,key=value] (no spaces: HILFLAGS
// splits on them), e.g. -fg.tunnel='coalesce=0;coalesce=1ms;flush=1ms'.
var tunnelFlushes = flag.String("fg.tunnel", "coalesce=0;coalesce=1ms;flush=1ms", "semicolon-separated udp settings (key=value,...) for BenchmarkHILUDPTunnel")

// tunnelRates are the paced rates of BenchmarkHILUDPTunnel.
var tunnelRates = flag.String("fg.tunnelrates", "200,1000,2000,4000", "comma-separated paced rates (frames/s) for BenchmarkHILUDPTunnel")

// tunnelRounds is how many runs BenchmarkHILUDPTunnel makes per setting
// and rate.
var tunnelRounds = flag.Int("fg.rounds", 5, "rounds per setting and rate for BenchmarkHILUDPTunnel")

// BenchmarkHILUDPTunnel paces single frames through the UDP tunnel at each
// rate, for each udp setting, rounds times (settings alternating within a
// round), 2 s per run, and reports per setting and rate the median,
// minimum and maximum over the rounds of: frames delivered, p50 and p99
// latency, both gateways' CPU time per frame, the guest's busy CPU per
// frame, and datagrams per frame.
func BenchmarkHILUDPTunnel(b *testing.B) {
	settings := strings.Split(*tunnelFlushes, ";")
	for i, st := range settings {
		settings[i] = strings.ReplaceAll(strings.ReplaceAll(st, "=", ": "), ",", ", ")
	}
	var rates []float64
	for _, f := range strings.Split(*tunnelRates, ",") {
		r, err := strconv.ParseFloat(f, 64)
		if err != nil || r <= 0 {
			b.Fatalf("-fg.tunnelrates: %q is not a rate", f)
		}
		rates = append(rates, r)
	}
	load, _ := os.ReadFile("/proc/loadavg")
	b.Logf("guest load average at start: %s", strings.TrimSpace(string(load)))
	for _, rate := range rates {
		spec := loadSpec{N: int(2 * rate), Rate: rate}
		runs := make([][]tunnelRun, len(settings))
		for round := range *tunnelRounds {
			for k := range settings {
				i := (k + round) % len(settings)
				a, bb := tunnel(b, 9300+10*i, settings[i])
				forward(b, loadSpec{N: 100, Rate: 1000}) // warm-up
				r := runTunnel(b, a, bb, spec)
				a.Signal(os.Interrupt)
				bb.Signal(os.Interrupt)
				a.Wait()
				bb.Wait()
				runs[i] = append(runs[i], r)
				b.Logf("%5.0f frames/s round %d [%s]: %v", rate, round+1, settings[i], r)
			}
		}
		for i, s := range settings {
			rs := runs[i]
			b.Logf("%5.0f frames/s [%s] median (min–max) over %d rounds: delivered %s, p50 %s, p99 %s, gateway CPU/frame %s, guest CPU/frame %s, datagrams/frame %s, lossless rounds %d",
				rate, s, len(rs),
				tunnelSpread(rs, func(r tunnelRun) float64 { return float64(r.Recv) }, "%.0f"),
				tunnelSpread(rs, func(r tunnelRun) float64 { return ms(r.P50) }, "%.2f ms"),
				tunnelSpread(rs, func(r tunnelRun) float64 { return ms(r.P99) }, "%.2f ms"),
				tunnelSpread(rs, func(r tunnelRun) float64 { return ms(r.GatewayCPU) * 1000 }, "%.0f µs"),
				tunnelSpread(rs, func(r tunnelRun) float64 { return ms(r.GuestCPU) * 1000 }, "%.0f µs"),
				tunnelSpread(rs, func(r tunnelRun) float64 { return r.Datagrams }, "%.2f"),
				lossless(rs))
		}
	}
	load, _ = os.ReadFile("/proc/loadavg")
	b.Logf("guest load average at end: %s", strings.TrimSpace(string(load)))
}

// tunnelSpread formats the median, minimum and maximum of f over rs.
func tunnelSpread(rs []tunnelRun, f func(tunnelRun) float64, format string) string {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	sort.Float64s(v)
	return fmt.Sprintf(format+" ("+format+"–"+format+")", v[len(v)/2], v[0], v[len(v)-1])
}

func lossless(rs []tunnelRun) int {
	n := 0
	for _, r := range rs {
		if r.Recv == r.Sent && r.Drops == 0 {
			n++
		}
	}
	return n
}
