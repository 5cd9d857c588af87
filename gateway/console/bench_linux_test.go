//go:build !hil

package console

import (
	"bytes"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/cannelloni"
	"github.com/fieldgate/fieldgate/gateway/config"
)

// cpuTime returns the process's user + system CPU time.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkConsoleForwarding forwards frames udp → gateway → udp with the
// console closed and open (an event stream connected and reading, the
// trace streaming at 10 Hz), alternating the two in every round so that
// both see the same machine load, and reports the process's CPU time per
// forwarded frame for each and their ratio; a second closed phase after the
// open one gives the noise (closed2/closed). The sender and the sink run
// in the same process and cost the same in both phases. Each phase sends
// 20 000 frames of 64 IDs, 40 per datagram, at most 8 datagrams ahead of
// the sink. Host only (!hil): BenchmarkHILConsoleForwarding is the rig's.
func BenchmarkConsoleForwarding(b *testing.B) {
	r := startRig(b, config.Admin{})
	var got atomic.Int64
	go func() {
		buf := make([]byte, 65536)
		for {
			n, err := r.sink.Read(buf)
			if err != nil {
				return
			}
			if h, err := cannelloni.ParseHeader(buf[:n]); err == nil {
				got.Add(int64(h.Count))
			}
		}
	}()
	const perDgram, phase, window = 40, 100000, 8 * 40
	frames := make([]cannelloni.Frame, perDgram)
	sent := 0
	run := func() (cpu time.Duration, n int) {
		start, c0, g0 := sent, cpuTime(b), got.Load()
		for sent-start < phase {
			for i := range frames {
				frames[i] = canFrame(0x100+uint32((sent+i)%64), byte(sent+i), byte((sent+i)>>8), 1, 2, 3, 4, 5, 6)
			}
			r.send(b, frames...)
			sent += perDgram
			stall := time.Now()
			for int64(sent)-got.Load() > window {
				if time.Since(stall) > 2*time.Second {
					got.Store(int64(sent)) // lost datagrams: go on
					break
				}
				time.Sleep(20 * time.Microsecond)
			}
		}
		deadline := time.Now().Add(2 * time.Second)
		for got.Load() < int64(sent) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Microsecond)
		}
		return cpuTime(b) - c0, int(got.Load() - g0)
	}
	var closedCPU, openCPU, againCPU time.Duration
	var closedN, openN, againN int
	b.ResetTimer()
	for b.Loop() {
		c, n := run()
		closedCPU += c
		closedN += n

		req, _ := http.NewRequest("GET", r.base+pathEvents, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var traces atomic.Int64
		go func() {
			// The browser's work is in another process: read cheaply.
			buf := make([]byte, 64<<10)
			for {
				n, err := resp.Body.Read(buf)
				traces.Add(int64(bytes.Count(buf[:n], []byte("event: trace\n"))))
				if err != nil {
					return
				}
			}
		}()
		for r.con.Clients() == 0 {
			time.Sleep(time.Millisecond)
		}
		c, n = run()
		openCPU += c
		openN += n
		// The stream has read what the phase sent before it closes.
		deadline := time.Now().Add(10 * time.Second)
		for traces.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		resp.Body.Close()
		if traces.Load() == 0 {
			b.Fatalf("the console streamed no trace event while open (sent %d, got %d, open %d, clients %d)", sent, got.Load(), n, r.con.Clients())
		}
		for r.con.Clients() != 0 {
			time.Sleep(time.Millisecond)
		}
		c, n = run()
		againCPU += c
		againN += n
	}
	closed := float64(closedCPU.Nanoseconds()) / float64(closedN)
	open := float64(openCPU.Nanoseconds()) / float64(openN)
	again := float64(againCPU.Nanoseconds()) / float64(againN)
	// The noise: the same closed phase run twice, before and after open.
	noise := again / closed
	b.ReportMetric(closed, "cpu-ns/frame-closed")
	b.ReportMetric(open, "cpu-ns/frame-open")
	b.ReportMetric(2*open/(closed+again), "open/closed")
	b.ReportMetric(noise, "closed2/closed")
	b.Logf("closed: %d frames, %.0f CPU ns/frame; open: %d frames, %.0f CPU ns/frame; closed again: %.0f CPU ns/frame; open/closed %.3f, closed again/closed %.3f",
		closedN, closed, openN, open, again, 2*open/(closed+again), noise)
}
