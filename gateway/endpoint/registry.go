package endpoint

import (
	"context"
	"fmt"
	"sync"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// OpenFunc opens one endpoint of a kind: cfg.Settings is of the kind's own
// Settings type. ctx bounds the open (a dial) and, for kinds that run
// goroutines of their own, the endpoint's lifetime.
type OpenFunc func(ctx context.Context, cfg *config.Endpoint, env *Env) (Transceiver, error)

// Reports lists the figures beyond frames, bytes and drops that an
// endpoint of a kind reports in /metrics.
type Reports uint8

// Figures a kind reports.
const (
	ReportsSeqGaps     Reports = 1 << iota // fieldgate_udp_sequence_gaps_total
	ReportsErrorFrames                     // fieldgate_can_error_frames_total
	ReportsPeers                           // fieldgate_endpoint_peers
	ReportsBroker                          // fieldgate_broker_reconnects_total, _pending_acks, _republished_total
)

// A Kind is one registered endpoint kind.
type Kind struct {
	config.Kind
	// Open opens an endpoint of the kind.
	Open OpenFunc
	// Reports lists the kind's extra figures.
	Reports Reports
}

var (
	mu    sync.RWMutex
	kinds = map[string]*Kind{}
)

// Register adds an endpoint kind; kind packages call it from init. It
// panics on a duplicate or incomplete registration.
func Register(k Kind) {
	if k.Open == nil {
		panic(fmt.Sprintf("endpoint: kind %q registered without Open", k.Name))
	}
	config.RegisterKind(k.Kind)
	mu.Lock()
	defer mu.Unlock()
	kinds[k.Name] = &k
}

// Lookup returns the registered kind name.
func Lookup(name string) (*Kind, bool) {
	mu.RLock()
	defer mu.RUnlock()
	k, ok := kinds[name]
	return k, ok
}

// Open opens the endpoint cfg with its kind's Open, and wraps errors with
// the endpoint's name, kind and position. When the endpoint's interface
// does not exist, the error is a *MissingInterfaceError.
func Open(ctx context.Context, cfg *config.Endpoint, env *Env) (Transceiver, error) {
	k, ok := Lookup(cfg.Kind)
	if !ok {
		return nil, fmt.Errorf("endpoint %s (%v): kind %q is not registered in this binary", cfg.Name, cfg.Pos, cfg.Kind)
	}
	t, err := k.Open(ctx, cfg, env)
	if err != nil {
		if ifn := cfg.Interface(); ifn != "" && interfaceMissing(ifn) {
			return nil, &MissingInterfaceError{Endpoint: cfg.Name, Kind: cfg.Kind, Pos: cfg.Pos, Interface: ifn, Err: err}
		}
		return nil, fmt.Errorf("endpoint %s (%s, %v): %w", cfg.Name, cfg.Kind, cfg.Pos, err)
	}
	return t, nil
}
