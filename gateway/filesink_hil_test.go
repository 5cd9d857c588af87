//go:build hil

package gateway

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/packet"
)

// sinkBurst is one burst of cangen frames into a file sink with default
// settings, and what came of it.
type sinkBurst struct {
	kind    string // capture or log
	frames  int    // cangen -n
	admin   int    // admin port
	inFile  int    // frames in the file
	busIn   uint64 // frames_in of the can endpoint
	sinkOut uint64 // frames_out of the sink
	dropped map[string]uint64
	peakRSS int64 // the gateway's VmHWM, bytes
	elapsed time.Duration
}

func (b *sinkBurst) String() string {
	return fmt.Sprintf("%s %d frames: in file %d, bus in %d, sink out %d, dropped %v, peak RSS %.1f MiB, %v",
		b.kind, b.frames, b.inFile, b.busIn, b.sinkOut, b.dropped, float64(b.peakRSS)/(1<<20), b.elapsed.Round(time.Millisecond))
}

// runSinkBurst starts a gateway with vcan0 routed into one file sink,
// sends a cangen -g 0 burst onto vcan0, waits until every frame is counted
// in or dropped and the sink has written or dropped every frame it got,
// stops the gateway and counts the frames in the file.
func runSinkBurst(t *testing.T, b *sinkBurst) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sink."+b.kind)
	g := startGW(t, b.admin, fmt.Sprintf(`
endpoints:
  bus: {kind: can, interface: vcan0}
  sink: {kind: %s, path: %s}
routes:
  - {name: rec, from: [bus], to: [sink]}
`, b.kind, path))
	pid := gatewayPID(t, g.file)
	start := time.Now()
	if out, err := exec.Command("cangen", "vcan0", "-g", "0", "-n", strconv.Itoa(b.frames)).CombinedOutput(); err != nil {
		t.Fatalf("cangen: %v %s", err, out)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		st := g.status(t)
		bus, sink := st.endpoint("bus"), st.endpoint("sink")
		if bus.FramesIn+DroppedTotal(bus.Dropped) >= uint64(b.frames) && sink.Queue == 0 && sink.FramesOut+DroppedTotal(sink.Dropped) >= bus.FramesIn {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("burst did not settle: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.elapsed = time.Since(start)
	b.peakRSS = vmHWM(t, pid)
	st := g.settle(t)
	b.busIn, b.sinkOut = st.endpoint("bus").FramesIn, st.endpoint("sink").FramesOut
	b.dropped = map[string]uint64{}
	for _, e := range st.Endpoints {
		for r, v := range e.Dropped {
			b.dropped[e.Name+"."+r] += v
		}
	}
	g.Signal(os.Interrupt)
	g.Wait()
	b.inFile = countRecords(t, b.kind, path)
}

// gatewayPID finds the fieldgate process running the configuration file.
func gatewayPID(t *testing.T, file string) int {
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
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(cmd), file) && strings.Contains(string(cmd), "run") {
			return pid
		}
	}
	t.Fatalf("no process runs %s", file)
	return 0
}

// vmHWM returns a process's peak resident set size in bytes.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}

// countRecords counts the frames in a candump log (lines) or a pcapng file
// (packet records).
func countRecords(t *testing.T, kind, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	if kind == "log" {
		s := bufio.NewScanner(f)
		for s.Scan() {
			if fs := strings.Fields(s.Text()); len(fs) != 3 || fs[1] != "can0" || !strings.Contains(fs[2], "#") {
				t.Fatalf("%s: line %d: %q is not a candump -l line", path, n+1, s.Text())
			}
			n++
		}
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		return n
	}
	r, err := packet.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	for {
		rec, err := r.ReadPacket()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			t.Fatalf("%s: record %d: %v", path, n, err)
		}
		if len(rec.Data) != 16 {
			t.Fatalf("%s: record %d is %d bytes, want a 16-byte SocketCAN record", path, n, len(rec.Data))
		}
		n++
	}
}

// TestHILFileSinkBurst: cangen -g 0 bursts of 3 000 and 20 000 frames on
// vcan0, routed into a capture and into a log sink with default settings,
// lose nothing: every frame is in the file, and the gateway counts every
// frame in and out and drops none. (With the old defaults a 3 000-frame
// burst lost hundreds as queue_overflow: the queue held 1 024 frames, and
// on one CPU the CAN reader kept the processor until the socket was empty
// while the sink's writer waited.) The gateway's peak resident memory is
// logged.
func TestHILFileSinkBurst(t *testing.T) {
	for _, kind := range []string{"capture", "log"} {
		for _, n := range []int{3000, 20000} {
			b := &sinkBurst{kind: kind, frames: n, admin: 9273}
			runSinkBurst(t, b)
			t.Logf("%v", b)
			if b.inFile != n || b.busIn != uint64(n) || b.sinkOut != uint64(n) || len(b.dropped) != 0 {
				t.Errorf("%s, %d frames: %d in the file, bus in %d, sink out %d, dropped %v; want all %d and no drop",
					kind, n, b.inFile, b.busIn, b.sinkOut, b.dropped, n)
			}
		}
	}
}
