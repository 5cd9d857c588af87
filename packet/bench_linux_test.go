//go:build linux && !hil

package packet

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	mdpacket "github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// The capture benchmark. Senders of ours (this process: FG_BENCH_SENDERS
// goroutines, default 2, each WriteBatch (sendmmsg) on its own socket) put
// 64-byte UDP frames of 64 flows on veth A at a fixed total rate; a reader
// process in the same namespace captures on B with the kernel filter
// "udp". The readers without work get 4 MiB of ring each:
//
//	ring         this package, TPACKET_V3 ring, zero-copy block iteration
//	ring-libpcap the same with libpcap's ring geometry and 1 s retire
//	ring-pcapng  the same, writing every packet to a pcapng file
//	ring-fanout2 two ring sockets in a hash fanout group, one goroutine each
//	mdlayher     github.com/mdlayher/packet, one recvfrom per packet
//	tcpdump      tcpdump -w /dev/null -B 4096 (libpcap, TPACKET_V3)
//
// The -work readers do the same per-packet work (benchWork, ~15 µs: a
// stand-in for analysis), which makes them CPU-bound so that fanout has
// something to scale, and get 1 MiB of ring in all (see TestBenchChild):
//
//	ring-work               one socket, one goroutine
//	ring-fanout2-work       two sockets in a hash fanout group, a goroutine each
//	ring-fanout2lb-work     the same with PACKET_FANOUT_LB (round-robin)
//	ring-fanout2proc-work   the same as lb, each socket in a process of its own
//	ring-fanout2thread-work the same as lb in one process, the rings waited
//	                        on in poll(2) on the readers' threads, not in
//	                        the runtime poller (RingConfig.WaitOnThread)
//
// The sub-benchmark "plain" runs the readers without work at 50k..800k
// pkt/s in 2 s windows, "work" the -work readers at 50k..120k in 4 s
// windows (FG_BENCH_WINDOW sets both), the readers taking turns at each
// rate. A reader's zero-drop rate is the highest rate the senders
// achieved in a window where it received every frame, among the windows
// offered below its first loss (zeroDropRate: a lossless window above a
// lossy one does not count); kernel drops (PACKET_STATISTICS, tcpdump's
// "dropped by kernel") and any other loss count as a miss and are printed
// apart. The senders sleep between
// batches (the runtime's timers fire about every 1.1 ms), so they take
// CPU in proportion to the rate and leave the rest to the reader. CPU per
// packet is the reader process's user+system time for 3 s at 50 000
// pkt/s (20 000 for -work), minus the same process's time for an idle
// run of equal length. Each window's line also gives, for the time of
// sending, the reader's CPUs and run-queue wait, per socket frames,
// drops and time spent waiting for a block, the sender process's CPUs
// (the veth softirq that fills the rings runs in its context) and the
// machine's CPUs by kind. FG_BENCH_READERS=a,b limits the readers,
// FG_BENCH_RATES=r,r sets the rates of both groups.
//
// Run: go test -run '^$' -bench BenchmarkCapture -benchtime 1x ./packet
// (only the fanout comparison: -bench 'BenchmarkCapture/work').

