//go:build hil

package can

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// countLines starts name args and counts its stdout lines.
func countLines(b *testing.B, name string, args ...string) (*exec.Cmd, *atomic.Int64) {
	cmd := exec.Command(name, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	var n atomic.Int64
	go func() {
		r := bufio.NewReaderSize(out, 1<<20)
		for {
			_, err := r.ReadSlice('\n')
			if err == bufio.ErrBufferFull {
				continue
			}
			if err != nil {
				return
			}
			n.Add(1)
		}
	}()
	return cmd, &n
}

// BenchmarkHILReceiveVsCandump: cangen -g 0 floods vcan0 with N frames while
// three receivers listen at once: our batch path in process (ReadBatch,
// recvmmsg), `fieldgate can dump -L` and `candump -L`. It reports each
// one's received count, the kernel's drop counter for ours, and the ratios.
func BenchmarkHILReceiveVsCandump(b *testing.B) {
	const N = 50000
	for range b.N {
		c, err := ListenRaw("vcan0", &RawConfig{RecvBuffer: 4 << 20})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var ours atomic.Int64
		done := make(chan struct{})
		go func() {
			defer close(done)
			msgs := make([]RecvMsg, MaxBatch)
			for {
				n, err := c.ReadBatch(ctx, msgs)
				if err != nil {
					return
				}
				ours.Add(int64(n))
			}
		}()
		cd, candump := countLines(b, "candump", "-L", "vcan0")
		fg, fgdump := countLines(b, "fieldgate", "can", "dump", "-L", "vcan0")
		// Wait until both tools are bound: a canary each until both count it.
		tx, _ := ListenRaw("vcan0", nil)
		for i := 0; candump.Load() == 0 || fgdump.Load() == 0; i++ {
			if i > 300 {
				b.Fatal("peers never ready")
			}
			tx.WriteFrame(nil, &FDFrame{ID: 0x7FF})
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		base0, base1, base2 := ours.Load(), candump.Load(), fgdump.Load()
		start := time.Now()
		out, err := exec.Command("cangen", "-g", "0", "-I", "i", "-L", "8", "-D", "i", "-n", strconv.Itoa(N), "vcan0").CombinedOutput()
		if err != nil {
			b.Fatalf("cangen: %v %s", err, out)
		}
		genTime := time.Since(start)
		// Let the receivers drain.
		for last := int64(-1); ; {
			time.Sleep(500 * time.Millisecond)
			cur := ours.Load() + candump.Load() + fgdump.Load()
			if cur == last {
				break
			}
			last = cur
		}
		cancel()
		<-done
		cd.Process.Kill()
		cd.Wait()
		fg.Process.Kill()
		fg.Wait()
		tx.Close()
		o, cdn, fgn := ours.Load()-base0, candump.Load()-base1, fgdump.Load()-base2
		b.ReportMetric(float64(N)/genTime.Seconds(), "cangen-frames/s")
		b.ReportMetric(float64(o), "ours-batch-frames")
		b.ReportMetric(float64(fgn), "fieldgate-dump-frames")
		b.ReportMetric(float64(cdn), "candump-frames")
		b.ReportMetric(float64(c.Dropped()), "ours-SO_RXQ_OVFL")
		b.ReportMetric(float64(o)/float64(max(cdn, 1)), "ours/candump")
		b.ReportMetric(float64(fgn)/float64(max(cdn, 1)), "fieldgate-dump/candump")
		c.Close()
		if o != N {
			b.Errorf("our batch receiver got %d of %d frames (dropped %d)", o, N, c.Dropped())
		}
	}
}

// BenchmarkHILSendVsCangen times N frames sent by `fieldgate can gen -g 0`
// (sendmmsg, 64 per call) and by cangen -g 0 on vcan1, with our receiver
// checking that all frames arrived.
func BenchmarkHILSendVsCangen(b *testing.B) {
	const N = 50000
	args := []string{"-g", "0", "-I", "i", "-L", "8", "-D", "i", "-n", strconv.Itoa(N), "vcan1"}
	timeIt := func(name string, args ...string) (time.Duration, int64) {
		c, err := ListenRaw("vcan1", &RawConfig{RecvBuffer: 8 << 20})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		var got atomic.Int64
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			msgs := make([]RecvMsg, MaxBatch)
			for {
				n, err := c.ReadBatch(ctx, msgs)
				if err != nil {
					return
				}
				got.Add(int64(n))
			}
		}()
		start := time.Now()
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			b.Fatalf("%s: %v %s", name, err, out)
		}
		d := time.Since(start)
		for last := int64(-1); got.Load() != last; {
			last = got.Load()
			time.Sleep(300 * time.Millisecond)
		}
		cancel()
		<-done
		return d, got.Load()
	}
	for range b.N {
		ours, oursGot := timeIt("fieldgate", append([]string{"can", "gen"}, args...)...)
		theirs, theirsGot := timeIt("cangen", args...)
		b.ReportMetric(N/ours.Seconds(), "fieldgate-gen-frames/s")
		b.ReportMetric(N/theirs.Seconds(), "cangen-frames/s")
		b.ReportMetric(theirs.Seconds()/ours.Seconds(), "fieldgate-gen/cangen")
		b.ReportMetric(float64(oursGot), "fieldgate-gen-received")
		b.ReportMetric(float64(theirsGot), "cangen-received")
	}
}

