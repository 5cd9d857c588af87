//go:build !linux

package gateway

import (
	"context"
	"fmt"
	"runtime"

	"github.com/fieldgate/fieldgate/gateway/config"
)

func openJ1939(ctx context.Context, cfg *config.Endpoint, e *env) (Conn, error) {
	return nil, fmt.Errorf("j1939 endpoints are not supported on %s", runtime.GOOS)
}