func BenchmarkCapture(b *testing.B) {
	lookTool(b, "tcpdump")
	n := newVethNet(b)
	// Senders: FG_BENCH_SENDERS goroutines (default 2, one per CPU of the
	// benchmark machine), each with its own socket and its share of
	// the rate and of the flows. One reached about 220 000 pkt/s, two
	// about 400 000.
	var tx []*Conn
	senders, err := strconv.Atoi(os.Getenv("FG_BENCH_SENDERS"))
	if err != nil {
		senders = 2
	}
	for range max(senders, 1) {
		tx = append(tx, n.listen(b, "A", &Config{SendOnly: true}))
	}
	frames := benchFrames()
	rates := []float64{50e3, 100e3, 200e3, 300e3, 400e3, 500e3, 600e3, 800e3}
	// The -work readers spend about 15 µs per packet: one socket's
	// ceiling is near 65 000 pkt/s, two sockets' near twice that if the
	// sender leaves them the CPUs. Steps of 5 000 around both.
	workRates := []float64{50e3, 60e3, 65e3, 70e3, 75e3, 80e3, 85e3, 90e3, 95e3, 100e3, 110e3, 120e3}
	if r := os.Getenv("FG_BENCH_RATES"); r != "" {
		rates, workRates = nil, nil
		for _, f := range strings.Split(r, ",") {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				b.Fatalf("FG_BENCH_RATES: %v", err)
			}
			rates, workRates = append(rates, v), append(workRates, v)
		}
	}
	readers := []string{"ring", "ring-libpcap", "ring-pcapng", "ring-fanout2", "ring-work", "ring-fanout2-work", "ring-fanout2lb-work", "ring-fanout2proc-work", "ring-fanout2thread-work", "mdlayher", "tcpdump"}
	if r := os.Getenv("FG_BENCH_READERS"); r != "" {
		readers = strings.Split(r, ",")
	}
	window := 2 * time.Second // 4 MiB of ring buffers ~30 000 frames: much less than a window
	workWindow := 4 * time.Second
	if w, err := time.ParseDuration(os.Getenv("FG_BENCH_WINDOW")); err == nil {
		window, workWindow = w, w
	}
	var plain, work []string
	for _, r := range readers {
		if strings.HasSuffix(r, "-work") {
			work = append(work, r)
		} else {
			plain = append(plain, r)
		}
	}
	b.Run("plain", func(b *testing.B) {
		for range b.N {
			zero, cpu := captureRates(b, n, tx, frames, plain, rates, 50e3, window)
			report(b, zero, cpu, [][2]string{{"ring", "tcpdump"}, {"ring", "mdlayher"}, {"ring-fanout2", "ring"}, {"ring-pcapng", "ring"}},
				[][2]string{{"ring", "tcpdump"}, {"ring", "mdlayher"}, {"ring-pcapng", "ring"}})
		}
	})
	b.Run("work", func(b *testing.B) {
		for range b.N {
			zero, cpu := captureRates(b, n, tx, frames, work, workRates, 20e3, workWindow)
			var vs [][2]string
			for _, r := range []string{"ring-fanout2-work", "ring-fanout2lb-work", "ring-fanout2proc-work", "ring-fanout2thread-work"} {
				vs = append(vs, [2]string{r, "ring-work"})
			}
			report(b, zero, cpu, vs, vs)
		}
	})
}

// report reports zero[a]/zero[c] as "zero-drop-a/c" for each pair of
// zeros and cpu[a]/cpu[c] as "cpu-a/c" for each pair of cpus (0 when the
// denominator is 0: a reader that never reached a zero-drop rate).
func report(b *testing.B, zero, cpu map[string]float64, zeros, cpus [][2]string) {
	ratio := func(m map[string]float64, p [2]string) float64 {
		if m[p[1]] == 0 {
			return 0
		}
		return m[p[0]] / m[p[1]]
	}
	for _, p := range zeros {
		b.ReportMetric(ratio(zero, p), "zero-drop-"+p[0]+"/"+p[1])
	}
	for _, p := range cpus {
		b.ReportMetric(ratio(cpu, p), "cpu-"+p[0]+"/"+p[1])
	}
}

