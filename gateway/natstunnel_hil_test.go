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

// The NATS path: vcan0 → gateway A (can → nats, the NATS server embedded
// in A, binary encoding) → gateway B (a client of A's server, subscribed
// to A's subjects; nats → can) → vcan1, two `fieldgate run` processes,
// against the udp tunnel of tunnel_hil_test.go between the same two
// gateways, driven by the same load generator process.

// natsTunnel starts gateways A and B joined through A's embedded NATS
// server on port+100, and returns once B's subscription is in place.
func natsTunnel(t testing.TB, port int) (a, b *gw) {
	t.Helper()
	a = startGW(t, port, fmt.Sprintf(`
endpoints:
  bus: {kind: can, interface: vcan0}
  link: {kind: nats, gateway: ga, server: {listen: "127.0.0.1:%d"}}
routes:
  - {name: up, from: [bus], to: [link]}
`, port+100))
	b = startGW(t, port+1, fmt.Sprintf(`
endpoints:
  bus: {kind: can, interface: vcan1}
  link: {kind: nats, gateway: gb, url: "nats://127.0.0.1:%d", subscribe: [fieldgate.ga.>]}
routes:
  - {name: down, from: [link], to: [bus], allow: ["000:000"]}
`, port+100))
	deadline := time.Now().Add(30 * time.Second)
	for {
		// B's SUB is at the server once a round trip was measured after
		// it (the endpoint measures one right after connecting).
		lb, la := b.status(t).endpoint("link"), a.status(t).endpoint("link")
		if la.Peers == 1 && lb.Peers == 1 && lb.Broker != nil && lb.Broker.RTT > 0 {
			return a, b
		}
		if time.Now().After(deadline) {
			t.Fatalf("NATS tunnel not up: A %+v, B %+v", la, lb)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// natsRates is the ladder of paced rates BenchmarkHILNATSvsUDP climbs.
var natsRates = flag.String("fg.natsrates", "2000,4000,6000,8000,10000,12000,14000,16000,20000,24000", "comma-separated ascending paced rates (frames/s) for BenchmarkHILNATSvsUDP")

// BenchmarkHILNATSvsUDP compares the NATS path (binary encoding, server
// embedded in A) with the udp tunnel (default settings) between the same
// two gateway processes. In each of -fg.rounds rounds (the two paths
// alternate which goes first), each path climbs the ladder of paced rates
// (2 s each) until a run loses a frame or counts a drop; its zero-loss
// rate is the last rung it passed. It reports per round and as median,
// minimum and maximum over the rounds: each path's zero-loss rate, their
// ratio (NATS / udp), and both gateways' CPU time per frame (schedstat of
// A and B; with NATS, A's figure includes the server) at
// the round's highest rate both passed.
func BenchmarkHILNATSvsUDP(b *testing.B) {
	var rates []float64
	for _, f := range strings.Split(*natsRates, ",") {
		r, err := strconv.ParseFloat(f, 64)
		if err != nil || r <= 0 || len(rates) > 0 && r <= rates[len(rates)-1] {
			b.Fatalf("-fg.natsrates: %q is not an ascending rate", f)
		}
		rates = append(rates, r)
	}
	load, _ := os.ReadFile("/proc/loadavg")
	b.Logf("guest load average at start: %s", strings.TrimSpace(string(load)))
	paths := []string{"udp", "nats"}
	type result struct {
		zeroLoss float64                   // frames/s
		cpu      map[float64]time.Duration // both gateways, per frame, by rate passed
	}
	res := map[string][]result{}
	var ratios, cpuAt, cpuU, cpuN, cpuRatio []float64
	for round := range *tunnelRounds {
		got := map[string]result{}
		for k := range paths {
			p := paths[(k+round)%2]
			var ga, gb *gw
			if p == "udp" {
				ga, gb = tunnel(b, 9400, "")
			} else {
				ga, gb = natsTunnel(b, 9410)
			}
			forward(b, loadSpec{N: 100, Rate: 1000}) // warm-up
			r := result{cpu: map[float64]time.Duration{}}
			for _, rate := range rates {
				run := runTunnel(b, ga, gb, loadSpec{N: int(2 * rate), Rate: rate})
				b.Logf("round %d %-4s %5.0f frames/s: %v", round+1, p, rate, run)
				if run.Recv != run.Sent || run.Drops != 0 {
					for _, g := range []*gw{ga, gb} {
						for _, e := range g.status(b).Endpoints {
							if len(e.Dropped) > 0 || e.SeqGaps > 0 {
								b.Logf("round %d %s: %s %s dropped %v, seq gaps %d", round+1, p, g.file, e.Name, e.Dropped, e.SeqGaps)
							}
						}
					}
					break
				}
				r.zeroLoss = rate
				r.cpu[rate] = run.GatewayCPU
			}
			ga.Signal(os.Interrupt)
			gb.Signal(os.Interrupt)
			ga.Wait()
			gb.Wait()
			got[p] = r
			res[p] = append(res[p], r)
		}
		ratio := 0.0
		if got["udp"].zeroLoss > 0 {
			ratio = got["nats"].zeroLoss / got["udp"].zeroLoss
		}
		ratios = append(ratios, ratio)
		// CPU per frame where both were lossless: the higher of the two
		// rates' common rung.
		common := min(got["udp"].zeroLoss, got["nats"].zeroLoss)
		cu, cn := got["udp"].cpu[common], got["nats"].cpu[common]
		if common > 0 {
			cpuAt = append(cpuAt, common)
			cpuU = append(cpuU, float64(cu.Nanoseconds())/1e3)
			cpuN = append(cpuN, float64(cn.Nanoseconds())/1e3)
			cpuRatio = append(cpuRatio, float64(cu)/float64(cn))
		}
		b.Logf("round %d: zero-loss rate udp %.0f, nats %.0f frames/s, ratio %.2f; gateway CPU/frame at %.0f frames/s (both lossless): udp %v, nats %v",
			round+1, got["udp"].zeroLoss, got["nats"].zeroLoss, ratio, common, cu.Round(time.Microsecond), cn.Round(time.Microsecond))
	}
	spread := func(v []float64, format string) string {
		v = append([]float64(nil), v...)
		sort.Float64s(v)
		return fmt.Sprintf(format+" ("+format+"–"+format+")", v[len(v)/2], v[0], v[len(v)-1])
	}
	for _, p := range paths {
		var zl []float64
		for _, r := range res[p] {
			zl = append(zl, r.zeroLoss)
		}
		b.Logf("%-4s median (min–max) over %d rounds: zero-loss rate %s frames/s", p, len(zl), spread(zl, "%.0f"))
	}
	b.Logf("zero-loss rate nats / udp, median (min–max) over %d rounds: %s", len(ratios), spread(ratios, "%.2f"))
	if len(cpuAt) > 0 {
		b.Logf("gateway CPU per frame at the round's highest rate both passed (%s frames/s), median (min–max): udp %s µs, nats %s µs, udp/nats %s",
			spread(cpuAt, "%.0f"), spread(cpuU, "%.0f"), spread(cpuN, "%.0f"), spread(cpuRatio, "%.2f"))
	}
	load, _ = os.ReadFile("/proc/loadavg")
	b.Logf("guest load average at end: %s", strings.TrimSpace(string(load)))
}
