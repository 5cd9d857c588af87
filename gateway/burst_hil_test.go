//go:build hil

package gateway

import (
	"encoding/binary"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/can"
)

// burstFrames is the burst TestHILCANBurstDefaultConfig sends: longer than
// any queue of the default configuration, shorter than the default receive
// buffer (21 846 frames).
const burstFrames = 20000

// burstConfig is the default configuration of a can → can route forwarded
// in user space: nothing but the interfaces and offload: never is set, so
// receive_buffer and the queues are the defaults.
const burstConfig = `
endpoints:
  a: {kind: can, interface: vcan0}
  b: {kind: can, interface: vcan1}
routes:
  - {name: fwd, from: [a], to: [b], offload: never}
`

// burstReceiver opens a raw socket on vcan1, before a burst, whose buffer
// holds every frame of it (32 MiB granted: 43 690 frames), so that it can
// be read after the burst, when nothing else runs.
func burstReceiver(t *testing.T) *can.RawConn {
	t.Helper()
	rx, err := can.ListenRaw("vcan1", &can.RawConfig{RecvBuffer: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rx.Close() })
	if g, err := rx.RecvBuffer(); err != nil || g < 2*burstFrames*768 {
		t.Fatalf("receiver buffer %d (%v): cannot hold the burst", g, err)
	}
	return rx
}

// sendBurst sends n frames on vcan0 with cangen as fast as the kernel
// takes them (-g 0), IDs and payloads counting up (-I i -D i).
func sendBurst(t *testing.T, n int) time.Duration {
	t.Helper()
	start := time.Now()
	out, err := exec.Command("cangen", "vcan0", "-g", "0", "-I", "i", "-L", "8", "-D", "i", "-n", strconv.Itoa(n)).CombinedOutput()
	if err != nil {
		t.Fatalf("cangen: %v %s", err, out)
	}
	return time.Since(start)
}

// readBurst reads every frame queued on rx and checks that they are the
// burst, complete and in order: payloads count up by one from the first
// frame's, IDs follow them modulo 0x800. It returns how many frames came.
func readBurst(t *testing.T, rx *can.RawConn) int {
	t.Helper()
	msgs := make([]can.RecvMsg, can.MaxBatch)
	got, bad := 0, 0
	var first uint64
	var firstID uint32
	for {
		k, err := rx.TryReadBatch(msgs)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if k == 0 {
			break
		}
		for i := range msgs[:k] {
			f := &msgs[i].Frame
			v := binary.LittleEndian.Uint64(f.Data[:8])
			if got == 0 {
				first, firstID = v, f.ID
			}
			if v != first+uint64(got) || f.ID != (firstID+uint32(got))&0x7FF || f.Len != 8 {
				if bad < 5 {
					t.Errorf("frame %d: id %03X data %016X, want id %03X data %016X", got, f.ID, v, (firstID+uint32(got))&0x7FF, first+uint64(got))
				}
				bad++
			}
			got++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d frames out of order or altered", bad, got)
	}
	return got
}

// meminfo returns /proc/meminfo's field (kB).
func meminfo(t *testing.T, field string) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	t.Fatalf("no %s in /proc/meminfo", field)
	return 0
}

// TestHILCANBurstDefaultConfig: a 20 000-frame unpaced cangen -g 0 burst
// crosses the default configuration vcan0 → can → can → vcan1 in user
// space without losing a frame: the receiving endpoint's default buffer
// (8 MiB asked, 16 MiB granted, 21 846 frames) holds what the gateway has
// not read yet. The same burst through kernel can-gw, in the same boot,
// checks the harness (can-gw loses none). A third burst, sent while the
// gateway is stopped (SIGSTOP), shows that the buffer alone holds it, and
// measures the kernel memory the waiting frames take.
func TestHILCANBurstDefaultConfig(t *testing.T) {
	t.Run("cangw", func(t *testing.T) {
		rx := burstReceiver(t)
		var took time.Duration
		withCangw(t, func() { took = sendBurst(t, burstFrames) })
		if got := readBurst(t, rx); got != burstFrames {
			t.Fatalf("can-gw: %d of %d frames arrived: the harness loses frames", got, burstFrames)
		}
		t.Logf("can-gw: %d/%d frames, burst sent in %v", burstFrames, burstFrames, took.Round(time.Millisecond))
	})

	g := startGW(t, 9280, burstConfig)
	st := g.status(t)
	if a := st.endpoint("a"); a.RecvBuffer != 16<<20 {
		t.Errorf("a: receive_buffer_bytes %d, want 16 MiB (8 MiB asked, doubled by the kernel)", a.RecvBuffer)
	}

	t.Run("gateway", func(t *testing.T) {
		rx := burstReceiver(t)
		before := g.status(t)
		took := sendBurst(t, burstFrames)
		deadline := time.Now().Add(60 * time.Second)
		for {
			a := g.status(t).endpoint("a")
			if a.FramesIn+DroppedTotal(a.Dropped)-before.endpoint("a").FramesIn >= burstFrames || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		st := g.settle(t)
		a, b, r := st.endpoint("a"), st.endpoint("b"), st.Routes[0]
		in := a.FramesIn - before.endpoint("a").FramesIn
		out := b.FramesOut - before.endpoint("b").FramesOut
		if in != burstFrames || out != burstFrames || st.dropped() != 0 || len(r.Dropped) != 0 {
			t.Errorf("a: in %d, dropped %v; b: out %d, dropped %v; route dropped %v; want %d in and out, no drops",
				in, a.Dropped, out, b.Dropped, r.Dropped, burstFrames)
		}
		got := readBurst(t, rx)
		if got != burstFrames {
			t.Errorf("vcan1 received %d of %d frames", got, burstFrames)
		}
		t.Logf("gateway: %d/%d frames on vcan1, burst sent in %v, drops %d", got, burstFrames, took.Round(time.Millisecond), st.dropped())
	})

	t.Run("gateway stopped", func(t *testing.T) {
		rx := burstReceiver(t)
		before := g.status(t)
		pid := gatewayPID(t, g.file)
		slab0 := meminfo(t, "Slab")
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		sendBurst(t, burstFrames)
		slab1 := meminfo(t, "Slab")
		if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			a := g.status(t).endpoint("a")
			if a.FramesIn+DroppedTotal(a.Dropped)-before.endpoint("a").FramesIn >= burstFrames || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		st := g.settle(t)
		slab2 := meminfo(t, "Slab")
		a, b := st.endpoint("a"), st.endpoint("b")
		in := a.FramesIn - before.endpoint("a").FramesIn
		out := b.FramesOut - before.endpoint("b").FramesOut
		if in != burstFrames || out != burstFrames || st.dropped() != 0 {
			t.Errorf("a: in %d, dropped %v; b: out %d, dropped %v; want %d in and out, no drops", in, a.Dropped, out, b.Dropped, burstFrames)
		}
		if got := readBurst(t, rx); got != burstFrames {
			t.Errorf("vcan1 received %d of %d frames", got, burstFrames)
		}
		t.Logf("%d frames waiting in the stopped gateway's socket: Slab +%d kB (%.0f bytes per frame); after the gateway read them and they reached the receiver's socket, Slab %+d kB against before",
			burstFrames, slab1-slab0, float64(slab1-slab0)*1024/burstFrames, slab2-slab0)
	})

	g.Signal(os.Interrupt)
	g.Wait()
	if !strings.Contains(g.Stderr(), "granted_bytes=16777216 frames=21846") {
		t.Errorf("no log line with what the kernel granted:\n%s", g.Stderr())
	}
}
