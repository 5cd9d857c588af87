package gateway

import (
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

// The engine opens endpoints through the registry in package endpoint and
// knows nothing of any kind: what it needs of one (does it read, write, on
// which interface, is it trusted, can can-gw forward it) comes from the
// kind's config.Settings.

// reports returns the extra figures the kind of cfg reports.
func reports(cfg *config.Endpoint) endpoint.Reports {
	if k, ok := endpoint.Lookup(cfg.Kind); ok {
		return k.Reports
	}
	return 0
}
