//go:build linux

package isotp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"golang.org/x/sys/unix"
)

// isotpConn is one ISO-TP channel (rx_id/tx_id pair) on a CAN interface:
// the kernel segments and reassembles PDUs of up to 4095 bytes, the gateway
// moves whole PDUs.
type isotpConn struct {
	cfg *Config
	env *endpoint.Env
	c   *can.ISOTPConn
}

func open(ctx context.Context, ec *config.Endpoint, e *endpoint.Env) (endpoint.Transceiver, error) {
	cfg := ec.Settings.(*Config)
	ic := &can.ISOTPConfig{ExtAddr: cfg.Options.ExtAddr, TxPad: cfg.Options.Padding, RxPad: cfg.Options.Padding}
	if cfg.Options.BlockSize != 0 || cfg.Options.STmin != 0 {
		ic.FlowControl = &can.ISOTPFlowControl{BlockSize: cfg.Options.BlockSize, STmin: cfg.Options.STmin}
	}
	if cfg.FD {
		ic.LinkLayer = &can.ISOTPLinkLayer{MTU: can.FDMTU, TxDL: 64}
	}
	c, err := can.DialISOTP(cfg.Interface, cfg.RxID, cfg.TxID, ic)
	if err != nil {
		return nil, err
	}
	return &isotpConn{cfg: cfg, env: e, c: c}, nil
}

var _ endpoint.Transceiver = (*isotpConn)(nil)

func (c *isotpConn) Receive(ctx context.Context, deliver func([]frame.Frame)) error {
	batch := make([]frame.Frame, 1)
	for {
		f := &batch[0]
		n, err := c.c.ReadPDU(ctx, f.Data[:4095])
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, unix.ENETDOWN) || errors.Is(err, unix.ECOMM) || errors.Is(err, unix.EILSEQ) || errors.Is(err, unix.ETIMEDOUT) || errors.Is(err, unix.EBADMSG) {
				// Protocol errors of one transfer: the PDU is lost
				// on the bus side; count it and go on.
				c.env.Drop(endpoint.ReasonMalformed, 1)
				c.env.Log.Debug("isotp receive error", "err", err)
				time.Sleep(time.Millisecond)
				continue
			}
			return fmt.Errorf("isotp read: %w", err)
		}
		f.Type, f.ID, f.Len, f.Flags, f.Addr, f.Time = frame.ISOTP, c.cfg.RxID, uint16(n), 0, 0, 0
		deliver(batch)
	}
}

func (c *isotpConn) Send(ctx context.Context, frames []frame.Frame) (int, error) {
	for i := range frames {
		f := &frames[i]
		if f.Type != frame.ISOTP || f.Len > 4095 {
			return i, &endpoint.DropError{Reason: endpoint.ReasonUnsupported, One: true, Err: fmt.Errorf("isotp endpoint cannot send %s frames", f.Type)}
		}
		if err := c.c.WritePDU(ctx, f.Data[:f.Len]); err != nil {
			if errors.Is(err, unix.ENETDOWN) {
				return i, &endpoint.DropError{Reason: endpoint.ReasonLinkDown, One: true, Err: err}
			}
			return i, &endpoint.DropError{Reason: endpoint.ReasonWriteError, One: true, Err: err}
		}
	}
	return len(frames), nil
}

func (c *isotpConn) Close() error { return c.c.Close() }
