//go:build hil

package console

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway"
)

// TestHILConsoleBusLoad: `fieldgate run` reads can1 (QEMU's emulated
// SJA1000 at 500 kbit/s, which the rig sets up) while cangen sends on can0
// over the emulated bus, and forwards to vcan1. The console's status
// events, which feed the Overview's bus load plot and its CAN state
// column, show can1's bus load, not 0, the same as /status and
// fieldgate_can_bus_load_ratio in /metrics and as the frame rate
// forwarded, and its state ERROR-ACTIVE; vcan1, without a bit rate, has
// no ratio. Error-passive and bus-off cannot be provoked here: QEMU's
// SJA1000 completes every transmission without modelling acknowledgement
// or bus errors (see netlinkfam's TestHILCANConfig), so the test changes
// the state the one way the emulation allows: can1 taken down shows
// STOPPED in the console, and up again ERROR-ACTIVE.
func TestHILConsoleBusLoad(t *testing.T) {
	fg := startFieldgateWith(t, `endpoints:
  c1: {kind: can, interface: can1}
  v1: {kind: can, interface: vcan1}
routes:
  - {name: watch, from: [c1], to: [v1], offload: never}
`)
	s := openStreamStatus(t, fg.base, false, true)
	defer s.close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	gen := exec.CommandContext(ctx, "cangen", "can0", "-g", "4", "-I", "123", "-L", "8", "-D", "i")
	if err := gen.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); gen.Wait() }()
	started := time.Now()

	// next returns the next status event (one a second).
	next := func(what string) statusEvent {
		t.Helper()
		select {
		case se := <-s.status:
			return se
		case err := <-s.done:
			t.Fatalf("the event stream ended while waiting for %s: %v", what, err)
		case <-time.After(30 * time.Second):
			t.Fatalf("no status event for 30 s while waiting for %s", what)
		}
		panic("unreachable")
	}
	// What /status shows as can1's bus load, polled every 100 ms: each
	// value the sampler computes (once a second) is seen.
	var mu sync.Mutex
	seen := map[float64]bool{}
	pollCtx, stopPoll := context.WithCancel(ctx)
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		for pollCtx.Err() == nil {
			if st, err := fg.statusErr(); err == nil {
				if l := endpointOf(st, "c1").BusLoad; l != nil {
					mu.Lock()
					seen[*l] = true
					mu.Unlock()
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	// Status events until the load is steady (3 s of traffic), then until
	// one shows a bus load that /status showed too (the same second of the
	// sampler), each agreeing with /status and /metrics read after it and
	// with the forwarded rate within a factor of 1.6 (one-second windows
	// that differ, of an unevenly paced emulated sender).
	matched := false
	deadline := time.Now().Add(60 * time.Second)
	for !matched {
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s no status event showed a bus load /status showed (%v)", seen)
		}
		se := next("can1's bus load")
		c1, ok := se.Sample.EPs["c1"]
		if !ok || time.Since(started) < 3*time.Second {
			continue
		}
		if c1.BusLoad == nil || *c1.BusLoad <= 0 || c1.BusBPS <= 0 || c1.In < 20 {
			t.Fatalf("console sample of c1 after %v of traffic: %+v (bus load %v), want a bus load and frames", time.Since(started).Round(time.Millisecond), c1, ptr(c1.BusLoad))
		}
		if c1.State != "ERROR-ACTIVE" {
			t.Fatalf("console: can1 state %q, want ERROR-ACTIVE", c1.State)
		}
		// The event's status is the one the sample was taken from.
		ce := endpointOf(se.Status, "c1")
		if ce.BusLoad == nil || *ce.BusLoad != *c1.BusLoad || ce.BusBPS != c1.BusBPS || ce.CANState != c1.State {
			t.Fatalf("console: sample c1 %+v (load %v), its status c1 load %v, %v bit/s, state %q", c1, *c1.BusLoad, ptr(ce.BusLoad), ce.BusBPS, ce.CANState)
		}
		v1 := se.Sample.EPs["v1"]
		if v1.BusLoad == nil || *v1.BusLoad != -1 || v1.State != "" {
			t.Fatalf("console: vcan1 load %v, state %q; want -1 (no bit rate), no CAN state", ptr(v1.BusLoad), v1.State)
		}
		st := fg.status(t)
		metric := fg.metric(t, `fieldgate_can_bus_load_ratio{endpoint="c1",interface="can1"}`)
		state := fg.metric(t, `fieldgate_can_state{endpoint="c1",interface="can1"}`)
		sc1 := endpointOf(st, "c1")
		if sc1.BusLoad == nil || sc1.CANState != "ERROR-ACTIVE" || state != 0 {
			t.Fatalf("/status c1: load %v, state %q; /metrics state %v", ptr(sc1.BusLoad), sc1.CANState, state)
		}
		want := c1.In * 120.8 / 500000 // 8-byte frames, stuffing estimated
		for what, v := range map[string]float64{"/status": *sc1.BusLoad, "/metrics": metric, "the frame rate": want} {
			if r := *c1.BusLoad / v; !(r > 1/1.6 && r < 1.6) {
				t.Fatalf("console bus load %.4f, %s %.4f: more than a factor of 1.6 apart", *c1.BusLoad, what, v)
			}
		}
		mu.Lock()
		matched = seen[*c1.BusLoad]
		mu.Unlock()
		t.Logf("console: can1 bus load %.3f%% (%.0f bit/s), %.0f frames/s in (%.3f%% expected), %s; /status after it %.3f%%, /metrics %.3f%%; shown by /status: %v",
			*c1.BusLoad*100, c1.BusBPS, c1.In, want*100, c1.State, *sc1.BusLoad*100, metric*100, matched)
	}
	stopPoll()
	<-polled

	// can1 down: its controller is stopped, and the console says so.
	ipLink(t, "can1", "down")
	t.Cleanup(func() { exec.Command("ip", "link", "set", "can1", "up").Run() })
	waitState(t, next, "STOPPED")
	ipLink(t, "can1", "up")
	waitState(t, next, "ERROR-ACTIVE")
	if st := endpointOf(fg.status(t), "c1"); st.CANState != "ERROR-ACTIVE" {
		t.Fatalf("/status: can1 state %q after it came up, want ERROR-ACTIVE", st.CANState)
	}
}

// waitState reads status events until one shows c1's CAN state want.
func waitState(t *testing.T, next func(string) statusEvent, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last []string
	for time.Now().Before(deadline) {
		se := next("can1 " + want)
		got := se.Sample.EPs["c1"].State
		if got == want && endpointOf(se.Status, "c1").CANState == want {
			return
		}
		last = append(last, got)
	}
	t.Fatalf("the console showed can1's state as %q for 30 s, want %s", last, want)
}

func ipLink(t *testing.T, dev, updown string) {
	t.Helper()
	if b, err := exec.Command("ip", "link", "set", dev, updown).CombinedOutput(); err != nil {
		t.Fatalf("ip link set %s %s: %v\n%s", dev, updown, err, b)
	}
}

// statusErr fetches /status, returning errors (for a goroutine).
func (p *fgProc) statusErr() (gateway.Status, error) {
	var st gateway.Status
	resp, err := http.Get(p.base + "/status")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// metric returns the value of the sample line of /metrics that starts with
// name (with its labels).
func (p *fgProc) metric(t testing.TB, name string) float64 {
	t.Helper()
	resp, err := http.Get(p.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("/metrics: %q: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return 0
}

// ptr formats a *float64.
func ptr(f *float64) string {
	if f == nil {
		return "none"
	}
	return fmt.Sprint(*f)
}
