//go:build linux

package can

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	socketcan "github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/internal/ifstate"
	"golang.org/x/sys/unix"
)

// canConn is a raw CAN socket endpoint: batch receive and send through the
// project's can package (recvmmsg/sendmmsg), kernel drops (SO_RXQ_OVFL)
// counted, and an interface that goes down waited for instead of failing
// the gateway.
type canConn struct {
	cfg           *Config
	env           *endpoint.Env
	mu            sync.Mutex // guards c replacement and stopping
	stopping      bool       // Receive's context ended: c no longer receives
	c             *socketcan.RawConn
	rcv           []socketcan.RecvMsg
	tx            []socketcan.FDFrame // Send's (the writer goroutine's)
	itx           []socketcan.FDFrame // TrySend's (the inline path's)
	kernelDropped uint64

	// confirm mode (cfg.Confirm): frames the socket accepted and whose
	// echo (MSG_CONFIRM) has not been read yet. sendMu keeps a write and
	// its inflight update together against settle.
	sendMu   sync.Mutex
	inflight atomic.Int64
	filters  []socketcan.Filter // applied in user space in confirm mode

	// idle: no route reads this endpoint in user space (it is only a
	// destination, or its routes run in can-gw), so the kernel delivers it
	// no data frames at all (an empty CAN_RAW_FILTER).
	idle atomic.Bool

	// postUp (Receive's goroutine only): the link was down; settle again
	// once frames flow. Linux sets IFF_UP before it activates the
	// device's qdisc (__dev_open), and frames sent in between are
	// dropped by the noop qdisc while sendmmsg reports success, so in
	// confirm mode their echoes never come either.
	postUp bool
	// sendSawDown: a write got the link-down error. The socket's error
	// (sk_err, set when the interface goes down) is reported once, to
	// whichever call comes first; when a write takes it, Receive never
	// sees ENETDOWN, so it settles once frames flow again instead.
	sendSawDown atomic.Bool
	// full (Receive's goroutine only): the last read filled the batch
	// (see read).
	full bool
}

var (
	_ endpoint.Transceiver = (*canConn)(nil)
	_ endpoint.ReceiveGate = (*canConn)(nil)
)

// SetIdle stops or resumes data frame delivery to the socket.
func (c *canConn) SetIdle(idle bool) error {
	if c.cfg.Confirm || c.idle.Swap(idle) == idle {
		return nil // confirm mode needs its own echoes: always receive
	}
	return c.applyIdle(c.conn())
}

func (c *canConn) applyIdle(rc *socketcan.RawConn) error {
	if c.idle.Load() {
		return rc.SetFilters([]socketcan.Filter{})
	}
	return rc.SetFilters(canFilters(c.cfg))
}

// rawConfig is the socket's configuration. CAN FD frames are always
// enabled on the socket (CAN_RAW_FD_FRAMES), whatever the endpoint's fd
// setting: without it the kernel discards FD frames for the socket
// silently, and an FD frame on the bus would vanish uncounted. An endpoint
// with fd: false counts the FD frames it receives as unsupported drops
// (deliverBatch) and never writes one (Send, TrySend). Classic frames
// still arrive as 16-byte can_frame records, so their path is unchanged.
func rawConfig(cfg *Config) *socketcan.RawConfig {
	rc := &socketcan.RawConfig{FD: true, ErrorMask: socketcan.ErrClass(cfg.ErrorMask), RecvBuffer: int(cfg.ReceiveBuffer)}
	if cfg.Confirm {
		// The kernel filters a socket's own echoes like any frame: keep
		// receive-all and filter in user space.
		rc.RecvOwnMsgs = true
		return rc
	}
	rc.Filters = canFilters(cfg)
	return rc
}

func canFilters(cfg *Config) []socketcan.Filter {
	var out []socketcan.Filter
	for _, f := range cfg.Filters {
		out = append(out, socketcan.Filter{ID: f.ID, Mask: f.Mask, Inverted: f.Inverted})
	}
	return out
}

// passes applies the configured filters in user space (confirm mode).
func (c *canConn) passes(f *frame.Frame) bool {
	if len(c.filters) == 0 || f.ID&frame.CANERRFlag != 0 {
		return true
	}
	for _, flt := range c.filters {
		if flt.Match(f.ID) {
			return true
		}
	}
	return false
}

