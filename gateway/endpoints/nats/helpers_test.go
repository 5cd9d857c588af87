package nats_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/all"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// Test-only endpoint kinds: "test-natssrc" delivers the frames a test
// hands it (a local, trusted source); "test-natsbus" is a bus (allow
// applies to untrusted sources routed to it) that records what is
// written to it.

type srcConfig struct{}

func (srcConfig) Traits() config.Traits {
	return config.Traits{Carries: config.CarriesCAN | config.CarriesCANFD | config.CarriesPDUs | config.CarriesEthernet, Direction: config.ReadOnly, Trust: config.TrustLocal}
}

type busConfig struct{}

func (busConfig) Traits() config.Traits {
	return config.Traits{Carries: config.CarriesCAN | config.CarriesCANFD | config.CarriesPDUs | config.CarriesEthernet, Direction: config.WriteOnly, Trust: config.TrustBus}
}

var (
	sources sync.Map // endpoint name → chan []frame.Frame
	buses   sync.Map // endpoint name → *bus
)

type src struct{ ch chan []frame.Frame }

func (s *src) Receive(ctx context.Context, deliver func([]frame.Frame)) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case fs := <-s.ch:
			deliver(fs)
		}
	}
}
func (s *src) Send(context.Context, []frame.Frame) (int, error) { return 0, nil }
func (s *src) Close() error                                     { return nil }

type bus struct {
	mu     sync.Mutex
	frames []frame.Frame
}

func (b *bus) Receive(ctx context.Context, _ func([]frame.Frame)) error {
	<-ctx.Done()
	return ctx.Err()
}
func (b *bus) Send(_ context.Context, fs []frame.Frame) (int, error) {
	b.mu.Lock()
	b.frames = append(b.frames, fs...)
	b.mu.Unlock()
	return len(fs), nil
}
func (b *bus) Close() error { return nil }

func (b *bus) snapshot() []frame.Frame {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]frame.Frame(nil), b.frames...)
}

func (b *bus) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.frames)
}

func init() {
	endpoint.Register(endpoint.Kind{
		Kind: config.Kind{Name: "test-natssrc", Doc: "test source", Fields: []config.Field{{Name: "x"}},
			Decode: func(*config.Object) config.Settings { return srcConfig{} }},
		Open: func(_ context.Context, e *config.Endpoint, _ *endpoint.Env) (endpoint.Transceiver, error) {
			ch := make(chan []frame.Frame, 1024)
			sources.Store(e.Name, ch)
			return &src{ch: ch}, nil
		},
	})
	endpoint.Register(endpoint.Kind{
		Kind: config.Kind{Name: "test-natsbus", Doc: "test bus", Fields: []config.Field{{Name: "x"}},
			Decode: func(*config.Object) config.Settings { return busConfig{} }},
		Open: func(_ context.Context, e *config.Endpoint, _ *endpoint.Env) (endpoint.Transceiver, error) {
			b := &bus{}
			buses.Store(e.Name, b)
			return b, nil
		},
	})
}

// inject hands frames to the test source named name (in batches of 64,
// as a CAN socket delivers them).
func inject(t *testing.T, name string, fs []frame.Frame) {
	t.Helper()
	v, ok := sources.Load(name)
	if !ok {
		t.Fatalf("no source %s", name)
	}
	ch := v.(chan []frame.Frame)
	for len(fs) > 0 {
		n := min(len(fs), endpoint.BatchSize)
		b := append([]frame.Frame(nil), fs[:n]...)
		ch <- b
		fs = fs[n:]
	}
}

func busOf(t *testing.T, name string) *bus {
	t.Helper()
	v, ok := buses.Load(name)
	if !ok {
		t.Fatalf("no bus %s", name)
	}
	return v.(*bus)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// freePorts returns n distinct free TCP ports of 127.0.0.1 (the listeners
// are held until all are chosen).
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

func startGateway(t *testing.T, yaml string) *gateway.Gateway {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	var log *slog.Logger
	if os.Getenv("NATS_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	g := gateway.New(log)
	ctx, cancel := context.WithCancel(context.Background())
	if err := g.Start(ctx, cfg); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Shutdown(); cancel() })
	return g
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timeout waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func epStatus(g *gateway.Gateway, name string) gateway.EndpointStatus {
	for _, e := range g.Status().Endpoints {
		if e.Name == name {
			return e
		}
	}
	return gateway.EndpointStatus{}
}

func waitConnected(t *testing.T, g *gateway.Gateway, name string) {
	t.Helper()
	waitFor(t, name+" connected", 20*time.Second, func() bool { return epStatus(g, name).Peers == 1 })
}

// waitSubscribed waits until endpoint name's subscriptions are in place
// at its server: connected, and a round trip measured on the connection
// since (the endpoint measures one right after connecting, and the
// server handles the SUBs written before the PING first).
func waitSubscribed(t *testing.T, g *gateway.Gateway, name string) {
	t.Helper()
	waitConnected(t, g, name)
	waitFor(t, name+" subscribed", 20*time.Second, func() bool {
		b := epStatus(g, name).Broker
		return b != nil && b.State == "connected" && b.RTT > 0
	})
}

// frames returns n frames of every type, with payloads that depend on i.
func testFrames(n int) []frame.Frame {
	out := make([]frame.Frame, n)
	for i := range out {
		f := &out[i]
		f.Time = time.Now().UnixNano()
		switch i % 8 {
		case 0, 1, 2:
			f.Type, f.ID, f.Len = frame.CAN, uint32(i%0x800), uint16(i%9)
		case 3:
			f.Type, f.ID, f.Len = frame.CAN, frame.CANEFFFlag|uint32(i*7919)&frame.CANEFFMask, 8
		case 4:
			f.Type, f.ID, f.Len = frame.CAN, frame.CANRTRFlag|0x7DF, 0
		case 5:
			f.Type, f.ID, f.Flags, f.Len = frame.CANFD, 0x100, frame.CANFDBRS, 64
		case 6:
			f.Type, f.ID, f.Len = frame.ISOTP, 0x7E8, uint16(1+i%4000)
		case 7:
			f.Type, f.ID, f.Addr, f.Flags, f.Len = frame.J1939, 0xFECA, 0x80, 0xFF, uint16(1+i%100)
		}
		for j := range int(f.Len) {
			f.Data[j] = byte(i + j*3)
		}
	}
	return out
}

func sameFrames(t *testing.T, got, want []frame.Frame) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d frames, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := &got[i], &want[i]
		if g.Type != w.Type || g.ID != w.ID || g.Flags != w.Flags || g.Addr != w.Addr || g.Len != w.Len || string(g.Payload()) != string(w.Payload()) {
			t.Fatalf("frame %d: got %v %s (type %v len %d), want %v %s (type %v len %d)", i, g.Type, g.String(), g.Type, g.Len, w.Type, w.String(), w.Type, w.Len)
		}
	}
}

var _ = fmt.Sprintf
