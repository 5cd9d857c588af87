//go:build linux

package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/gateway/config"
	"golang.org/x/sys/unix"
)

// isotpConn is one ISO-TP channel (rx_id/tx_id pair) on a CAN interface:
// the kernel segments and reassembles PDUs of up to 4095 bytes, the gateway
// moves whole PDUs.
type isotpConn struct {
	cfg *config.Endpoint
	env *env
	c   *can.ISOTPConn
}

func openISOTP(ctx context.Context, cfg *config.Endpoint, e *env) (Conn, error) {
	ic := &can.ISOTPConfig{ExtAddr: cfg.ISOTP.ExtAddr, TxPad: cfg.ISOTP.Padding, RxPad: cfg.ISOTP.Padding}
	if cfg.ISOTP.BlockSize != 0 || cfg.ISOTP.STmin != 0 {
		ic.FlowControl = &can.ISOTPFlowControl{BlockSize: cfg.ISOTP.BlockSize, STmin: cfg.ISOTP.STmin}
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

func (c *isotpConn) Receive(ctx context.Context, deliver func([]Frame)) error {
	batch := make([]Frame, 1)
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
				c.env.drop(ReasonMalformed, 1)
				c.env.log.Debug("isotp receive error", "err", err)
				time.Sleep(time.Millisecond)
				continue
			}
			return fmt.Errorf("isotp read: %w", err)
		}
		f.Kind, f.ID, f.Len, f.Flags, f.Addr, f.Time = KindISOTP, c.cfg.RxID, uint16(n), 0, 0, 0
		deliver(batch)
	}
}

func (c *isotpConn) Send(ctx context.Context, frames []Frame) (int, error) {
	for i := range frames {
		f := &frames[i]
		if f.Kind != KindISOTP || f.Len > 4095 {
			return i, &DropError{Reason: ReasonUnsupported, One: true, Err: fmt.Errorf("isotp endpoint cannot send %s frames", f.Kind)}
		}
		if err := c.c.WritePDU(ctx, f.Data[:f.Len]); err != nil {
			if errors.Is(err, unix.ENETDOWN) {
				return i, &DropError{Reason: ReasonLinkDown, One: true, Err: err}
			}
			return i, &DropError{Reason: ReasonWriteError, One: true, Err: err}
		}
	}
	return len(frames), nil
}

func (c *isotpConn) Close() error { return c.c.Close() }
