//go:build hil

package gateway

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/internal/peer"
)

// The load generator of BenchmarkHILForward runs in its own process (this
// test binary started again with loadgenEnv set), so that every forwarder,
// can-gw, the gateway, python-can, is measured by the same separate
// process, as a deployment would see it: the gateway under test shares no
// Go scheduler or garbage collector with the sender and receiver.
const loadgenEnv = "FIELDGATE_LOADGEN"

// loadSpec is what one load generator run does.
type loadSpec struct {
	N     int     // frames to send
	Rate  float64 // frames/s offered; 0 = as fast as the kernel takes them
	Batch int     // frames per sendmmsg when Rate is 0
}

// fwdResult is what the receiver saw.
type fwdResult struct {
	Sent, Recv int
	FPS        float64 // received frames / (last receive - first send)
	P50, P99   time.Duration
	P999, Max  time.Duration
	Over1ms    int      // frames with a latency above 1 ms
	Stalls     []string // the longest runs of consecutive frames above 1 ms
	// Busy is the guest's CPU (the one vCPU) busy fraction from the first
	// send to the last receive; Self the load generator's own share.
	Busy, Self float64
}

func (r fwdResult) String() string {
	return fmt.Sprintf("%d/%d received, %.0f frames/s, p50 %v, p99 %v, p99.9 %v, max %v, >1ms %d %v, vCPU busy %.0f%% (load generator %.0f%%)", r.Recv, r.Sent, r.FPS,
		r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.P999.Round(time.Microsecond),
		r.Max.Round(time.Microsecond), r.Over1ms, r.Stalls, 100*r.Busy, 100*r.Self)
}

// forward runs the load generator process for spec and returns its result.
func forward(tb testing.TB, spec loadSpec) fwdResult {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHILLoadGen$", "-test.v")
	cmd.Env = append(os.Environ(), loadgenEnv+"="+fmt.Sprintf("%d,%g,%d", spec.N, spec.Rate, spec.Batch))
	out, err := cmd.CombinedOutput()
	for _, l := range strings.Split(string(out), "\n") {
		if j, ok := strings.CutPrefix(l, "loadgen-result "); ok {
			var r fwdResult
			if err := json.Unmarshal([]byte(j), &r); err != nil {
				tb.Fatalf("load generator: %v: %s", err, j)
			}
			return r
		}
	}
	tb.Fatalf("load generator: %v\n%s", err, out)
	return fwdResult{}
}

