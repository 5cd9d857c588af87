//go:build hil

package bluetooth_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bt "github.com/fieldgate/fieldgate/bluetooth"
	"github.com/fieldgate/fieldgate/gateway"
	"github.com/fieldgate/fieldgate/gateway/config"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/can"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/tcp"
	"github.com/fieldgate/fieldgate/internal/peer"
)

// The rig's kernel has Bluetooth and hci_vhci; bluez-test-tools' btvirt
// emulates two BR/EDR controllers on /dev/vhci that reach each other, so
// RFCOMM and L2CAP connections between them run through the kernel's
// stack on both sides. The peers are Debian's /usr/bin/python3 socket
// module (AF_BLUETOOTH), cangen, candump and cansend on vcan0 and vcan1.
//
// As the bluetooth package's rig tests found, an L2CAP connect to an
// address nobody answers panics this kernel under btvirt: clients here
// only ever dial a controller that exists.

// rig is two btvirt controllers, set up once per test binary, up and
// connectable: a carries the gateway's servers, b the peers and clients.
var rig struct {
	once sync.Once
	cmd  *exec.Cmd
	log  bytes.Buffer
	a, b bt.DeviceInfo
	err  error
}

func TestMain(m *testing.M) {
	// btvirt is left running: the guest powers off after the tests, and
	// removing controllers that still have links has upset this kernel.
	os.Exit(m.Run())
}

// controllers returns emulated controllers a and b (a has the lower index).
func controllers(t *testing.T) (a, b bt.DeviceInfo) {
	t.Helper()
	rig.once.Do(func() { rig.err = startBtvirt() })
	if rig.err != nil {
		t.Fatalf("btvirt controllers: %v; btvirt output: %s", rig.err, rig.log.String())
	}
	return rig.a, rig.b
}

func startBtvirt() error {
	before, err := bt.Devices()
	if err != nil {
		return err
	}
	old := map[uint16]bool{}
	for _, d := range before {
		old[d.ID] = true
	}
	rig.cmd = exec.Command("/usr/bin/btvirt", "-l2")
	rig.cmd.Stdout, rig.cmd.Stderr = &rig.log, &rig.log
	if err := rig.cmd.Start(); err != nil {
		return err
	}
	var ids []uint16
	for deadline := time.Now().Add(15 * time.Second); len(ids) < 2; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("btvirt -l2 made controllers %v in 15s, want 2", ids)
		}
		ds, err := bt.Devices()
		if err != nil {
			return err
		}
		ids = ids[:0]
		for _, d := range ds {
			if !old[d.ID] {
				ids = append(ids, d.ID)
			}
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := bt.DeviceUp(int(id)); err != nil {
			return err
		}
		if err := bt.SetScan(int(id), bt.ScanPage|bt.ScanInquiry); err != nil {
			return err
		}
	}
	if rig.a, err = bt.Device(int(ids[0])); err != nil {
		return err
	}
	rig.b, err = bt.Device(int(ids[1]))
	return err
}

// syncBuf collects a gateway's log, shown when the test fails.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// gw is an in-process gateway.
type gw struct {
	*gateway.Gateway
	name string
	logs *syncBuf
	stop func()
}

// startGW starts a gateway of yaml (endpoints and routes) in this process;
// it is shut down at the end of the test, or earlier with stop.
func startGW(t *testing.T, name, yaml string) *gw {
	t.Helper()
	cfg, err := config.Parse(name+".yaml", []byte("admin: {listen: \"\"}\n"+yaml))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	logs := &syncBuf{}
	g := gateway.New(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	ctx, cancel := context.WithCancel(context.Background())
	if err := g.Start(ctx, cfg); err != nil {
		cancel()
		t.Fatalf("%s: start: %v", name, err)
	}
	var once sync.Once
	stop := func() { once.Do(func() { g.Shutdown(); cancel() }) }
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("%s log:\n%s", name, logs.String())
		}
	})
	return &gw{Gateway: g, name: name, logs: logs, stop: stop}
}

func (g *gw) ep(name string) gateway.EndpointStatus {
	for _, e := range g.Status().Endpoints {
		if e.Name == name {
			return e
		}
	}
	return gateway.EndpointStatus{}
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// drops returns every drop g counted, by endpoint and reason.
func (g *gw) drops() map[string]uint64 {
	out := map[string]uint64{}
	for _, e := range g.Status().Endpoints {
		for r, n := range e.Dropped {
			if n != 0 {
				out[e.Name+"/"+r] += n
			}
		}
	}
	return out
}

// frames returns the ID#DATA part of n candump -L lines
// ("(1700000000.000000) vcan0 123#DEADBEEF").
func frames(t *testing.T, dump *peer.Process, n int) []string {
	t.Helper()
	out := make([]string, 0, n)
	for range n {
		f := strings.Fields(dump.Line(t, 30*time.Second))
		if len(f) != 3 {
			t.Fatalf("candump line %q", f)
		}
		out = append(out, f[2])
	}
	return out
}

// kinds are the two kinds' settings for the tests: the socket Python
// opens, and the address field of each.
var kinds = []struct {
	kind, sockType, proto, port string
	addr                        func(port int) string // YAML of the channel or PSM
}{
	{"rfcomm", "SOCK_STREAM", "BTPROTO_RFCOMM", "channel", func(p int) string { return fmt.Sprintf("channel: %d", p) }},
	{"l2cap", "SOCK_SEQPACKET", "BTPROTO_L2CAP", "psm", func(p int) string { return fmt.Sprintf("psm: %#x", p) }},
}

// port returns a channel (RFCOMM) or PSM (L2CAP) for test i of a kind.
func port(kind string, i int) int {
	if kind == "rfcomm" {
		return 10 + i
	}
	return 0x1011 + 2*i
}
