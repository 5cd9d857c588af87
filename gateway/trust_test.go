package gateway

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/all"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// Test-only endpoint kinds, registered like any kind. "test-undeclared"
// produces frames and declares no trust, as a kind written without thought
// for the guard would; "test-bus" declares itself a local bus and records
// what is written to it. "test-remote" produces frames and declares itself
// reachable from elsewhere.

type testSourceConfig struct {
	Frames int
	Trust  config.Trust
}

func (c *testSourceConfig) Traits() config.Traits {
	return config.Traits{Carries: config.CarriesCAN, Direction: config.ReadOnly, Trust: c.Trust}
}

type testBusConfig struct{ Name string }

func (c *testBusConfig) Traits() config.Traits {
	return config.Traits{Carries: config.CarriesCAN, Direction: config.WriteOnly, Trust: config.TrustBus}
}

type testSource struct{ n int }

func (s *testSource) Receive(ctx context.Context, deliver func([]frame.Frame)) error {
	fs := make([]frame.Frame, s.n)
	if s.n == 0 {
		<-ctx.Done()
		return ctx.Err()
	}
	for i := range fs {
		fs[i] = frame.Frame{Type: frame.CAN, ID: uint32(0x100 + i), Len: 1}
		fs[i].Data[0] = byte(i)
	}
	deliver(fs)
	<-ctx.Done()
	return ctx.Err()
}
func (s *testSource) Send(context.Context, []frame.Frame) (int, error) { return 0, nil }
func (s *testSource) Close() error                                     { return nil }

// testBuses are the frames written to each test-bus endpoint, by name.
var testBuses sync.Map // name → *testBus

type testBus struct {
	mu     sync.Mutex
	frames []frame.Frame
}

func (b *testBus) Receive(ctx context.Context, _ func([]frame.Frame)) error {
	<-ctx.Done()
	return ctx.Err()
}

func (b *testBus) Send(_ context.Context, fs []frame.Frame) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.frames = append(b.frames, fs...)
	return len(fs), nil
}

func (b *testBus) Close() error { return nil }

func (b *testBus) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.frames)
}

var (
	_ endpoint.Transceiver = (*testSource)(nil)
	_ endpoint.Transceiver = (*testBus)(nil)
)

func init() {
	source := func(name string, trust config.Trust) {
		endpoint.Register(endpoint.Kind{
			Kind: config.Kind{Name: name, Fields: []config.Field{{Name: "frames", Default: "10"}},
				Decode: func(o *config.Object) config.Settings {
					return &testSourceConfig{Frames: int(o.Uint("frames", 10, 0, 1000)), Trust: trust}
				}},
			Open: func(_ context.Context, cfg *config.Endpoint, _ *endpoint.Env) (endpoint.Transceiver, error) {
				return &testSource{n: cfg.Settings.(*testSourceConfig).Frames}, nil
			},
		})
	}
	source("test-undeclared", config.TrustUndeclared)
	source("test-remote", config.TrustRemote)
	source("test-local", config.TrustLocal)
	endpoint.Register(endpoint.Kind{
		Kind: config.Kind{Name: "test-bus", Decode: func(o *config.Object) config.Settings { return &testBusConfig{} }},
		Open: func(_ context.Context, cfg *config.Endpoint, _ *endpoint.Env) (endpoint.Transceiver, error) {
			b := &testBus{}
			testBuses.Store(cfg.Name, b)
			return b, nil
		},
	})
}

// TestUndeclaredTrustFailsClosed: a kind that declares no trust is treated
// as reachable from elsewhere. Routed to a bus without allow, every frame
// is a not_allowed drop, and check warns; with allow, exactly the admitted
// frames pass. A kind declaring itself local passes without allow.
func TestUndeclaredTrustFailsClosed(t *testing.T) {
	const n = 16
	for _, tc := range []struct {
		kind, allow string
		want        int
		warn        bool
	}{
		{"test-undeclared", "", 0, true},
		{"test-remote", "", 0, true},
		{"test-undeclared", `allow: ["100:7F8"]`, 8, false},
		{"test-local", "", n, false},
	} {
		t.Run(tc.kind+"/"+tc.allow, func(t *testing.T) {
			route := "{name: r, from: [src], to: [bus]}"
			if tc.allow != "" {
				route = "{name: r, from: [src], to: [bus], " + tc.allow + "}"
			}
			yaml := `
admin: {listen: ""}
endpoints:
  src: {kind: ` + tc.kind + `, frames: 16}
  bus: {kind: test-bus}
routes:
  - ` + route + "\n"
			cfg, err := config.Parse("trust.yaml", []byte(yaml))
			if err != nil {
				t.Fatal(err)
			}
			warned := false
			for _, w := range cfg.Warnings {
				if w.Field == "routes.r.allow" && strings.Contains(w.Msg, "injects nothing onto the bus") {
					warned = true
				}
			}
			if warned != tc.warn {
				t.Errorf("check warning about allow = %v, want %v (warnings %v)", warned, tc.warn, cfg.Warnings)
			}
			g := New(nil)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if err := g.Start(ctx, cfg); err != nil {
				t.Fatal(err)
			}
			defer g.Shutdown()
			waitFor(t, "frames accounted", func() bool {
				st := g.Status()
				for _, e := range st.Endpoints {
					if e.Name == "bus" {
						return e.FramesOut+e.Dropped["not_allowed"] == n
					}
				}
				return false
			})
			v, _ := testBuses.Load("bus")
			if got := v.(*testBus).count(); got != tc.want {
				t.Errorf("%d frames reached the bus, want %d", got, tc.want)
			}
			for _, e := range g.Status().Endpoints {
				if e.Name == "bus" && e.Dropped["not_allowed"] != uint64(n-tc.want) {
					t.Errorf("not_allowed drops %d, want %d", e.Dropped["not_allowed"], n-tc.want)
				}
			}
		})
	}
}

// fixedTraits are Settings with the given traits, for tests that build
// nodes by hand.
type fixedTraits config.Traits

func (t fixedTraits) Traits() config.Traits { return config.Traits(t) }

// canBus and remote are the traits of a can endpoint on iface and of a
// network link.
func canBus(iface string) config.Settings {
	return fixedTraits{Carries: config.CarriesCAN | config.CarriesCANFD, Trust: config.TrustBus, Interface: iface}
}

func remote(iface string) config.Settings {
	return fixedTraits{Carries: config.CarriesCAN | config.CarriesCANFD, Trust: config.TrustRemote, Interface: iface}
}
