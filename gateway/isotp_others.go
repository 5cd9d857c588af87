//go:build !linux

package gateway

import (
	"context"
	"fmt"
	"runtime"

	"github.com/fieldgate/fieldgate/gateway/config"
)

func openISOTP(ctx context.Context, cfg *config.Endpoint, e *env) (Conn, error) {
	return nil, fmt.Errorf("isotp endpoints are not supported on %s", runtime.GOOS)
}