func benchWrite(b *testing.B, batch int) {
	c, err := ListenRaw("vcan1", &RawConfig{Filters: []Filter{}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	frames := make([]FDFrame, batch)
	for i := range frames {
		frames[i] = FDFrame{ID: uint32(i), Len: 8}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for sent := 0; sent < b.N; {
		n := min(batch, b.N-sent)
		k, err := c.WriteBatch(nil, frames[:n])
		if err != nil {
			b.Fatal(err)
		}
		sent += k
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// BenchmarkHILRawWriteSingle and ...Batch compare one frame per write
// system call with 64 per sendmmsg (ns/op is per frame).
func BenchmarkHILRawWriteSingle(b *testing.B) { benchWrite(b, 1) }

// BenchmarkHILRawWriteBatch sends 64 frames per sendmmsg.
func BenchmarkHILRawWriteBatch(b *testing.B) { benchWrite(b, MaxBatch) }

func benchRead(b *testing.B, batch int) {
	rx, err := ListenRaw("vcan0", &RawConfig{RecvBuffer: 16 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer rx.Close()
	tx, err := ListenRaw("vcan0", &RawConfig{Filters: []Filter{}})
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Close()
	// Pre-fill in chunks the queue can hold, then read them back.
	frames := make([]FDFrame, MaxBatch)
	msgs := make([]RecvMsg, batch)
	const chunk = 4096
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(chunk, b.N-done)
		b.StopTimer()
		for s := 0; s < n; {
			k, err := tx.WriteBatch(nil, frames[:min(MaxBatch, n-s)])
			if err != nil {
				b.Fatal(err)
			}
			s += k
		}
		b.StartTimer()
		for got := 0; got < n; {
			k, err := rx.ReadBatch(nil, msgs[:min(batch, n-got)])
			if err != nil {
				b.Fatal(err)
			}
			got += k
		}
		done += n
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	if rx.Dropped() != 0 {
		b.Errorf("dropped %d", rx.Dropped())
	}
}

// BenchmarkHILRawReadSingle reads one frame per recvmmsg call.
func BenchmarkHILRawReadSingle(b *testing.B) { benchRead(b, 1) }

// BenchmarkHILRawReadBatch reads up to 64 frames per recvmmsg call.
func BenchmarkHILRawReadBatch(b *testing.B) { benchRead(b, MaxBatch) }

var _ = fmt.Sprint
var _ = io.EOF