// settle counts the frames the socket accepted but the interface never
// sent (confirm mode), once the interface went down or away. The kernel
// reports ENETDOWN only after the receive queue is empty, so every echo of
// a frame that was sent has been read; a last short read catches echoes of
// a write that was still running.
func (c *canConn) settle(rc *socketcan.RawConn, deliver func([]frame.Frame), batch []frame.Frame) {
	if !c.cfg.Confirm {
		return
	}
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		n, _ := rc.ReadBatch(ctx, c.rcv)
		cancel()
		if n == 0 {
			break
		}
		c.deliverBatch(c.rcv[:n], deliver, batch)
	}
	if lost := c.inflight.Swap(0); lost > 0 {
		c.env.Drop(endpoint.ReasonTxLost, int(lost))
		c.env.Log.Warn("frames accepted but never transmitted", "interface", c.cfg.Interface, "frames", lost)
	}
}

// deliverBatch converts received messages, takes our own echoes off the
// inflight count, counts CAN FD frames on an endpoint without fd: true as
// unsupported, and passes the rest on.
func (c *canConn) deliverBatch(msgs []socketcan.RecvMsg, deliver func([]frame.Frame), batch []frame.Frame) {
	k, unsupported := 0, 0
	for i := range msgs {
		m := &msgs[i]
		if m.Confirm {
			c.inflight.Add(-1)
			continue
		}
		if m.Frame.Error {
			c.env.Stats.ErrorFrames.Add(1)
		}
		frame.FromCAN(&batch[k], &m.Frame, m.FD)
		if c.cfg.Confirm && !c.passes(&batch[k]) {
			continue
		}
		if m.FD && !c.cfg.FD {
			unsupported++
			continue
		}
		batch[k].Time = 0
		if !m.Time.IsZero() {
			batch[k].Time = m.Time.UnixNano()
		}
		k++
	}
	if k > 0 {
		deliver(batch[:k])
	}
	if unsupported > 0 {
		c.env.Drop(endpoint.ReasonUnsupported, unsupported)
	}
}

func open(ctx context.Context, ec *config.Endpoint, e *endpoint.Env) (endpoint.Transceiver, error) {
	cfg := ec.Settings.(*Config)
	c, err := socketcan.ListenRaw(cfg.Interface, rawConfig(cfg))
	if err != nil {
		return nil, err
	}
	cc := &canConn{cfg: cfg, env: e, c: c, rcv: make([]socketcan.RecvMsg, socketcan.MaxBatch), tx: make([]socketcan.FDFrame, socketcan.MaxBatch), itx: make([]socketcan.FDFrame, socketcan.MaxBatch)}
	cc.reportBuffer(c, true)
	if cfg.Confirm {
		cc.filters = canFilters(cfg)
	}
	if !cfg.FD {
		if ifi, err := net.InterfaceByName(cfg.Interface); err == nil && ifi.MTU == socketcan.FDMTU {
			e.Log.Info("interface carries CAN FD (MTU 72) but the endpoint has fd: false: CAN FD frames it receives are counted as unsupported drops, and none is written; set fd: true to route them",
				"interface", cfg.Interface)
		}
	}
	return cc, nil
}

// reportBuffer reads back the receive buffer the kernel granted rc, keeps
// it for /status, and logs it (at open, or when it changed): at info level
// when the kernel granted what was asked, as a warning when it was capped
// at net.core.rmem_max because the process lacks CAP_NET_ADMIN.
func (c *canConn) reportBuffer(rc *socketcan.RawConn, open bool) {
	granted, err := rc.RecvBuffer()
	if err != nil {
		c.env.Log.Warn("cannot read the receive buffer back", "interface", c.cfg.Interface, "err", err)
		return
	}
	if old := c.env.Stats.RecvBuffer.Swap(int64(granted)); !open && old == int64(granted) {
		return
	}
	asked := c.cfg.ReceiveBuffer
	frames := BufferFrames(int64(granted))
	switch {
	case asked == 0:
		c.env.Log.Info("receive buffer: the kernel's default (receive_buffer: 0)", "interface", c.cfg.Interface,
			"granted_bytes", granted, "frames", frames)
	case int64(granted) < 2*asked:
		c.env.Log.Warn("receive buffer capped at net.core.rmem_max: SO_RCVBUFFORCE needs CAP_NET_ADMIN; a burst longer than the buffer holds is dropped by the kernel (kernel_overflow)",
			"interface", c.cfg.Interface, "requested_bytes", asked, "granted_bytes", granted, "frames", frames)
	default:
		c.env.Log.Info("receive buffer", "interface", c.cfg.Interface, "requested_bytes", asked, "granted_bytes", granted, "frames", frames)
	}
}

