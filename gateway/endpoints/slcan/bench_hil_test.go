//go:build hil

package slcan_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/endpoints/slcan"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
	"github.com/fieldgate/fieldgate/internal/peer"
)

// benchFrames is the frames per round of TestHILSlcanThroughput: a few
// for the test suite, more for BENCHMARKS.md (HILFLAGS='-slcan.frames=20000').
var benchFrames = flag.Int("slcan.frames", 5000, "frames per round of TestHILSlcanThroughput")

// openCounting opens an slcan endpoint and runs its Receive, counting the
// frames delivered in n.
func openCounting(t *testing.T, c *slcan.Config, n *atomic.Uint64) endpoint.Transceiver {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	env := &endpoint.Env{Name: "sl", Stats: &endpoint.Stats{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	tr, err := endpoint.Open(ctx, &config.Endpoint{Name: "sl", Kind: "slcan", Settings: c}, env)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		tr.Receive(ctx, func(fs []frame.Frame) { n.Add(uint64(len(fs))) })
	}()
	t.Cleanup(func() { cancel(); tr.Close(); <-done })
	return tr
}

func rxPackets(t *testing.T, ifname string) uint64 {
	t.Helper()
	b, err := os.ReadFile("/sys/class/net/" + ifname + "/statistics/rx_packets")
	if err != nil {
		t.Fatal(err)
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// pump sends n frames (8 bytes, 11-bit) through the device endpoint dev,
// 64 at a time, as fast as the pty takes them, and returns the time until
// received() reaches n.
func pump(t *testing.T, dev endpoint.Transceiver, n int, received func() uint64) time.Duration {
	t.Helper()
	batch := make([]frame.Frame, endpoint.BatchSize)
	for i := range batch {
		batch[i] = frame.Frame{Type: frame.CAN, ID: uint32(0x100 + i), Len: 8}
		copy(batch[i].Data[:], "\x11\x22\x33\x44\x55\x66\x77\x88")
	}
	base := received()
	start := time.Now()
	for sent := 0; sent < n; {
		k := min(len(batch), n-sent)
		m, err := dev.Send(context.Background(), batch[:k])
		if err != nil {
			r1 := received() - base
			time.Sleep(3 * time.Second)
			t.Fatalf("send after %d frames: %v (received %d, 3 s later %d)", sent, err, r1, received()-base)
		}
		sent += m
	}
	gatewaytest.WaitFor(t, 120*time.Second, "every frame to arrive", func() bool { return received()-base >= uint64(n) })
	d := time.Since(start)
	if got := received() - base; got != uint64(n) {
		t.Fatalf("received %d frames, sent %d", got, n)
	}
	return d
}

// sendAll sends n frames (8 bytes, 11-bit) through tr, 64 at a time.
func sendAll(t *testing.T, tr endpoint.Transceiver, n int) {
	t.Helper()
	batch := make([]frame.Frame, endpoint.BatchSize)
	for i := range batch {
		batch[i] = frame.Frame{Type: frame.CAN, ID: uint32(0x100 + i), Len: 8}
		copy(batch[i].Data[:], "\x11\x22\x33\x44\x55\x66\x77\x88")
	}
	for sent := 0; sent < n; {
		m, err := tr.Send(context.Background(), batch[:min(len(batch), n-sent)])
		if err != nil {
			t.Fatalf("send after %d frames: %v", sent, err)
		}
		sent += m
	}
}

// TestHILSlcanThroughput: SLCAN over a pty, the kernel's slcan driver
// (attached by slcand) against fieldgate's host role, alternately in one
// rig run, with fieldgate's device role on the pty's master each time:
//
//   - decode: the device writes n 8-byte frames (-slcan.frames), as fast as the pty
//     takes them, until the kernel (slcan1's rx_packets) or the host role
//     (frames delivered) has them all;
//   - encode: cangen writes them to slcan1 (-g 0, txqueuelen 1000 as
//     slcand() sets it, polling 1 ms on ENOBUFS), or
//     the host role's Send writes them, until the device delivered them.
//
// It prints frames/s of each and the ratios fieldgate / kernel.
func TestHILSlcanThroughput(t *testing.T) {
	n, rounds := *benchFrames, 5
	var kDec, fDec, kEnc, fEnc []float64
	for range rounds {
		dir := t.TempDir()
		var devGot atomic.Uint64
		dev := openCounting(t, &slcan.Config{Options: slcan.Options{Role: slcan.Device, Reconnect: fastBackoff}, Transport: slcan.TransportPTY, Link: dir + "/k"}, &devGot)
		slave, err := os.Readlink(dir + "/k")
		if err != nil {
			t.Fatal(err)
		}
		sd := slcand(t, slave, "slcan1")
		gatewaytest.WaitFor(t, 30*time.Second, "slcand's O", func() bool {
			_, err := dev.Send(context.Background(), []frame.Frame{{Type: frame.CAN, ID: 1}})
			return err == nil
		})
		gatewaytest.WaitFor(t, 30*time.Second, "the probe frame", func() bool { return rxPackets(t, "slcan1") >= 1 })
		d := pump(t, dev, n, func() uint64 { return rxPackets(t, "slcan1") })
		kDec = append(kDec, float64(n)/d.Seconds())
		base := devGot.Load()
		start := time.Now()
		peer.Run(t, "cangen", "slcan1", "-g", "0", "-p", "1", "-n", strconv.Itoa(n), "-L", "8", "-I", "i", "-D", "i")
		gatewaytest.WaitFor(t, 120*time.Second, "the device to get cangen's frames", func() bool { return devGot.Load()-base >= uint64(n) })
		kEnc = append(kEnc, float64(n)/time.Since(start).Seconds())
		sd.Signal(os.Interrupt)
		gatewaytest.WaitFor(t, 30*time.Second, "slcan1 to go", func() bool {
			_, err := os.Stat("/sys/class/net/slcan1")
			return err != nil
		})
		dev.Close()

		var dev2Got, hostGot atomic.Uint64
		dev2 := openCounting(t, &slcan.Config{Options: slcan.Options{Role: slcan.Device, Reconnect: fastBackoff}, Transport: slcan.TransportPTY, Link: dir + "/f"}, &dev2Got)
		host := openCounting(t, &slcan.Config{Options: slcan.Options{Role: slcan.Host, CommandTimeout: 10 * time.Second, Reconnect: fastBackoff},
			Transport: slcan.TransportSerial, Device: dir + "/f", Baud: 115200}, &hostGot)
		gatewaytest.WaitFor(t, 30*time.Second, "the host to open", func() bool {
			_, err := dev2.Send(context.Background(), []frame.Frame{{Type: frame.CAN, ID: 1}})
			return err == nil
		})
		gatewaytest.WaitFor(t, 30*time.Second, "the probe frame", func() bool { return hostGot.Load() >= 1 })
		d = pump(t, dev2, n, hostGot.Load)
		fDec = append(fDec, float64(n)/d.Seconds())
		base = dev2Got.Load()
		start = time.Now()
		sendAll(t, host, n)
		gatewaytest.WaitFor(t, 120*time.Second, "the device to get the host's frames", func() bool { return dev2Got.Load()-base >= uint64(n) })
		fEnc = append(fEnc, float64(n)/time.Since(start).Seconds())
		if got := dev2Got.Load() - base; got != uint64(n) {
			t.Errorf("device got %d frames from the host, sent %d", got, n)
		}
		dev2.Close()
		host.Close()
	}
	ratios := func(f, k []float64) []float64 {
		r := make([]float64, len(f))
		for i := range f {
			r[i] = f[i] / k[i] // the same round: paired
		}
		return r
	}
	t.Logf("slcan over a pty, %d 8-byte frames per round, %d rounds: median [min, max]", n, rounds)
	t.Logf("decode frames/s: kernel slcan %s; fieldgate host %s; fieldgate ÷ kernel %s", mm(kDec, "%.0f"), mm(fDec, "%.0f"), mm(ratios(fDec, kDec), "%.2f"))
	t.Logf("encode frames/s: kernel slcan (cangen) %s; fieldgate host %s; fieldgate ÷ kernel %s", mm(kEnc, "%.0f"), mm(fEnc, "%.0f"), mm(ratios(fEnc, kEnc), "%.1f"))
}

// mm formats the median [min, max] of v.
func mm(v []float64, f string) string {
	s := sorted(v)
	return fmt.Sprintf(f+" ["+f+", "+f+"]", s[len(s)/2], s[0], s[len(s)-1])
}

func sorted(v []float64) []float64 {
	out := append([]float64(nil), v...)
	sort.Float64s(out)
	return out
}
