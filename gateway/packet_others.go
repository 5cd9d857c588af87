//go:build !linux

package gateway

import (
	"context"
	"fmt"
	"runtime"

	"github.com/fieldgate/fieldgate/gateway/config"
)

func openPacket(ctx context.Context, cfg *config.Endpoint, e *env) (Conn, error) {
	return nil, fmt.Errorf("packet endpoints are not supported on %s", runtime.GOOS)
}
