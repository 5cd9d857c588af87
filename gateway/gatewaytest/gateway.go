package gatewaytest

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway"
	"github.com/fieldgate/fieldgate/gateway/config"
)

// A Gateway is a gateway running in the test's process.
type Gateway struct {
	*gateway.Gateway
	// Name names the gateway in failures and is its config file's base
	// name.
	Name string
	// Logs is the gateway's log at debug level.
	Logs *LogBuffer

	stop func()
}

// Start starts a gateway whose config is yaml (endpoints and routes; the
// admin server is off unless yaml has an admin section) and stops it when
// the test ends, printing its log if the test failed. Stop stops it
// earlier.
func Start(t testing.TB, name, yaml string) *Gateway {
	t.Helper()
	if !strings.HasPrefix(yaml, "admin:") && !strings.Contains(yaml, "\nadmin:") {
		yaml = "admin: {listen: \"\"}\n" + yaml
	}
	cfg, err := config.Parse(name+".yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	logs := &LogBuffer{}
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
	return &Gateway{Gateway: g, Name: name, Logs: logs, stop: stop}
}

// Stop shuts the gateway down; later calls do nothing.
func (g *Gateway) Stop() { g.stop() }

// Endpoint returns the status of the endpoint called name, or a zero
// status if there is none.
func (g *Gateway) Endpoint(name string) gateway.EndpointStatus {
	return EndpointStatus(g.Gateway, name)
}

// EndpointStatus returns the status of g's endpoint called name, or a zero
// status if there is none.
func EndpointStatus(g *gateway.Gateway, name string) gateway.EndpointStatus {
	for _, e := range g.Status().Endpoints {
		if e.Name == name {
			return e
		}
	}
	return gateway.EndpointStatus{}
}

// Drops returns every drop the gateway counted, keyed "endpoint/reason".
func (g *Gateway) Drops() map[string]uint64 {
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

// NoDrops fails the test if any endpoint of g counted a drop.
func (g *Gateway) NoDrops(t testing.TB) {
	t.Helper()
	for _, e := range g.Status().Endpoints {
		if n := gateway.DroppedTotal(e.Dropped); n != 0 {
			t.Errorf("%s: endpoint %s dropped %d frames: %v", g.Name, e.Name, n, e.Dropped)
		}
	}
}

// WaitFor polls cond every 5 ms until it holds, and fails the test if d
// passes first.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