func (c *canConn) conn() *socketcan.RawConn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.c
}

// reopen waits for the interface to come back and opens a new socket.
func (c *canConn) reopen(ctx context.Context) error {
	c.env.Log.Warn("interface down; waiting for it to come back", "interface", c.cfg.Interface)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		nc, err := socketcan.ListenRaw(c.cfg.Interface, rawConfig(c.cfg))
		if err != nil {
			continue
		}
		if c.idle.Load() {
			c.applyIdle(nc)
		}
		c.reportBuffer(nc, false)
		c.mu.Lock()
		old := c.c
		c.c = nc
		c.kernelDropped = 0
		c.mu.Unlock()
		old.Close()
		c.env.Log.Info("interface back", "interface", c.cfg.Interface)
		return nil
	}
}

// Receive reads with a context that cannot be cancelled: mdlayher/socket
// starts a watcher goroutine for every blocking read with a cancellable
// context, which at low frame rates costs more than the frame itself. To
// stop, the receiving socket is swapped for a send-only one (no receive
// filters) and closed, which unblocks the read.
func (c *canConn) Receive(ctx context.Context, deliver func([]frame.Frame)) error {
	stop := context.AfterFunc(ctx, func() {
		tc := rawConfig(c.cfg)
		tc.Filters = []socketcan.Filter{} // receive nothing
		tc.ErrorMask = 0
		nc, err := socketcan.ListenRaw(c.cfg.Interface, tc)
		c.mu.Lock()
		old := c.c
		if err == nil {
			c.c = nc
		}
		c.stopping = true
		c.mu.Unlock()
		old.Close()
	})
	defer stop()
	batch := make([]frame.Frame, socketcan.MaxBatch)
	for {
		// The receiving socket and whether the swap above has happened,
		// read together: a loop that came round after the swap would
		// otherwise wait forever on the send-only socket.
		c.mu.Lock()
		rc, stopping := c.c, c.stopping
		c.mu.Unlock()
		if stopping {
			return ctx.Err()
		}
		n, err := c.read(rc)
		if n > 0 {
			c.deliverBatch(c.rcv[:n], deliver, batch)
			if n == len(c.rcv) {
				// More frames are likely queued: let the writers of
				// the destinations run before reading on. On one CPU
				// this goroutine would otherwise keep the processor
				// until the socket is empty, and a burst would pile
				// up in the destination queues (queue_overflow)
				// instead of waiting in the socket's buffer.
				runtime.Gosched()
			}
			if c.postUp || c.sendSawDown.Load() {
				c.postUp = false
				c.sendSawDown.Store(false)
				c.settle(rc, deliver, batch)
			}
		}
		c.countKernelDrops(rc.Dropped())
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, unix.ENETDOWN) {
				// The socket stays bound while the interface is down;
				// frames flow again once it is up.
				c.env.Log.Warn("interface down; waiting for it to come back", "interface", c.cfg.Interface)
				c.settle(rc, deliver, batch)
				c.postUp = c.cfg.Confirm
				continue
			}
			if ifstate.LinkDown(err) {
				c.settle(rc, deliver, batch)
				c.postUp = c.cfg.Confirm
				if err := c.reopen(ctx); err != nil {
					return err
				}
				continue
			}
			if errors.Is(err, unix.EMSGSIZE) {
				c.env.Drop(endpoint.ReasonMalformed, 1)
				continue
			}
			return fmt.Errorf("read %s: %w", c.cfg.Interface, err)
		}
	}
}

// read reads the next batch. After a full batch the queue may hold more
// frames or none: a read that does not wait tells which, and when the
// queue turns out drained, the kernel's drop count is read from the socket
// before waiting. Drops at the end of a burst that overflowed the queue are
// in no received frame's SO_RXQ_OVFL count, and would otherwise stay
// uncounted until the next frame arrives. At a steady rate the reader
// keeps up, batches are short, and nothing is added to the read path.
func (c *canConn) read(rc *socketcan.RawConn) (int, error) {
	if c.full {
		c.full = false
		n, err := rc.TryReadBatch(c.rcv)
		if err != nil || n == len(c.rcv) {
			c.full = err == nil
			return n, err
		}
		if now, err := rc.DroppedNow(); err == nil {
			c.countKernelDrops(now)
		}
		if n > 0 {
			return n, nil
		}
	}
	n, err := rc.ReadBatch(context.Background(), c.rcv)
	c.full = err == nil && n == len(c.rcv)
	return n, err
}

