package capture

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/packet"
)

// captureConn writes every frame routed to it into rotating pcapng files
// (the packet package's writer): CAN and CAN FD frames as
// LINKTYPE_CAN_SOCKETCAN records, Ethernet frames as LINKTYPE_ETHERNET, one
// pcapng interface per source endpoint and link type, named after the
// endpoint. tshark and Wireshark dissect the files.
type captureConn struct {
	cfg *Config
	env *endpoint.Env
	mu  sync.Mutex
	w   *packet.Writer
	ifs map[captureKey]int
	rec []byte
	// flush is the writer's deferred flush (see Send); pending says it is
	// armed, closed that Close ran. Both under mu.
	flush   *time.Timer
	pending bool
	closed  bool
}

// flushDelay is how long frames of a full batch may stay in the writer's
// buffer (see Send).
const flushDelay = 100 * time.Millisecond

type captureKey struct {
	src uint16
	lt  packet.LinkType
}

var _ endpoint.Transceiver = (*captureConn)(nil)

func open(ctx context.Context, ec *config.Endpoint, e *endpoint.Env) (endpoint.Transceiver, error) {
	cfg := ec.Settings.(*Config)
	w, err := packet.CreateFile(cfg.Path, &packet.WriterConfig{
		Application:    "fieldgate gateway",
		RotateSize:     cfg.RotateSize,
		RotateInterval: cfg.RotateInterval,
		MaxFiles:       cfg.RotateKeep,
	})
	if err != nil {
		return nil, err
	}
	c := &captureConn{cfg: cfg, env: e, w: w, ifs: map[captureKey]int{}}
	c.flush = time.AfterFunc(time.Hour, c.timedFlush)
	c.flush.Stop()
	return c, nil
}

// timedFlush writes what a full batch left in the writer's buffer.
func (c *captureConn) timedFlush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || !c.pending {
		return
	}
	c.pending = false
	if err := c.w.Flush(); err != nil {
		c.env.Log.Warn("capture flush failed", "path", c.cfg.Path, "err", err)
	}
}

func (c *captureConn) Receive(ctx context.Context, deliver func([]frame.Frame)) error {
	<-ctx.Done()
	return ctx.Err()
}

func (c *captureConn) iface(src uint16, lt packet.LinkType) (int, error) {
	k := captureKey{src, lt}
	if id, ok := c.ifs[k]; ok {
		return id, nil
	}
	name := fmt.Sprintf("endpoint%d", src)
	if c.env.SourceName != nil {
		name = c.env.SourceName(src)
	}
	snap := uint32(72)
	if lt == packet.LinkTypeEthernet {
		snap = frame.MaxData
	}
	id, err := c.w.AddInterface(packet.Interface{Name: name, Description: "fieldgate endpoint " + name, LinkType: lt, SnapLen: snap})
	if err != nil {
		return 0, err
	}
	c.ifs[k] = id
	return id, nil
}

func (c *captureConn) Send(ctx context.Context, frames []frame.Frame) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range frames {
		f := &frames[i]
		var lt packet.LinkType
		var err error
		switch f.Type {
		case frame.CAN, frame.CANFD:
			lt = packet.LinkTypeCANSocketCAN
			c.rec, err = packet.AppendCANRecord(c.rec[:0], f.ID, f.Type == frame.CANFD, f.Flags, f.Data[:f.Len])
		case frame.Ethernet:
			lt = packet.LinkTypeEthernet
			c.rec = append(c.rec[:0], f.Data[:f.Len]...)
		default:
			c.w.Flush()
			return i, &endpoint.DropError{Reason: endpoint.ReasonUnsupported, One: true, Err: fmt.Errorf("capture cannot record %s frames", f.Type)}
		}
		if err != nil {
			return i, &endpoint.DropError{Reason: endpoint.ReasonMalformed, One: true, Err: err}
		}
		id, err := c.iface(f.Source, lt)
		if err != nil {
			return i, err
		}
		if err := c.w.WritePacket(id, packet.CaptureInfo{Timestamp: time.Unix(0, f.Time)}, c.rec); err != nil {
			return i, err
		}
	}
	if len(frames) == endpoint.BatchSize {
		// A full batch: more frames are likely queued behind it. The
		// buffer is written when it fills or when the queue runs short,
		// at the latest after flushDelay: one write per 256 KiB of a
		// burst instead of one per batch.
		if !c.pending {
			c.pending = true
			c.flush.Reset(flushDelay)
		}
		return len(frames), nil
	}
	c.pending = false
	return len(frames), c.w.Flush()
}

func (c *captureConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.flush.Stop()
	return c.w.Close()
}
