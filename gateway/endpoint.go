package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// A Conn is the I/O side of one endpoint: a CAN socket, a UDP link, a TCP
// server with its clients, a log file.
type Conn interface {
	// Receive reads frames and passes them to deliver in batches until ctx
	// is done or the source ends (io.EOF for finite sources such as a log
	// file being replayed). deliver must not retain the slice.
	Receive(ctx context.Context, deliver func([]Frame)) error
	// Send writes frames and returns how many were written, in order. When
	// it returns fewer than len(frames), the error says why; a *DropError
	// names the drop reason for the unwritten frames.
	Send(ctx context.Context, frames []Frame) (int, error)
	// Close releases the endpoint's sockets and files.
	Close() error
}

// A receiveGate is a Conn that can stop reading frames no user-space route
// consumes (a CAN socket then asks the kernel for no data frames), which
// saves a copy and a read per frame on buses the gateway only writes to or
// whose routes run in can-gw.
type receiveGate interface {
	SetIdle(idle bool) error
}

// A DropError tells the gateway why frames were not sent.
type DropError struct {
	Reason Reason
	Err    error
	// One means only the first unwritten frame is dropped: the gateway
	// counts it and calls Send again with the frames after it.
	One bool
}

func (e *DropError) Error() string {
	if e.Err == nil {
		return "dropped: " + e.Reason.String()
	}
	return fmt.Sprintf("dropped (%s): %v", e.Reason, e.Err)
}

func (e *DropError) Unwrap() error { return e.Err }

func dropReason(err error) Reason {
	var de *DropError
	if errors.As(err, &de) {
		return de.Reason
	}
	return ReasonWriteError
}

// env is what a Conn may use of the gateway: its counters and logger.
type env struct {
	name  string
	stats *endpointStats
	log   *slog.Logger
	// sourceName returns the name of the endpoint with an index (capture).
	sourceName func(uint16) string
	// busAccess reports whether the endpoint may write (or read) a CAN ID
	// on an interface directly, as its routes allow (direct.go).
	busAccess func(iface string, id uint32, write bool) bool
}

// drop counts n frames dropped at the endpoint for reason r.
func (e *env) drop(r Reason, n int) { e.stats.drops.add(r, uint64(n)) }

// dialers lets tests and platforms add endpoint kinds.
type opener func(ctx context.Context, cfg *config.Endpoint, e *env) (Conn, error)

func openConn(ctx context.Context, cfg *config.Endpoint, e *env) (Conn, error) {
	var c Conn
	var err error
	switch cfg.Kind {
	case config.KindUDP:
		c, err = openUDP(ctx, cfg, e)
	case config.KindTCP, config.KindUnix, config.KindVsock:
		c, err = openStream(ctx, cfg, e)
	case config.KindLog:
		c, err = openLog(ctx, cfg, e)
	case config.KindCAN:
		c, err = openCAN(ctx, cfg, e)
	case config.KindISOTP:
		c, err = openISOTP(ctx, cfg, e)
	case config.KindSocketcand:
		c, err = openSocketcand(ctx, cfg, e)
	case config.KindJ1939:
		c, err = openJ1939(ctx, cfg, e)
	case config.KindCapture:
		c, err = openCapture(ctx, cfg, e)
	case config.KindPacket:
		c, err = openPacket(ctx, cfg, e)
	default:
		return nil, fmt.Errorf("endpoint %s: kind %q is not implemented yet", cfg.Name, cfg.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("endpoint %s (%s, %v): %w", cfg.Name, cfg.Kind, cfg.Pos, err)
	}
	return c, nil
}