// TestHILLoadGen is the load generator process of BenchmarkHILForward; run
// directly it skips. It sends N 8-byte frames carrying their send time on
// vcan0 and receives them on vcan1. Paced (Rate > 0), it sends at each
// wake-up the frames due by then (one in the common case, a few when the
// timer woke late), each stamped just before its write; unpaced, Batch
// frames per sendmmsg as fast as the kernel takes them. Reads and writes
// use no cancellable context (no per-call allocation or watcher); the
// receiver stops when all frames arrived or 2 s after the last send.
func TestHILLoadGen(t *testing.T) {
	env := os.Getenv(loadgenEnv)
	if env == "" {
		t.Skip("load generator process of BenchmarkHILForward")
	}
	var spec loadSpec
	p := strings.Split(env, ",")
	spec.N, _ = strconv.Atoi(p[0])
	spec.Rate, _ = strconv.ParseFloat(p[1], 64)
	spec.Batch, _ = strconv.Atoi(p[2])
	spec.Batch = max(1, min(spec.Batch, can.MaxBatch))
	rx, err := can.ListenRaw("vcan1", &can.RawConfig{RecvBuffer: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := can.ListenRaw("vcan0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	ctx := context.Background() // never cancelled: no watcher per call
	lat := make([]time.Duration, 0, spec.N)
	var first, last time.Time // last is read after done
	done := make(chan struct{})
	go func() {
		defer close(done)
		msgs := make([]can.RecvMsg, can.MaxBatch)
		for len(lat) < spec.N {
			k, err := rx.ReadBatch(ctx, msgs)
			now := time.Now()
			for i := range k {
				sent := int64(binary.LittleEndian.Uint64(msgs[i].Frame.Data[:8]))
				lat = append(lat, time.Duration(now.UnixNano()-sent))
			}
			if k > 0 {
				last = now
			}
			if err != nil {
				return
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	frames := make([]can.FDFrame, can.MaxBatch)
	idle0, total0 := guestCPUTicks()
	self0 := selfCPU()
	first = time.Now()
	for i := 0; i < spec.N; {
		k := min(spec.Batch, spec.N-i)
		if spec.Rate > 0 {
			next := first.Add(time.Duration(float64(i) / spec.Rate * 1e9))
			if wait := time.Until(next); wait > 0 {
				time.Sleep(wait)
			}
			due := int(time.Since(first).Seconds()*spec.Rate) + 1
			k = max(1, min(due-i, spec.N-i, can.MaxBatch))
		}
		for j := range k {
			frames[j] = can.FDFrame{ID: uint32((i + j) & 0x7FF), Len: 8}
			binary.LittleEndian.PutUint64(frames[j].Data[:8], uint64(time.Now().UnixNano()))
		}
		w, err := tx.WriteBatch(ctx, frames[:k])
		if err != nil {
			t.Fatalf("send: %v", err)
		}
		i += w
	}
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		rx.Close()
		<-done
	}
	rx.Close()
	idle1, total1 := guestCPUTicks()
	r := fwdResult{Sent: spec.N, Recv: len(lat)}
	if total1 > total0 {
		r.Busy = 1 - (idle1-idle0)/(total1-total0)
		r.Self = (selfCPU() - self0).Seconds() / ((total1 - total0) / 100) // USER_HZ 100
	}
	if len(lat) > 0 {
		r.FPS = float64(len(lat)) / last.Sub(first).Seconds()
		r.Over1ms, r.Stalls = stalls(lat, spec.Rate)
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		r.P50, r.P99, r.P999, r.Max = lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)*999/1000], lat[len(lat)-1]
	}
	j, _ := json.Marshal(r)
	fmt.Printf("loadgen-result %s\n", j)
}

// guestCPUTicks returns the machine's idle (idle + iowait) and total CPU
// time in clock ticks, from /proc/stat's "cpu" line.
func guestCPUTicks() (idle, total float64) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseFloat(f, 64)
		total += v
		if i == 3 || i == 4 { // idle, iowait
			idle += v
		}
	}
	return idle, total
}

// selfCPU is this process's user + system time.
func selfCPU() time.Duration {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// bareEnv starts TestHILBareForwarder in a helper process.
const bareEnv = "FIELDGATE_BAREFWD"

// withBare runs fn while a bare forwarder process runs.
func withBare(tb testing.TB, fn func()) {
	tb.Helper()
	p := peer.StartEnv(tb, []string{bareEnv + "=1"}, os.Args[0], "-test.run=^TestHILBareForwarder$")
	p.ExpectPrefix(tb, "ready", 30*time.Second)
	fn()
	p.Signal(os.Kill)
	p.Wait()
}

// TestHILBareForwarder is the reference forwarder of BenchmarkHILForward,
// run in a helper process; run directly it skips. One goroutine reads
// batches on vcan0 and writes them to vcan1 with the same can package
// calls as the gateway (recvmmsg/sendmmsg of up to 64), with no queue,
// routing or accounting: what any user-space forwarder on raw sockets
// costs at least.
func TestHILBareForwarder(t *testing.T) {
	if os.Getenv(bareEnv) == "" {
		t.Skip("reference forwarder process of BenchmarkHILForward")
	}
	rx, err := can.ListenRaw("vcan0", &can.RawConfig{RecvBuffer: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := can.ListenRaw("vcan1", &can.RawConfig{Filters: []can.Filter{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	msgs := make([]can.RecvMsg, can.MaxBatch)
	frames := make([]can.FDFrame, can.MaxBatch)
	fmt.Println("ready")
	for {
		k, err := rx.ReadBatch(ctx, msgs)
		if err != nil {
			t.Fatal(err)
		}
		for i := range k {
			frames[i] = msgs[i].Frame
		}
		if _, err := tx.WriteBatch(ctx, frames[:k]); err != nil {
			t.Fatal(err)
		}
	}
}

// stalls returns how many of lat (in arrival order) exceed 1 ms and the
// five longest runs of consecutive such frames, as "at +T: n frames, max
// D" (T from the first send, estimated from the frame's index at rate).
func stalls(lat []time.Duration, rate float64) (int, []string) {
	type run struct {
		at, n int
		max   time.Duration
	}
	var rs []run
	over := 0
	for i := 0; i < len(lat); i++ {
		if lat[i] <= time.Millisecond {
			continue
		}
		r := run{at: i}
		for ; i < len(lat) && lat[i] > time.Millisecond; i++ {
			r.n++
			r.max = max(r.max, lat[i])
		}
		over += r.n
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].max > rs[j].max })
	var out []string
	for _, r := range rs[:min(5, len(rs))] {
		at := "?"
		if rate > 0 {
			at = (time.Duration(float64(r.at) / rate * 1e9)).Round(time.Millisecond).String()
		}
		out = append(out, fmt.Sprintf("+%s:%dx%v", at, r.n, r.max.Round(100*time.Microsecond)))
	}
	return over, out
}