// captureRates measures readers: CPU per packet at cpuRate (3 s, idle
// baseline subtracted), then the zero-drop rate over rates, the readers
// taking turns at each rate so that the load of the shared machine at a
// given moment hits them alike. It reports each reader's figures as
// metrics and returns them.
func captureRates(b *testing.B, n *vethNet, tx []*Conn, frames [][]byte, readers []string, rates []float64, cpuRate float64, window time.Duration) (zero, cpu map[string]float64) {
	if len(readers) == 0 {
		b.Skip("no readers of this group in FG_BENCH_READERS")
	}
	zero, cpu = map[string]float64{}, map[string]float64{}
	firstLoss := map[string]float64{}
	runs := map[string][]rateRun{}
	for _, r := range readers {
		idle := runReader(b, n, tx, frames, r, 0, 3*time.Second)
		busy := runReader(b, n, tx, frames, r, cpuRate, 3*time.Second)
		if busy.received > 0 {
			cpu[r] = float64(busy.cpu-idle.cpu) / float64(busy.received)
		}
		fmt.Fprintf(os.Stderr, "%-19s CPU %6.0f ns/packet at %.0f pkt/s (idle run %v, busy run %v, %d of %d packets received, sender %.2f CPUs)\n",
			r, cpu[r], cpuRate, idle.cpu, busy.cpu, busy.received, busy.sent, busy.senderCPUs)
	}
	for _, rate := range rates {
		for _, r := range readers {
			res := runReader(b, n, tx, frames, r, rate, window)
			fmt.Fprintf(os.Stderr, "%-19s offered %7.0f pkt/s achieved %7.0f: sent %7d received %7d kernel drops %6d lost elsewhere %d, reader %.2f CPUs (run queue %.2f), per socket %s, sender %.2f CPUs (run queue %.2f), machine %v\n",
				r, rate, res.achieved, res.sent, res.received, res.drops, res.sent-res.received-res.drops, res.readerCPUs, res.readerRunqueue, res.perSocket, res.senderCPUs, res.senderRunqueue, res.sys)
			runs[r] = append(runs[r], rateRun{offered: rate, achieved: res.achieved, lossless: res.received == res.sent})
		}
	}
	for _, r := range readers {
		zero[r], firstLoss[r] = zeroDropRate(runs[r])
		fmt.Fprintf(os.Stderr, "%-19s zero-drop rate %8.0f pkt/s (first loss at offered %.0f), CPU %6.0f ns/packet\n", r, zero[r], firstLoss[r], cpu[r])
		b.ReportMetric(zero[r], "pps-zero-drop-"+r)
		b.ReportMetric(cpu[r], "cpu-ns/pkt-"+r)
	}
	return zero, cpu
}

type readerResult struct {
	sent, received, drops int64
	achieved              float64
	cpu                   time.Duration
	perSocket             string  // frames per fanout member, "[a b]"
	senderCPUs            float64 // the benchmark process's CPUs while sending (senders and the softirq run in their context)
	readerCPUs            float64 // the reader process's CPUs while sending
	readerRunqueue        float64 // its threads' time runnable but not running, per second of sending
	senderRunqueue        float64 // the same for the benchmark process
	sys                   cpuStat // machine-wide CPUs by kind while sending
}

// schedStat sums /proc/pid/task/*/schedstat over the process's threads:
// time on a CPU and time waiting on a run queue.
func schedStat(pid int) (run, wait time.Duration) {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	for _, t := range tasks {
		data, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		f := strings.Fields(string(data))
		if len(f) < 2 {
			continue
		}
		r, _ := strconv.ParseInt(f[0], 10, 64)
		w, _ := strconv.ParseInt(f[1], 10, 64)
		run += time.Duration(r)
		wait += time.Duration(w)
	}
	return run, wait
}

// procCPU is process pid's user+system time from /proc/pid/stat (0 if it
// cannot be read). `ip netns exec` execs the reader, so the reader is
// the process ip was started as.
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	var children time.Duration // a fanout member process of the reader
	kids, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, k := range kids {
		list, _ := os.ReadFile(k)
		for _, c := range strings.Fields(string(list)) {
			if cp, err := strconv.Atoi(c); err == nil {
				children += procCPU(cp)
			}
		}
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64) // field 14 of proc_pid_stat(5)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st)*10*time.Millisecond + children // USER_HZ 100
}

// cpuStat is the machine-wide CPU time by kind from /proc/stat's "cpu"
// line, in clock ticks (or, after perSecond, in CPUs).
type cpuStat struct{ user, sys, softirq, idle, steal float64 }

