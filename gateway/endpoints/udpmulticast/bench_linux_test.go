//go:build linux

package udpmulticast

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

func cpuNow(t *testing.T) time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestBenchVsPython measures CPU time per frame of fieldgate's endpoint
// and of python-can 4.1's udp_multicast bus, sending and receiving the
// same 8-byte classic frames over IPv4 between two namespaces, in the same
// run (BENCHMARKS.md). Run with FIELDGATE_BENCH=1.
func TestBenchVsPython(t *testing.T) {
	if os.Getenv("FIELDGATE_BENCH") == "" {
		t.Skip("set FIELDGATE_BENCH=1 to measure")
	}
	const n = 20000
	port := strconv.Itoa(DefaultPort)
	n2 := newMcNet(t)
	// FIELDGATE_BENCH_LOOPBACK=false measures fieldgate with multicast
	// loopback off (its own datagrams are then not delivered back to it).
	lb := "true"
	if os.Getenv("FIELDGATE_BENCH_LOOPBACK") == "false" {
		lb = "false"
	}
	tr, _ := n2.open(t, "group: "+DefaultGroupIPv4+", loopback: "+lb)
	var recvd atomic.Int64
	var firstCPU, lastCPU atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go tr.Receive(ctx, func(fs []frame.Frame) {
		if recvd.Load() == 0 {
			firstCPU.Store(int64(cpuNow(t)))
		}
		recvd.Add(int64(len(fs)))
		lastCPU.Store(int64(cpuNow(t)))
	})

	// python-can sends, fieldgate receives.
	_, out := peer(t, n2.b, nil, "bench-send", DefaultGroupIPv4, port, strconv.Itoa(n))
	pySend, _ := strconv.ParseFloat(nextLine(t, out, "CPU time"), 64)
	time.Sleep(500 * time.Millisecond)
	got := recvd.Load()
	fgRecv := time.Duration(lastCPU.Load() - firstCPU.Load())

	// fieldgate sends (paced so that python-can keeps up), python-can
	// receives.
	_, in := peer(t, n2.b, nil, "bench-recv", DefaultGroupIPv4, port, strconv.Itoa(n))
	nextLine(t, in, "ready")
	fs := make([]frame.Frame, endpoint.BatchSize)
	for i := range fs {
		fs[i] = frame.Frame{Type: frame.CAN, ID: 0x123, Len: 8, Time: time.Now().UnixNano()}
	}
	var fgSend time.Duration
	start := time.Now()
	for sent := 0; sent < n+n/10; sent += len(fs) {
		c0 := cpuNow(t)
		if k, err := tr.Send(context.Background(), fs); k != len(fs) || err != nil {
			t.Fatalf("Send: %d %v", k, err)
		}
		fgSend += cpuNow(t) - c0
		time.Sleep(3 * time.Millisecond)
	}
	wall := time.Since(start)
	pyRecv, err := strconv.ParseFloat(strings.TrimSpace(nextLine(t, in, "CPU time")), 64)
	if err != nil {
		t.Fatal(err)
	}
	sentN := (n + n/10 + endpoint.BatchSize - 1) / endpoint.BatchSize * endpoint.BatchSize
	per := func(d time.Duration, k int64) float64 { return float64(d.Nanoseconds()) / 1e3 / float64(k) }
	t.Logf("fieldgate loopback: %s", lb)
	t.Logf("send: fieldgate %.2f µs CPU/frame (%d frames), python-can %.2f µs CPU/frame (%d frames): python-can/fieldgate %.1fx",
		per(fgSend, int64(sentN)), sentN, pySend*1e6/n, n, pySend*1e6/n/per(fgSend, int64(sentN)))
	t.Logf("receive: fieldgate %.2f µs CPU/frame (%d of %d frames), python-can %.2f µs CPU/frame (%d frames): python-can/fieldgate %.1fx",
		per(fgRecv, got), got, n, pyRecv*1e6/n, n, pyRecv*1e6/n/per(fgRecv, got))
	t.Logf("(fieldgate's paced send: %d frames in %v)", sentN, wall)
}
