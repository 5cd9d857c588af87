//go:build linux

package j1939

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// j1939Conn is a J1939 socket: whole messages (the kernel runs the
// transport protocols for more than 8 bytes) in and out. A Frame carries
// the PGN in ID, the source address in Addr and the destination address in
// Flags (0xFF broadcast). Messages larger than frame.MaxData are counted as
// malformed.
type j1939Conn struct {
	cfg *Config
	env *endpoint.Env
	c   *can.J1939Conn
}

func open(ctx context.Context, ec *config.Endpoint, e *endpoint.Env) (endpoint.Transceiver, error) {
	cfg := ec.Settings.(*Config)
	jc := &can.J1939Config{
		Local:       can.J1939Addr{Name: cfg.Name, PGN: can.J1939NoPGN, Addr: cfg.Addr},
		Promiscuous: cfg.Promisc,
		Broadcast:   true,
	}
	c, err := can.ListenJ1939(cfg.Interface, jc)
	if err != nil {
		return nil, err
	}
	return &j1939Conn{cfg: cfg, env: e, c: c}, nil
}

var _ endpoint.Transceiver = (*j1939Conn)(nil)

func (c *j1939Conn) Receive(ctx context.Context, deliver func([]frame.Frame)) error {
	batch := make([]frame.Frame, 1)
	for {
		f := &batch[0]
		n, src, meta, err := c.c.ReadFrom(ctx, f.Data[:])
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if strings.Contains(err.Error(), "does not fit") {
				c.env.Drop(endpoint.ReasonMalformed, 1)
				continue
			}
			return fmt.Errorf("j1939 read: %w", err)
		}
		if len(c.cfg.PGNs) > 0 && !slices.Contains(c.cfg.PGNs, src.PGN) {
			continue
		}
		f.Type, f.ID, f.Addr, f.Flags, f.Len, f.Time = frame.J1939, src.PGN, src.Addr, meta.DestAddr, uint16(n), 0
		deliver(batch)
	}
}

func (c *j1939Conn) Send(ctx context.Context, frames []frame.Frame) (int, error) {
	for i := range frames {
		f := &frames[i]
		if f.Type != frame.J1939 {
			return i, &endpoint.DropError{Reason: endpoint.ReasonUnsupported, One: true, Err: fmt.Errorf("j1939 endpoint cannot send %s frames", f.Type)}
		}
		if err := c.c.WriteTo(ctx, f.Data[:f.Len], can.J1939Addr{PGN: f.ID, Addr: f.Flags}); err != nil {
			return i, &endpoint.DropError{Reason: endpoint.ReasonWriteError, One: true, Err: err}
		}
	}
	return len(frames), nil
}

func (c *j1939Conn) Close() error { return c.c.Close() }