// readCPUStat reads /proc/stat's first line.
func readCPUStat() cpuStat {
	data, _ := os.ReadFile("/proc/stat")
	f := strings.Fields(strings.SplitN(string(data), "\n", 2)[0])
	v := func(i int) float64 {
		if i >= len(f) {
			return 0
		}
		x, _ := strconv.ParseFloat(f[i], 64)
		return x
	}
	// cpu user nice system idle iowait irq softirq steal
	return cpuStat{user: v(1) + v(2), sys: v(3) + v(6), softirq: v(7), idle: v(4) + v(5), steal: v(8)}
}

func (c cpuStat) sub(o cpuStat) cpuStat {
	return cpuStat{c.user - o.user, c.sys - o.sys, c.softirq - o.softirq, c.idle - o.idle, c.steal - o.steal}
}

// perSecond turns ticks over d into CPUs (USER_HZ is 100 on Linux).
func (c cpuStat) perSecond(d time.Duration) cpuStat {
	k := 1 / (100 * d.Seconds())
	return cpuStat{c.user * k, c.sys * k, c.softirq * k, c.idle * k, c.steal * k}
}

func (c cpuStat) String() string {
	return fmt.Sprintf("user %.2f sys %.2f softirq %.2f idle %.2f steal %.2f", c.user, c.sys, c.softirq, c.idle, c.steal)
}

// runReader starts reader r in the namespace, sends rate pkt/s for d, and
// returns what it received and its CPU time.
func runReader(b *testing.B, n *vethNet, tx []*Conn, frames [][]byte, r string, rate float64, d time.Duration) readerResult {
	b.Helper()
	var cmd *exec.Cmd
	if r == "tcpdump" {
		cmd = exec.Command("ip", "netns", "exec", n.name, "tcpdump", "-i", "B", "-w", "/dev/null", "-B", "4096", "-n", "udp")
	} else {
		self, _ := os.Executable()
		args := []string{"netns", "exec", n.name, self, "-test.run=^TestBenchChild$"}
		if prof := os.Getenv("FG_BENCH_PROF"); prof != "" && rate > 0 {
			args = append(args, fmt.Sprintf("-test.cpuprofile=%s-%s-%.0f", prof, r, rate))
		}

		cmd = exec.Command("ip", args...)
		cmd.Env = append(os.Environ(), "FG_BENCH_CHILD="+r, "FG_BENCH_OUT="+filepath.Join(b.TempDir(), "bench.pcapng"))
	}
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	lines := make(chan string, 64)
	var wg sync.WaitGroup
	for _, p := range []io.Reader{stdout, stderr} {
		wg.Go(func() {
			sc := bufio.NewScanner(p)
			for sc.Scan() {
				lines <- sc.Text()
			}
		})
	}
	go func() { wg.Wait(); close(lines) }()
	var out []string
	ready := "ready"
	if r == "tcpdump" {
		ready = "listening on"
	}
	for l := range lines {
		out = append(out, l)
		if strings.Contains(l, ready) {
			break
		}
	}
	if r == "tcpdump" {
		time.Sleep(200 * time.Millisecond) // its ring is mapped after the message
	}
	var sent atomic.Int64
	var wg2 sync.WaitGroup
	start := time.Now()
	senderCPU0, sys0, reader0 := cpuTime(), readCPUStat(), procCPU(cmd.Process.Pid)
	_, readerWait0 := schedStat(cmd.Process.Pid)
	_, senderWait0 := schedStat(os.Getpid())
	for i, c := range tx {
		var mine [][]byte
		for f := i; f < len(frames); f += len(tx) {
			mine = append(mine, frames[f])
		}
		wg2.Go(func() {
			s, _ := sendAtRate(b, c, mine, rate/float64(len(tx)), d)
			sent.Add(s)
		})
	}
	wg2.Wait()
	elapsed := time.Since(start)
	achieved := float64(sent.Load()) / elapsed.Seconds()
	senderCPU, sys, readerCPU := cpuTime()-senderCPU0, readCPUStat().sub(sys0), procCPU(cmd.Process.Pid)-reader0
	_, readerWait := schedStat(cmd.Process.Pid)
	_, senderWait := schedStat(os.Getpid())
	readerWait -= readerWait0
	senderWait -= senderWait0
	// Let the readers drain: ours retire a block every 50 ms, tcpdump's
	// libpcap (and ring-libpcap) every 1000 ms (its packet buffer timeout).
	time.Sleep(200 * time.Millisecond)
	if r == "tcpdump" || r == "ring-libpcap" {
		time.Sleep(time.Second)
	}
	if r == "tcpdump" {
		cmd.Process.Signal(syscall.SIGINT)
	} else {
		stdin.Close()
	}
	for l := range lines {
		out = append(out, l)
	}
	if err := cmd.Wait(); err != nil {
		b.Fatalf("%s: %v\n%s", r, err, strings.Join(out, "\n"))
	}
	res := readerResult{sent: sent.Load(), achieved: achieved, senderCPUs: senderCPU.Seconds() / elapsed.Seconds(), readerCPUs: readerCPU.Seconds() / elapsed.Seconds(), sys: sys.perSecond(elapsed),
		readerRunqueue: readerWait.Seconds() / elapsed.Seconds(), senderRunqueue: senderWait.Seconds() / elapsed.Seconds()}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	res.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	text := strings.Join(out, "\n")
	num := func(re string) int64 {
		m := regexp.MustCompile(re).FindStringSubmatch(text)
		if m == nil {
			b.Fatalf("%s: no %q in output:\n%s", r, re, text)
		}
		v, _ := strconv.ParseInt(m[1], 10, 64)
		return v
	}
	if r == "tcpdump" {
		res.received = num(`(\d+) packets? captured`)
		res.drops = num(`(\d+) packets? dropped by kernel`)
	} else {
		res.received = num(`received=(\d+)`)
		res.drops = num(`drops=(\d+)`)
		if m := regexp.MustCompile(`per-socket=(.*)`).FindStringSubmatch(text); m != nil {
			res.perSocket = m[1]
		}
	}
	return res
}

