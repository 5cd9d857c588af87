//go:build hil

package gateway

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cansend runs cansend on iface for each frame.
func cansend(t *testing.T, iface string, frames ...string) {
	t.Helper()
	for _, f := range frames {
		if out, err := exec.Command("cansend", iface, f).CombinedOutput(); err != nil {
			t.Fatalf("cansend %s %s: %v %s", iface, f, err, out)
		}
	}
}

// TestHILCANFDOnClassicEndpoint: a CAN FD frame on the bus of an endpoint
// with the default fd: false is counted, once, as an unsupported drop at
// the endpoint (it used to be discarded by the kernel for the socket, seen
// by no counter), with and without confirm; the classic frames around it
// are routed and recorded, and nothing else is counted.
func TestHILCANFDOnClassicEndpoint(t *testing.T) {
	for i, confirm := range []bool{false, true} {
		t.Run("confirm="+strconv.FormatBool(confirm), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rec.log")
			g := startGW(t, 9270+i, `
endpoints:
  bus: {kind: can, interface: vcan0, confirm: `+strconv.FormatBool(confirm)+`}
  rec: {kind: log, path: `+path+`}
routes:
  - {name: rec, from: [bus], to: [rec]}
`)
			cansend(t, "vcan0", "456#11", "123##1112233", "457#22")
			deadline := time.Now().Add(10 * time.Second)
			for {
				st := g.status(t)
				if b := st.endpoint("bus"); b.FramesIn+DroppedTotal(b.Dropped) >= 3 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("frames not seen: %+v", st.Endpoints)
				}
				time.Sleep(20 * time.Millisecond)
			}
			st := g.settle(t)
			bus, rec, r := st.endpoint("bus"), st.endpoint("rec"), st.Routes[0]
			if bus.FramesIn != 2 || len(bus.Dropped) != 1 || bus.Dropped["unsupported"] != 1 {
				t.Errorf("bus: frames_in %d, dropped %v; want 2 and exactly {unsupported: 1}", bus.FramesIn, bus.Dropped)
			}
			if rec.FramesOut != 2 || len(rec.Dropped) != 0 || r.In != 2 || r.Out != 2 || len(r.Dropped) != 0 {
				t.Errorf("rec: frames_out %d, dropped %v; route in %d out %d dropped %v", rec.FramesOut, rec.Dropped, r.In, r.Out, r.Dropped)
			}
			g.Signal(os.Interrupt)
			g.Wait()
			if !strings.Contains(g.Stderr(), "CAN FD frames it receives are counted as unsupported drops") {
				t.Errorf("no notice that vcan0 carries CAN FD while fd is false:\n%s", g.Stderr())
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			if len(lines) != 2 || !strings.HasSuffix(lines[0], " 456#11") || !strings.HasSuffix(lines[1], " 457#22") {
				t.Errorf("log:\n%s", b)
			}
		})
	}
}

// TestHILCANKernelDropsAtBurstEnd: frames the kernel drops at the end of a
// burst that overflowed the socket's queue come after the last queued
// frame, so no received frame's SO_RXQ_OVFL count has them. The gateway is
// stopped (SIGSTOP) while cangen sends more frames than the socket holds,
// then continued: frames_in + kernel_overflow must equal the frames sent
// at once, not when some later frame arrives.
func TestHILCANKernelDropsAtBurstEnd(t *testing.T) {
	const sent = 30000
	path := filepath.Join(t.TempDir(), "rec.pcapng")
	g := startGW(t, 9272, `
endpoints:
  bus: {kind: can, interface: vcan0}
  rec: {kind: capture, path: `+path+`}
routes:
  - {name: rec, from: [bus], to: [rec]}
`)
	pid := gatewayPID(t, g.file)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("cangen", "vcan0", "-g", "0", "-L", "8", "-n", strconv.Itoa(sent)).CombinedOutput()
	syscall.Kill(pid, syscall.SIGCONT)
	if err != nil {
		t.Fatalf("cangen: %v %s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	var st Status
	for {
		st = g.status(t)
		bus := st.endpoint("bus")
		if bus.FramesIn+bus.Dropped["kernel_overflow"] == sent {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bus: frames_in %d + kernel_overflow %d != %d sent", bus.FramesIn, bus.Dropped["kernel_overflow"], sent)
		}
		time.Sleep(50 * time.Millisecond)
	}
	st = g.settle(t)
	bus, rec := st.endpoint("bus"), st.endpoint("rec")
	if bus.Dropped["kernel_overflow"] == 0 || len(bus.Dropped) != 1 || bus.FramesIn+bus.Dropped["kernel_overflow"] != sent {
		t.Errorf("bus: frames_in %d, dropped %v; want a kernel overflow and %d in all", bus.FramesIn, bus.Dropped, sent)
	}
	if rec.FramesOut+DroppedTotal(rec.Dropped) != bus.FramesIn {
		t.Errorf("rec: frames_out %d + dropped %v != bus frames_in %d", rec.FramesOut, rec.Dropped, bus.FramesIn)
	}
	t.Logf("%d sent while the gateway was stopped: %d received, %d kernel drops; capture wrote %d, dropped %v",
		sent, bus.FramesIn, bus.Dropped["kernel_overflow"], rec.FramesOut, rec.Dropped)
}
