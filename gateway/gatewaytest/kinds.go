package gatewaytest

import (
	"context"
	"sync"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// The test-only endpoint kinds RegisterKinds adds.
const (
	// SourceKind delivers the frames a test hands it with Inject: a local,
	// trusted source of every frame type.
	SourceKind = "test-source"
	// BusKind records what is written to it (see BusOf). It declares
	// itself a bus, so the allow guard applies to untrusted sources routed
	// to it.
	BusKind = "test-bus"
)

var (
	registerOnce sync.Once
	sources      sync.Map // endpoint name → chan []frame.Frame
	buses        sync.Map // endpoint name → *Bus
)

type sourceConfig struct{}

func (sourceConfig) Traits() config.Traits {
	return config.Traits{Carries: config.CarriesCAN | config.CarriesCANFD | config.CarriesPDUs | config.CarriesEthernet, Direction: config.ReadOnly, Trust: config.TrustLocal}
}

type busConfig struct{}

func (busConfig) Traits() config.Traits {
	return config.Traits{Carries: config.CarriesCAN | config.CarriesCANFD | config.CarriesPDUs | config.CarriesEthernet, Direction: config.WriteOnly, Trust: config.TrustBus}
}

// RegisterKinds registers SourceKind and BusKind with the endpoint
// registry; later calls do nothing. A test package calls it from an init
// function. Each kind takes an optional field x, which it ignores.
func RegisterKinds() {
	registerOnce.Do(func() {
		endpoint.Register(endpoint.Kind{
			Kind: config.Kind{Name: SourceKind, Doc: "test source", Fields: []config.Field{{Name: "x"}},
				Decode: func(*config.Object) config.Settings { return sourceConfig{} }},
			Open: func(_ context.Context, e *config.Endpoint, _ *endpoint.Env) (endpoint.Transceiver, error) {
				ch := make(chan []frame.Frame, 4096)
				sources.Store(e.Name, ch)
				return &source{ch: ch}, nil
			},
		})
		endpoint.Register(endpoint.Kind{
			Kind: config.Kind{Name: BusKind, Doc: "test bus", Fields: []config.Field{{Name: "x"}},
				Decode: func(*config.Object) config.Settings { return busConfig{} }},
			Open: func(_ context.Context, e *config.Endpoint, _ *endpoint.Env) (endpoint.Transceiver, error) {
				b := &Bus{}
				buses.Store(e.Name, b)
				return b, nil
			},
		})
	})
}

type source struct{ ch chan []frame.Frame }

func (s *source) Receive(ctx context.Context, deliver func([]frame.Frame)) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case fs := <-s.ch:
			deliver(fs)
		}
	}
}
func (s *source) Send(context.Context, []frame.Frame) (int, error) { return 0, nil }
func (s *source) Close() error                                     { return nil }

// Inject hands frames to the SourceKind endpoint called name, in batches
// of endpoint.BatchSize as a CAN socket delivers them.
func Inject(t testing.TB, name string, fs []frame.Frame) {
	t.Helper()
	v, ok := sources.Load(name)
	if !ok {
		t.Fatalf("no %s endpoint %s", SourceKind, name)
	}
	ch := v.(chan []frame.Frame)
	for len(fs) > 0 {
		n := min(len(fs), endpoint.BatchSize)
		ch <- append([]frame.Frame(nil), fs[:n]...)
		fs = fs[n:]
	}
}

// A Bus is a BusKind endpoint: it keeps every frame written to it.
type Bus struct {
	mu     sync.Mutex
	frames []frame.Frame
}

// BusOf returns the BusKind endpoint called name.
func BusOf(t testing.TB, name string) *Bus {
	t.Helper()
	v, ok := buses.Load(name)
	if !ok {
		t.Fatalf("no %s endpoint %s", BusKind, name)
	}
	return v.(*Bus)
}

// Receive waits for the end: a Bus delivers nothing.
func (b *Bus) Receive(ctx context.Context, _ func([]frame.Frame)) error {
	<-ctx.Done()
	return ctx.Err()
}

// Send records fs.
func (b *Bus) Send(_ context.Context, fs []frame.Frame) (int, error) {
	b.mu.Lock()
	b.frames = append(b.frames, fs...)
	b.mu.Unlock()
	return len(fs), nil
}

// Close does nothing.
func (b *Bus) Close() error { return nil }

// Frames returns a copy of the frames written so far.
func (b *Bus) Frames() []frame.Frame {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]frame.Frame(nil), b.frames...)
}

// Len returns how many frames were written so far.
func (b *Bus) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.frames)
}

var _ endpoint.Transceiver = (*Bus)(nil)