// sendAtRate sends frames round-robin at rate pkt/s for d (rate 0: idle
// for d) and returns the count and the achieved rate. It sends what is
// due in WriteBatch calls (sendmmsg(2), up to 512 frames each), then
// sleeps until the next frame is due: the runtime wakes it about every
// 1.1 ms, so at 100 000 pkt/s a sender sends bursts of ~100 frames
// and its CPU grows with the rate (a sender that spins between frames
// takes a whole CPU at any rate, which on 2 CPUs starves the readers).
// On a loaded run it falls behind in bursts rather than in rate.
func sendAtRate(b *testing.B, tx *Conn, frames [][]byte, rate float64, d time.Duration) (int64, float64) {
	if rate == 0 {
		time.Sleep(d)
		return 0, 0
	}
	total := int64(rate * d.Seconds())
	batch := make([][]byte, 0, 512)
	start := time.Now()
	var sent int64
	for sent < total {
		due := min(total, int64(time.Since(start).Seconds()*rate)+1)
		for sent < due {
			batch = batch[:0]
			for i := range min(due-sent, 512) {
				batch = append(batch, frames[(sent+i)%int64(len(frames))])
			}
			n, err := tx.WriteBatch(batch)
			sent += int64(n)
			if err != nil {
				b.Errorf("WriteBatch: %v", err) // not Fatal: runs in a sender goroutine
				return sent, float64(sent) / time.Since(start).Seconds()
			}
		}
		if sent < total {
			time.Sleep(time.Until(start.Add(time.Duration(float64(sent) / rate * float64(time.Second)))))
		}
	}
	return sent, float64(sent) / time.Since(start).Seconds()
}

