package socketcand

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// rawClients connects n raw-mode clients to s that read everything and
// count the frame messages ("<") they get. close ends them.
type rawClients struct {
	conns []net.Conn
	got   []atomic.Int64
	wg    sync.WaitGroup
}

func connectRaw(tb testing.TB, s *server, env *endpoint.Env, n int) *rawClients {
	tb.Helper()
	rc := &rawClients{got: make([]atomic.Int64, n)}
	for i := range n {
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			tb.Fatal(err)
		}
		r := bufio.NewReader(c)
		for _, step := range []struct{ send, want string }{{"", "< hi >"}, {"< open vcan0 >", "< ok >"}, {"< rawmode >", "< ok >"}} {
			io.WriteString(c, step.send)
			c.SetReadDeadline(time.Now().Add(20 * time.Second))
			buf := make([]byte, len(step.want))
			if _, err := io.ReadFull(r, buf); err != nil || string(buf) != step.want {
				tb.Fatalf("client %d: %q %v, want %q", i, buf, err, step.want)
			}
		}
		c.SetReadDeadline(time.Time{})
		rc.conns = append(rc.conns, c)
		rc.wg.Add(1)
		go func() {
			defer rc.wg.Done()
			buf := make([]byte, 64<<10)
			for {
				k, err := r.Read(buf)
				var m int64
				for _, b := range buf[:k] {
					if b == '<' {
						m++
					}
				}
				rc.got[i].Add(m)
				if err != nil {
					return
				}
			}
		}()
	}
	deadline := time.Now().Add(30 * time.Second)
	for env.Stats.Peers.Load() != int64(n) || s.rawN.Load() != int32(n) {
		if time.Now().After(deadline) {
			tb.Fatalf("peers %d, raw %d, want %d", env.Stats.Peers.Load(), s.rawN.Load(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(RawHold + 50*time.Millisecond)
	return rc
}

// wait waits until every client got want frame messages.
func (rc *rawClients) wait(tb testing.TB, want int64) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for i := range rc.got {
		for rc.got[i].Load() < want {
			if time.Now().After(deadline) {
				tb.Fatalf("client %d got %d of %d frames", i, rc.got[i].Load(), want)
			}
			time.Sleep(5 * time.Millisecond)
		}
		if g := rc.got[i].Load(); g != want {
			tb.Fatalf("client %d got %d frames, want %d", i, g, want)
		}
	}
}

func (rc *rawClients) close() {
	for _, c := range rc.conns {
		c.Close()
	}
	rc.wg.Wait()
}

// testBatch is a batch of classic frames as a CAN endpoint delivers it.
func testBatch() []frame.Frame {
	fs := make([]frame.Frame, endpoint.BatchSize)
	for i := range fs {
		fs[i] = frame.Frame{ID: uint32(0x100 + i), Type: frame.CAN, Len: 8, Data: [frame.MaxData]byte{1, 2, 3, 4, 5, 6, 7, byte(i)}, Time: 1700000000_000000000 + int64(i)*1000}
	}
	return fs
}

// TestSendNoAlloc: fanning a batch out to raw-mode clients allocates
// nothing per frame, and nothing per batch once the buffers have grown
// (0 on an idle machine; a lagging client's buffer may still grow now and
// then).
func TestSendNoAlloc(t *testing.T) {
	s, env, _ := testServerWith(t, &Config{Listen: "127.0.0.1:0", Bus: "vcan0", MaxClients: 4}, nil)
	rc := connectRaw(t, s, env, 3)
	defer rc.close()
	batch := testBatch()
	sent := 0
	send := func() {
		if n, err := s.Send(context.Background(), batch); n != len(batch) || err != nil {
			t.Fatalf("Send: %d %v", n, err)
		}
		sent += len(batch)
	}
	for range 20 {
		send()
	}
	rc.wait(t, int64(sent))
	if a := testing.AllocsPerRun(200, func() {
		send()
		time.Sleep(100 * time.Microsecond) // let the clients read: the direct write path
	}); a > 0.5 {
		// A buffer may still grow now and then when a client lags on a
		// loaded machine: amortised, far below one per frame.
		t.Errorf("%v allocations per batch of %d frames to 3 clients", a, len(batch))
	}
	rc.wait(t, int64(sent))
	if d := env.Stats.Drops.Total(); d != 0 {
		t.Errorf("drops %v", env.Stats.Drops.Snapshot())
	}
}

// heapInUse returns the heap in use after a collection that returns what
// it can to the system.
func heapInUse() uint64 {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestFiftyClients: 50 raw-mode clients each get every frame of 200
// batches; after they leave, the endpoint returns at least half of what
// they grew the heap by to the system by itself, and the heap in use
// returns to within 2 MiB of what it was before they came (their buffers,
// up to a megabyte each when behind, are released).
func TestFiftyClients(t *testing.T) {
	s, env, _ := testServerWith(t, &Config{Listen: "127.0.0.1:0", Bus: "vcan0", MaxClients: 64, MaxClientsPerPeer: 64}, nil)
	base := heapInUse()
	const clients, batches = 50, 200
	rc := connectRaw(t, s, env, clients)
	batch := testBatch()
	for range batches {
		if n, err := s.Send(context.Background(), batch); n != len(batch) || err != nil {
			t.Fatalf("Send: %d %v", n, err)
		}
	}
	rc.wait(t, int64(batches*len(batch)))
	if d := env.Stats.Drops.Total(); d != 0 {
		t.Fatalf("drops %v", env.Stats.Drops.Snapshot())
	}
	peak := heapInUse()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	released := ms.HeapReleased
	rc.close()
	waitPeers(t, env, 0)
	// The endpoint returns the memory by itself once the last client
	// has left (within releaseMinInterval).
	deadline := time.Now().Add(releaseMinInterval + 10*time.Second)
	for {
		runtime.ReadMemStats(&ms)
		if ms.HeapReleased >= released+(peak-base)/2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("heap released %d KiB after the clients left (%d KiB before), want %d KiB more", ms.HeapReleased>>10, released>>10, (peak-base)>>11)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var after uint64
	for range 50 { // the clients' goroutines end shortly after they are counted out
		if after = heapInUse(); after < base+2<<20 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("heap in use: %d KiB before, %d KiB with %d clients, %d KiB after they left", base>>10, peak>>10, clients, after>>10)
	if after >= base+2<<20 {
		t.Errorf("heap in use %d KiB after the clients left, %d KiB before", after>>10, base>>10)
	}
	if s.rawN.Load() != 0 || len(s.clients) != 0 {
		t.Errorf("raw clients %d, clients %d after all left", s.rawN.Load(), len(s.clients))
	}
}

// BenchmarkSend measures Send's cost per frame (batches of
// endpoint.BatchSize classic frames) with 1, 10 and 50 raw-mode clients
// reading on loopback; cpu-ns/frame-client is the process's CPU time per
// frame and client (the clients' reads included), which should stay flat
// as clients are added.
func BenchmarkSend(b *testing.B) {
	for _, bc := range []struct{ n, batch int }{{1, 1}, {1, 64}, {10, 64}, {50, 1}, {50, 64}} {
		n := bc.n
		b.Run(fmt.Sprintf("clients=%d/batch=%d", n, bc.batch), func(b *testing.B) {
			s, env, _ := testServerWith(b, &Config{Listen: "127.0.0.1:0", Bus: "vcan0", MaxClients: 64, MaxClientsPerPeer: 64}, nil)
			rc := connectRaw(b, s, env, n)
			defer rc.close()
			batch := testBatch()[:bc.batch]
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			frames := 0
			for frames < b.N {
				if k, err := s.Send(context.Background(), batch); k != len(batch) || err != nil {
					b.Fatalf("Send: %d %v", k, err)
				}
				frames += len(batch)
				if frames%1024 == 0 {
					// Stay within the clients' backlog bound.
					for i := range rc.got {
						for rc.got[i].Load() < int64(frames-512) {
							time.Sleep(50 * time.Microsecond)
						}
					}
				}
			}
			rc.wait(b, int64(frames))
			b.StopTimer()
			// CPU time of the whole process (the clients' reads on loopback
			// included) per frame and client.
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(frames)/float64(n), "cpu-ns/frame-client")
			if d := env.Stats.Drops.Total(); d != 0 {
				b.Fatalf("drops %v", env.Stats.Drops.Snapshot())
			}
		})
	}
}
