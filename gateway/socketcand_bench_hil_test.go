//go:build hil

package gateway

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	socketcandep "github.com/fieldgate/fieldgate/gateway/endpoints/socketcand"
	"github.com/fieldgate/fieldgate/internal/peer"
)

// upstreamSocketcand is where the benchmark looks for linux-can/socketcand
// built from its sources (never part of this repository; .cache is
// git-ignored). Without it the benchmark measures fieldgate alone.
const upstreamSocketcand = "../.cache/peers/socketcand/socketcand"

// scServer is a socketcand server under test, started for one round.
type scServer struct {
	name   string
	addr   string
	needle string // in the cmdline of every process of the server (socketcand forks one per client)
	stop   func()
}

func scFreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startFieldgateSC runs fieldgate with vcan0 routed to a socketcand
// endpoint (default settings).
func startFieldgateSC(b *testing.B) *scServer {
	port := scFreePort(b)
	g := startGW(b, scFreePort(b), fmt.Sprintf(`
endpoints:
  bus: {kind: can, interface: vcan0}
  sc: {kind: socketcand, listen: "127.0.0.1:%d", bus: vcan0, max_clients: 64, max_clients_per_peer: 64}
routes:
  - {name: to-clients, from: [bus], to: [sc]}
`, port))
	return &scServer{name: "fieldgate", addr: fmt.Sprintf("127.0.0.1:%d", port), needle: g.file,
		stop: func() { g.Signal(os.Interrupt); g.Wait() }}
}

// startUpstreamSC runs linux-can/socketcand on vcan0, listening on lo.
func startUpstreamSC(b *testing.B, bin string) *scServer {
	port := scFreePort(b)
	p := peer.Start(b, bin, "-i", "vcan0", "-p", strconv.Itoa(port), "-l", "lo", "-n")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(30 * time.Second); ; {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("socketcand did not listen on %s: %s", addr, p.Stderr())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // the probe's child exits
	return &scServer{name: "socketcand", addr: addr, needle: "-p\x00" + strconv.Itoa(port) + "\x00",
		stop: func() {
			p.Signal(os.Interrupt)
			p.Wait()
			// Children whose client is gone exit by themselves; any left
			// (the forks of this server only) end here, by their pid.
			for _, pid := range scPids("-p\x00" + strconv.Itoa(port) + "\x00") {
				if pr, err := os.FindProcess(pid); err == nil {
					pr.Signal(os.Interrupt)
				}
			}
		}}
}

// scPids lists the processes whose cmdline contains needle.
func scPids(needle string) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline"); err == nil && strings.Contains(string(cmd), needle) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// scCPU is the time the server's processes (every thread) ran on a CPU.
func scCPU(needle string) time.Duration {
	var total time.Duration
	for _, pid := range scPids(needle) {
		tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		for _, e := range tasks {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, e.Name()))
			if err != nil {
				continue
			}
			ns, _ := strconv.ParseInt(strings.Fields(string(b))[0], 10, 64)
			total += time.Duration(ns)
		}
	}
	return total
}

// scRSS is the resident memory of the server's processes, in KiB.
func scRSS(needle string) int {
	kb := 0
	for _, pid := range scPids(needle) {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
				v, _ := strconv.Atoi(f[1])
				kb += v
			}
		}
	}
	return kb
}

// guestBusy is the guest's non-idle CPU time from /proc/stat.
func guestBusy(tb testing.TB) time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		tb.Fatal(err)
	}
	f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0])
	var ticks int64
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ 100
}

// scBenchClient is a raw-mode socketcand client that counts frame messages and
// takes the latency of each (now minus the message's kernel timestamp).
type scBenchClient struct {
	c    net.Conn
	mu   sync.Mutex
	n    int
	lat  []time.Duration
	keep bool // record latencies
	done chan struct{}
}

func dialBenchSC(b *testing.B, addr string, keep bool) *scBenchClient {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	r := bufio.NewReaderSize(c, 64<<10)
	c.SetDeadline(time.Now().Add(60 * time.Second))
	for _, step := range []struct{ send, want string }{{"", "< hi >"}, {"< open vcan0 >", "< ok >"}, {"< rawmode >", "< ok >"}} {
		io.WriteString(c, step.send)
		buf := make([]byte, len(step.want))
		if _, err := io.ReadFull(r, buf); err != nil || string(buf) != step.want {
			b.Fatalf("%s: %q %v", step.send, buf, err)
		}
	}
	c.SetDeadline(time.Time{})
	cl := &scBenchClient{c: c, keep: keep, done: make(chan struct{})}
	go func() {
		defer close(cl.done)
		for {
			if _, err := r.ReadSlice('<'); err != nil {
				return
			}
			m, err := r.ReadSlice('>')
			if err != nil {
				return
			}
			now := time.Now()
			cl.mu.Lock()
			cl.n++
			if cl.keep {
				// "frame ID SEC.USEC DATA >"
				if f := strings.Fields(string(m)); len(f) >= 3 && f[0] == "frame" {
					if ts, err := strconv.ParseFloat(f[2], 64); err == nil {
						cl.lat = append(cl.lat, now.Sub(time.Unix(0, int64(ts*1e9))))
					}
				}
			}
			cl.mu.Unlock()
		}
	}()
	return cl
}

