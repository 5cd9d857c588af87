package gateway

import (
	"context"
	"errors"

	"github.com/fieldgate/fieldgate/gateway/config"
)

func openSocketcand(ctx context.Context, cfg *config.Endpoint, e *env) (Conn, error) {
	return nil, errors.New("socketcand endpoint not implemented yet")
}
