//go:build !linux

package udpmulticast

import (
	"context"
	"fmt"
	"runtime"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

func open(ctx context.Context, ec *config.Endpoint, e *endpoint.Env) (endpoint.Transceiver, error) {
	return nil, fmt.Errorf("udp_multicast endpoints are not supported on %s", runtime.GOOS)
}