func (cl *scBenchClient) count() int {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.n
}

// scRound is one measured run of a server.
type scRound struct {
	server              string
	clients, frames     int
	got                 int           // frames the slowest client got
	serverCPU, guestCPU time.Duration // per frame
	p50, p99            time.Duration
	rssKB               int // with the clients connected
}

func (r scRound) String() string {
	return fmt.Sprintf("%s, %d client(s): %d/%d frames, server CPU %v/frame, guest CPU %v/frame, p50 %v p99 %v, RSS %d KiB",
		r.server, r.clients, r.got, r.frames, r.serverCPU.Round(time.Microsecond), r.guestCPU.Round(time.Microsecond),
		r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), r.rssKB)
}

// scMeasure connects clients to s, has cangen send n frames on vcan0 with
// gap ms between them, and measures.
func scMeasure(b *testing.B, s *scServer, clients, n int, gap string) scRound {
	var cls []*scBenchClient
	for i := range clients {
		cls = append(cls, dialBenchSC(b, s.addr, i == 0))
	}
	time.Sleep(2 * socketcandep.RawHold)
	r := scRound{server: s.name, clients: clients, frames: n, rssKB: scRSS(s.needle)}
	cpu0, busy0 := scCPU(s.needle), guestBusy(b)
	peer.Run(b, "cangen", "vcan0", "-g", gap, "-n", strconv.Itoa(n), "-I", "123", "-L", "8", "-D", "i")
	deadline := time.Now().Add(60 * time.Second)
	r.got = n
	for _, cl := range cls {
		for cl.count() < n && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		r.got = min(r.got, cl.count())
	}
	cpu1, busy1 := scCPU(s.needle), guestBusy(b)
	r.serverCPU = (cpu1 - cpu0) / time.Duration(n)
	r.guestCPU = (busy1 - busy0) / time.Duration(n)
	var lat []time.Duration
	if len(cls) > 0 {
		cls[0].mu.Lock()
		lat = slices.Clone(cls[0].lat)
		cls[0].mu.Unlock()
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		r.p50, r.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	for _, cl := range cls {
		cl.c.Close()
		<-cl.done
	}
	return r
}

// spreadOf formats the median, minimum and maximum of f over rs.
func spreadOf(rs []scRound, f func(scRound) float64, unit string) string {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	return fmt.Sprintf("median %.3g %s (min %.3g, max %.3g, %d rounds)", v[len(v)/2], unit, v[0], v[len(v)-1], len(v))
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.TrimSpace(string(b))
}

// BenchmarkHILSocketcand measures what one bus frame costs a socketcand
// server with one raw-mode client, fieldgate against linux-can/socketcand
// (when built at .cache/peers/socketcand/socketcand) in the same boot:
// cangen puts 2000 frames on vcan0 at 1 ms gaps; the server's CPU time
// (schedstat of every thread of every process of it: socketcand forks one
// process per client) and the guest's busy time are divided by the
// frames; the client takes each frame's latency from the kernel's receive
// timestamp the message carries to its arrival (p50, p99). 5 rounds, the
// servers alternating; each fieldgate round also measures the same frames
// with no client connected (reading the bus and routing, which socketcand
// does in each client's process instead). Then 1 and 50 clients at 5 ms gaps (every client
// must get every frame; the cost per frame and client must not grow), and
// the resident memory before, with and after 50 clients (polled up to 15 s
// after they leave).
func BenchmarkHILSocketcand(b *testing.B) {
	bin, _ := filepath.Abs(upstreamSocketcand)
	if _, err := os.Stat(bin); err != nil {
		b.Logf("no linux-can/socketcand at %s: measuring fieldgate alone (build it from its sources there to compare)", bin)
		bin = ""
	}
	b.Logf("load average before: %s", loadavg())
	const rounds, n = 5, 2000
	var fg, up, idle []scRound
	run := func(name string) {
		var s *scServer
		if name == "fieldgate" {
			s = startFieldgateSC(b)
		} else {
			s = startUpstreamSC(b, bin)
		}
		if name == "fieldgate" {
			// The same frames with no client: what reading the bus and
			// routing cost fieldgate before socketcand's part (socketcand
			// reads the bus in each client's process, so it has none).
			r := scMeasure(b, s, 0, n, "1")
			b.Logf("%v", r)
			idle = append(idle, r)
		}
		r := scMeasure(b, s, 1, n, "1")
		s.stop()
		b.Logf("%v", r)
		if r.got != n && name == "fieldgate" {
			b.Errorf("%s: the client got %d of %d frames", name, r.got, n)
		}
		if name == "fieldgate" {
			fg = append(fg, r)
		} else {
			up = append(up, r)
		}
	}
	for i := range rounds {
		order := []string{"fieldgate", "socketcand"}
		if i%2 == 1 {
			order = []string{"socketcand", "fieldgate"}
		}
		for _, name := range order {
			if name == "socketcand" && bin == "" {
				continue
			}
			run(name)
		}
	}
	us := func(d time.Duration) float64 { return float64(d) / 1e3 }
	b.Logf("fieldgate  server CPU/frame %s; guest CPU/frame %s; p50 %s; p99 %s", spreadOf(fg, func(r scRound) float64 { return us(r.serverCPU) }, "µs"),
		spreadOf(fg, func(r scRound) float64 { return us(r.guestCPU) }, "µs"), spreadOf(fg, func(r scRound) float64 { return us(r.p50) }, "µs"), spreadOf(fg, func(r scRound) float64 { return us(r.p99) }, "µs"))
	b.Logf("fieldgate without clients: server CPU/frame %s", spreadOf(idle, func(r scRound) float64 { return us(r.serverCPU) }, "µs"))
	if len(up) > 0 {
		b.Logf("socketcand server CPU/frame %s; guest CPU/frame %s; p50 %s; p99 %s", spreadOf(up, func(r scRound) float64 { return us(r.serverCPU) }, "µs"),
			spreadOf(up, func(r scRound) float64 { return us(r.guestCPU) }, "µs"), spreadOf(up, func(r scRound) float64 { return us(r.p50) }, "µs"), spreadOf(up, func(r scRound) float64 { return us(r.p99) }, "µs"))
		var ratios []scRound
		for i := range min(len(fg), len(up)) {
			ratios = append(ratios, scRound{serverCPU: time.Duration(float64(fg[i].serverCPU) / float64(up[i].serverCPU) * 1000),
				guestCPU: time.Duration(float64(fg[i].guestCPU) / float64(up[i].guestCPU) * 1000),
				p99:      time.Duration(float64(fg[i].p99) / float64(up[i].p99) * 1000)})
		}
		b.Logf("fieldgate/socketcand per round: server CPU %s; guest CPU %s; p99 %s",
			spreadOf(ratios, func(r scRound) float64 { return float64(r.serverCPU) / 1000 }, "×"),
			spreadOf(ratios, func(r scRound) float64 { return float64(r.guestCPU) / 1000 }, "×"),
			spreadOf(ratios, func(r scRound) float64 { return float64(r.p99) / 1000 }, "×"))
	}

	// Scaling and memory: 1 and 50 clients at 5 ms gaps.
	const ns = 600
	for _, name := range []string{"fieldgate", "socketcand"} {
		if name == "socketcand" && bin == "" {
			continue
		}
		var s *scServer
		if name == "fieldgate" {
			s = startFieldgateSC(b)
		} else {
			s = startUpstreamSC(b, bin)
		}
		rss0 := scRSS(s.needle)
		one := scMeasure(b, s, 1, ns, "5")
		fifty := scMeasure(b, s, 50, ns, "5")
		// Memory after the clients left: polled for up to 15 s, until it
		// is back within a quarter of what they added.
		left := time.Now()
		rss1 := scRSS(s.needle)
		for rss1 > rss0+(fifty.rssKB-rss0)/4 && time.Since(left) < 15*time.Second {
			time.Sleep(500 * time.Millisecond)
			rss1 = scRSS(s.needle)
		}
		after := time.Since(left).Round(100 * time.Millisecond)
		s.stop()
		b.Logf("%v", one)
		b.Logf("%v", fifty)
		b.Logf("%s: server CPU per frame and client: 1 client %v, 50 clients %v (%.2f× of 1 client's); RSS %d KiB idle, %d KiB with 50 clients, %d KiB %v after they left",
			name, one.serverCPU.Round(time.Microsecond), (fifty.serverCPU / 50).Round(time.Microsecond),
			float64(fifty.serverCPU)/50/float64(one.serverCPU), rss0, fifty.rssKB, rss1, after)
		if fifty.got != ns || one.got != ns {
			// fieldgate must deliver every frame to every client;
			// socketcand's loss (each client's process reads its own
			// socket: 50 processes on one CPU) is reported.
			report := b.Logf
			if name == "fieldgate" {
				report = b.Errorf
			}
			report("%s: clients got %d (1 client) and %d (slowest of 50) of %d frames", name, one.got, fifty.got, ns)
		}
	}
	b.Logf("load average after: %s", loadavg())
}
