//go:build linux

package gateway

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/gateway/config"
)

// j1939Conn is a J1939 socket: whole messages (the kernel runs the
// transport protocols for more than 8 bytes) in and out. A Frame carries
// the PGN in ID, the source address in Addr and the destination address in
// Flags (0xFF broadcast). Messages larger than MaxData are counted as
// malformed.
type j1939Conn struct {
	cfg *config.Endpoint
	env *env
	c   *can.J1939Conn
}

func openJ1939(ctx context.Context, cfg *config.Endpoint, e *env) (Conn, error) {
	jc := &can.J1939Config{
		Local:       can.J1939Addr{Name: cfg.J1939.Name, PGN: can.J1939NoPGN, Addr: cfg.J1939.Addr},
		Promiscuous: cfg.J1939.Promisc,
		Broadcast:   true,
	}
	c, err := can.ListenJ1939(cfg.Interface, jc)
	if err != nil {
		return nil, err
	}
	return &j1939Conn{cfg: cfg, env: e, c: c}, nil
}

func (c *j1939Conn) Receive(ctx context.Context, deliver func([]Frame)) error {
	batch := make([]Frame, 1)
	for {
		f := &batch[0]
		n, src, meta, err := c.c.ReadFrom(ctx, f.Data[:])
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if strings.Contains(err.Error(), "does not fit") {
				c.env.drop(ReasonMalformed, 1)
				continue
			}
			return fmt.Errorf("j1939 read: %w", err)
		}
		if len(c.cfg.J1939.PGNs) > 0 && !slices.Contains(c.cfg.J1939.PGNs, src.PGN) {
			continue
		}
		f.Kind, f.ID, f.Addr, f.Flags, f.Len, f.Time = KindJ1939, src.PGN, src.Addr, meta.DestAddr, uint16(n), 0
		deliver(batch)
	}
}

func (c *j1939Conn) Send(ctx context.Context, frames []Frame) (int, error) {
	for i := range frames {
		f := &frames[i]
		if f.Kind != KindJ1939 {
			return i, &DropError{Reason: ReasonUnsupported, One: true, Err: fmt.Errorf("j1939 endpoint cannot send %s frames", f.Kind)}
		}
		if err := c.c.WriteTo(ctx, f.Data[:f.Len], can.J1939Addr{PGN: f.ID, Addr: f.Flags}); err != nil {
			return i, &DropError{Reason: ReasonWriteError, One: true, Err: err}
		}
	}
	return len(frames), nil
}

func (c *j1939Conn) Close() error { return c.c.Close() }