// TestBenchChild is the reader process of BenchmarkCapture; it does
// nothing unless FG_BENCH_CHILD names a reader.
func TestBenchChild(t *testing.T) {
	mode := os.Getenv("FG_BENCH_CHILD")
	if mode == "" {
		return
	}
	ifi, err := net.InterfaceByName("B")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var received atomic.Int64
	var perSocket []int64       // frames each ring socket read
	var waits []time.Duration   // time each ring reader spent waiting for a block
	var sockDrops []uint64      // each ring socket's kernel drops
	var maxWait []time.Duration // each ring reader's longest wait
	var drops uint64
	// 4 MiB in 64 KiB blocks retired after at most 50 ms: at the low rates
	// a block then holds hundreds of frames (with 10 ms a 20 000 pkt/s
	// capture used 16 blocks for only 160 ms of frames and dropped when
	// the reader was descheduled that long on the shared machine).
	ring := &RingConfig{BlockSize: 64 << 10, BlockCount: 64, RetireTimeout: 50 * time.Millisecond}
	filter, err := AssembleFilter("udp", nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	switch mode {
	case "ring", "ring-libpcap", "ring-pcapng", "ring-fanout2", "ring-work", "ring-fanout2-work", "ring-fanout2lb-work", "ring-fanout2proc-work", "ring-fanout2thread-work", "ring-member-work":
		if mode == "ring-libpcap" {
			// The ring libpcap maps for tcpdump -B 4096 (TPACKET_V3:
			// frame size 256 KiB, so blocks of 256 KiB, 16 of them,
			// retired after tcpdump's 1000 ms packet buffer timeout).
			ring = &RingConfig{BlockSize: 256 << 10, BlockCount: 16, FrameSize: 256 << 10, RetireTimeout: time.Second}
		}
		work := strings.HasSuffix(mode, "-work")
		if v := os.Getenv("FG_BENCH_RING"); v != "" && mode == "ring" {
			// An experiment: BLOCKSIZE,COUNT,TIMEOUT for the ring reader.
			var bs, bn int
			var tov time.Duration
			f := strings.Split(v, ",")
			bs, _ = strconv.Atoi(f[0])
			bn, _ = strconv.Atoi(f[1])
			tov, _ = time.ParseDuration(f[2])
			ring = &RingConfig{BlockSize: bs, BlockCount: bn, RetireTimeout: tov}
		}
		socks := 1
		var fan *FanoutConfig
		if work {
			// 1 MiB (~7 000 frames): a reader that falls behind by
			// 2 000 pkt/s overflows it within a 4 s window, so the
			// zero-drop rate is a rate the reader sustains, not its
			// rate plus what the buffer hides.
			ring.BlockCount = 16
		}
		var member *exec.Cmd // the other fanout member of ring-fanout2proc-work
		var memberOut *bufio.Scanner
		var memberIn io.WriteCloser
		switch {
		case strings.HasPrefix(mode, "ring-fanout2"):
			socks, ring.BlockCount = 2, ring.BlockCount/2 // the same buffer in all
			fan = &FanoutConfig{Mode: FanoutHash, Group: uint16(os.Getpid())}
			if mode == "ring-fanout2lb-work" || mode == "ring-fanout2proc-work" || mode == "ring-fanout2thread-work" {
				fan.Mode = FanoutLB
			}
			if mode == "ring-fanout2thread-work" {
				ring.WaitOnThread = true
			}
			if mode == "ring-fanout2proc-work" {
				// One socket here, the other in a process of its own.
				socks = 1
				self, _ := os.Executable()
				member = exec.Command(self, "-test.run=^TestBenchChild$")
				member.Env = append(os.Environ(), "FG_BENCH_CHILD=ring-member-work", fmt.Sprintf("FG_BENCH_GROUP=%d", fan.Group))
				member.Stderr = os.Stderr
				memberIn, _ = member.StdinPipe()
				out, _ := member.StdoutPipe()
				memberOut = bufio.NewScanner(out)
				if err := member.Start(); err != nil {
					t.Fatal(err)
				}
				for memberOut.Scan() && memberOut.Text() != "ready" {
				}
			}
		case mode == "ring-member-work":
			g, _ := strconv.Atoi(os.Getenv("FG_BENCH_GROUP"))
			ring.BlockCount /= 2
			fan = &FanoutConfig{Mode: FanoutLB, Group: uint16(g)}
		}
		var w *Writer
		if mode == "ring-pcapng" {
			if w, err = CreateFile(os.Getenv("FG_BENCH_OUT"), nil); err != nil {
				t.Fatal(err)
			}
			if _, err := w.AddInterface(Interface{Name: "B", LinkType: LinkTypeEthernet}); err != nil {
				t.Fatal(err)
			}
		}
		var conns []*Conn
		perSocket = make([]int64, socks)
		waits = make([]time.Duration, socks)
		maxWait = make([]time.Duration, socks)
		sockDrops = make([]uint64, socks)
		for i := range socks {
			c, err := Listen(ifi, &Config{Ring: ring, Filter: filter, Fanout: fan})
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
			wg.Go(func() {
				var n int64
				var waited time.Duration
				defer func() { perSocket[i] = n; waits[i] = waited; received.Add(n) }()
				for {
					t0 := time.Now()
					blk, err := c.ReadBlock(ctx)
					if err != nil {
						return
					}
					dt := time.Since(t0)
					waited += dt
					if dt > maxWait[i] {
						maxWait[i] = dt
					}
					var sink uint64
					for p, ok := blk.Next(); ok; p, ok = blk.Next() {
						n++
						if work {
							sink += benchWork(p.Data)
						}
						if w != nil {
							w.WritePacket(0, CaptureInfo{Timestamp: p.Timestamp, Length: p.Length, Direction: DirectionOf(p.Type)}, p.Data)
						}
					}
					blk.Release()
					benchSink.Add(sink)
				}
			})
		}
		fmt.Println("ready")
		io.Copy(io.Discard, os.Stdin)
		cancel()
		wg.Wait()
		for i, c := range conns {
			st, _ := c.Stats()
			drops += st.Drops
			sockDrops[i] = st.Drops
			c.Close()
		}
		if member != nil {
			memberIn.Close()
			var line string
			for memberOut.Scan() {
				line += memberOut.Text()
			}
			if err := member.Wait(); err != nil {
				t.Fatalf("fanout member: %v", err)
			}
			var n int64
			var d uint64
			if _, err := fmt.Sscanf(line, "result received=%d drops=%d", &n, &d); err != nil {
				t.Fatalf("fanout member said %q: %v", line, err)
			}
			received.Add(n)
			drops += d
			perSocket, sockDrops = append(perSocket, n), append(sockDrops, d)
		}
		if w != nil {
			w.Close()
		}
	case "mdlayher":
		c, err := mdpacket.Listen(ifi, mdpacket.Raw, unix.ETH_P_ALL, &mdpacket.Config{Filter: filter})
		if err != nil {
			t.Fatal(err)
		}
		rc, _ := c.SyscallConn()
		rc.Control(func(fd uintptr) { unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20) })
		wg.Go(func() {
			buf := make([]byte, 2048)
			for {
				if _, _, err := c.ReadFrom(buf); err != nil {
					return
				}
				received.Add(1)
			}
		})
		fmt.Println("ready")
		io.Copy(io.Discard, os.Stdin)
		c.SetReadDeadline(time.Now())
		wg.Wait()
		st, _ := c.Stats()
		drops = uint64(st.Drops)
		c.Close()
	default:
		t.Fatalf("unknown reader %q", mode)
	}
	fmt.Printf("result received=%d drops=%d per-socket=%v per-socket-drops=%v per-socket-wait=%v gomaxprocs=%d maxwait=%v\n",
		received.Load(), drops, perSocket, sockDrops, waits, runtime.GOMAXPROCS(0), maxWait)
}

var benchSink atomic.Uint64

// benchWork is the per-packet work of the -work readers: 200 rounds of
// FNV-1a over the frame, about 15 µs on the benchmark machine,
// standing in for protocol analysis.
func benchWork(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for range 200 {
		for _, c := range b {
			h ^= uint64(c)
			h *= 1099511628211
		}
	}
	return h
}
