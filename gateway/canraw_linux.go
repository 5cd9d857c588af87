//go:build linux

package gateway

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/gateway/config"
	"golang.org/x/sys/unix"
)

// canConn is a raw CAN socket endpoint: batch receive and send through the
// can package (recvmmsg/sendmmsg), kernel drops (SO_RXQ_OVFL) counted, and
// an interface that goes down waited for instead of failing the gateway.
type canConn struct {
	cfg           *config.Endpoint
	env           *env
	mu            sync.Mutex // guards c replacement
	c             *can.RawConn
	rcv           []can.RecvMsg
	tx            []can.FDFrame
	kernelDropped uint64
}

func rawConfig(cfg *config.Endpoint) *can.RawConfig {
	rc := &can.RawConfig{FD: cfg.FD, ErrorMask: can.ErrClass(cfg.ErrorMask), RecvBuffer: 1 << 20}
	if len(cfg.Filters) > 0 {
		for _, f := range cfg.Filters {
			rc.Filters = append(rc.Filters, can.Filter{ID: f.ID, Mask: f.Mask, Inverted: f.Inverted})
		}
	}
	return rc
}

func openCAN(ctx context.Context, cfg *config.Endpoint, e *env) (Conn, error) {
	c, err := can.ListenRaw(cfg.Interface, rawConfig(cfg))
	if err != nil {
		return nil, err
	}
	return &canConn{cfg: cfg, env: e, c: c, rcv: make([]can.RecvMsg, can.MaxBatch), tx: make([]can.FDFrame, can.MaxBatch)}, nil
}

func (c *canConn) conn() *can.RawConn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.c
}

// linkDown reports errors that mean the interface is gone or down.
func linkDown(err error) bool {
	return errors.Is(err, unix.ENETDOWN) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO)
}

// reopen waits for the interface to come back and opens a new socket.
func (c *canConn) reopen(ctx context.Context) error {
	c.env.log.Warn("interface down; waiting for it to come back", "interface", c.cfg.Interface)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		nc, err := can.ListenRaw(c.cfg.Interface, rawConfig(c.cfg))
		if err != nil {
			continue
		}
		c.mu.Lock()
		old := c.c
		c.c = nc
		c.kernelDropped = 0
		c.mu.Unlock()
		old.Close()
		c.env.log.Info("interface back", "interface", c.cfg.Interface)
		return nil
	}
}

// Receive reads with a context that cannot be cancelled: mdlayher/socket
// starts a watcher goroutine for every blocking read with a cancellable
// context, which at low frame rates costs more than the frame itself. To
// stop, the receiving socket is swapped for a send-only one (no receive
// filters) and closed, which unblocks the read.
func (c *canConn) Receive(ctx context.Context, deliver func([]Frame)) error {
	stop := context.AfterFunc(ctx, func() {
		tc := rawConfig(c.cfg)
		tc.Filters = []can.Filter{} // receive nothing
		tc.ErrorMask = 0
		nc, err := can.ListenRaw(c.cfg.Interface, tc)
		c.mu.Lock()
		old := c.c
		if err == nil {
			c.c = nc
		}
		c.mu.Unlock()
		old.Close()
	})
	defer stop()
	batch := make([]Frame, can.MaxBatch)
	for {
		rc := c.conn()
		n, err := rc.ReadBatch(context.Background(), c.rcv)
		if n > 0 {
			k := 0
			for i := range n {
				m := &c.rcv[i]
				if m.Frame.Error {
					c.env.stats.errorFrames.Add(1)
				}
				fromCAN(&batch[k], &m.Frame, m.FD)
				batch[k].Time = 0
				if !m.Time.IsZero() {
					batch[k].Time = m.Time.UnixNano()
				}
				k++
			}
			deliver(batch[:k])
		}
		if d := rc.Dropped(); d > c.kernelDropped {
			c.env.drop(ReasonKernel, int(d-c.kernelDropped))
			c.kernelDropped = d
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, unix.ENETDOWN) {
				// The socket stays bound while the interface is down;
				// frames flow again once it is up.
				c.env.log.Warn("interface down; waiting for it to come back", "interface", c.cfg.Interface)
				continue
			}
			if linkDown(err) {
				if err := c.reopen(ctx); err != nil {
					return err
				}
				continue
			}
			if errors.Is(err, unix.EMSGSIZE) {
				c.env.drop(ReasonMalformed, 1)
				continue
			}
			return fmt.Errorf("read %s: %w", c.cfg.Interface, err)
		}
	}
}

func (c *canConn) Send(ctx context.Context, frames []Frame) (int, error) {
	sent := 0
	for sent < len(frames) {
		k := 0
		for ; k < len(c.tx) && sent+k < len(frames); k++ {
			f := &frames[sent+k]
			if !f.IsCAN() {
				break
			}
			if f.Kind == KindCANFD && !c.cfg.FD {
				break
			}
			toCAN(&c.tx[k], f)
		}
		if k == 0 {
			f := &frames[sent]
			if f.Kind == KindCANFD {
				return sent, &DropError{Reason: ReasonUnsupported, Err: fmt.Errorf("CAN FD frame to %s, which has fd: false", c.cfg.Interface)}
			}
			return sent, &DropError{Reason: ReasonUnsupported, Err: fmt.Errorf("%s frame cannot be written to a raw CAN socket", f.Kind)}
		}
		rc := c.conn()
		n, err := rc.WriteBatch(ctx, c.tx[:k])
		if err != nil && n == 0 && c.conn() != rc {
			// The socket was swapped (receive stopped): retry on the new one.
			n, err = c.conn().WriteBatch(ctx, c.tx[:k])
		}
		sent += n
		if err != nil {
			if linkDown(err) {
				return sent, &DropError{Reason: ReasonLinkDown, Err: err}
			}
			return sent, err
		}
	}
	return sent, nil
}

func (c *canConn) Close() error { return c.conn().Close() }