// countKernelDrops counts the kernel's drops up to its count d (from a
// received frame or from the socket), each once.
func (c *canConn) countKernelDrops(d uint64) {
	if d > c.kernelDropped {
		c.env.Drop(endpoint.ReasonKernel, int(d-c.kernelDropped))
		c.kernelDropped = d
	}
}

func (c *canConn) Send(ctx context.Context, frames []frame.Frame) (int, error) {
	sent := 0
	for sent < len(frames) {
		k := 0
		for ; k < len(c.tx) && sent+k < len(frames); k++ {
			f := &frames[sent+k]
			if !f.IsCAN() {
				break
			}
			if f.Type == frame.CANFD && !c.cfg.FD {
				break
			}
			frame.ToCAN(&c.tx[k], f)
		}
		if k == 0 {
			f := &frames[sent]
			if f.Type == frame.CANFD {
				return sent, &endpoint.DropError{Reason: endpoint.ReasonUnsupported, One: true, Err: fmt.Errorf("CAN FD frame to %s, which has fd: false", c.cfg.Interface)}
			}
			return sent, &endpoint.DropError{Reason: endpoint.ReasonUnsupported, One: true, Err: fmt.Errorf("%s frame cannot be written to a raw CAN socket", f.Type)}
		}
		n, err := c.write(ctx, k)
		sent += n
		if err != nil {
			if ifstate.LinkDown(err) {
				return sent, &endpoint.DropError{Reason: endpoint.ReasonLinkDown, Err: err}
			}
			return sent, err
		}
	}
	return sent, nil
}

// write sends c.tx[:k] and, in confirm mode, counts the accepted frames as
// in flight until their echoes come back.
func (c *canConn) write(ctx context.Context, k int) (int, error) {
	if c.cfg.Confirm {
		c.sendMu.Lock()
		defer c.sendMu.Unlock()
	}
	rc := c.conn()
	n, err := rc.WriteBatch(ctx, c.tx[:k])
	if err != nil && n == 0 && c.conn() != rc {
		// The socket was swapped (receive stopped): retry on the new one.
		n, err = c.conn().WriteBatch(ctx, c.tx[:k])
	}
	if c.cfg.Confirm {
		c.inflight.Add(int64(n))
		if err != nil && ifstate.LinkDown(err) {
			c.sendSawDown.Store(true)
		}
	}
	return n, err
}

func (c *canConn) Close() error { return c.conn().Close() }

var _ endpoint.TrySender = (*canConn)(nil)

// TrySend writes frames without waiting for room in the socket (the
// engine's inline path, gateway/inline.go): it stops at the first batch the
// socket cannot take at once and reports endpoint.ErrWouldBlock for the
// rest.
func (c *canConn) TrySend(frames []frame.Frame) (int, error) {
	sent := 0
	for sent < len(frames) {
		k := 0
		for ; k < len(c.itx) && sent+k < len(frames); k++ {
			f := &frames[sent+k]
			if !f.IsCAN() || (f.Type == frame.CANFD && !c.cfg.FD) {
				break
			}
			frame.ToCAN(&c.itx[k], f)
		}
		if k == 0 {
			// Not for a raw socket: Send reports it.
			n, err := c.Send(nil, frames[sent:sent+1])
			sent += n
			if err != nil {
				return sent, err
			}
			continue
		}
		n, err := c.tryWrite(k)
		sent += n
		if err != nil {
			if endpoint.WouldBlock(err) {
				return sent, endpoint.ErrWouldBlock
			}
			if ifstate.LinkDown(err) {
				return sent, &endpoint.DropError{Reason: endpoint.ReasonLinkDown, Err: err}
			}
			return sent, err
		}
		if n < k {
			return sent, endpoint.ErrWouldBlock
		}
	}
	return sent, nil
}

// tryWrite is write without waiting, from c.itx.
func (c *canConn) tryWrite(k int) (int, error) {
	if c.cfg.Confirm {
		c.sendMu.Lock()
		defer c.sendMu.Unlock()
	}
	rc := c.conn()
	n, err := rc.TryWriteBatch(c.itx[:k])
	if err != nil && n == 0 && c.conn() != rc {
		// The socket was swapped (receive stopped): retry on the new one.
		n, err = c.conn().TryWriteBatch(c.itx[:k])
	}
	if c.cfg.Confirm {
		c.inflight.Add(int64(n))
		if err != nil && ifstate.LinkDown(err) {
			c.sendSawDown.Store(true)
		}
	}
	return n, err
}
