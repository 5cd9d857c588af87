package nats

import (
	"context"
	"time"

	"github.com/fieldgate/fieldgate/gateway/busmsg"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// Binary publishing without JetStream fills messages across Send calls
// (coalesce): a message that is not full may wait for the frames of the
// next calls, so that a bus whose frames come one at a time shares
// messages instead of publishing one per frame. When it goes out is the
// udp kind's policy: at most one message that is not full per coalesce
// on average, with a budget of burstMessages (a generic cell rate
// algorithm): while the budget lasts a message goes at once, so a frame
// on a quiet bus is never delayed; beyond that rate frames wait for the
// next slot, together. A full message goes at once and costs no budget.
// Frames left waiting are reported sent; if their publish fails they are
// counted at the endpoint.

// burstMessages is how many messages that are not full a quiet endpoint
// publishes at once before coalescing starts.
const burstMessages = 4

// pendingMsg describes the binary message in the publisher's buffers
// that is not published yet.
type pendingMsg struct {
	n     int // frames in it; 0: none
	held  int // of them, frames an earlier Send reported as sent
	oneID bool
	subj  *subjectEntry // the subjects of its frames' source and type
	seq   uint64        // sequence number of its first frame
	time  int64         // capture time of its first frame
	// first holds the first frame's source, type and what its subject
	// ID token depends on (busmsg.SameID).
	first frame.Frame
}

// sendBinary publishes frames in binary messages, coalesced (under p.mu).
func (c *conn) sendBinary(ctx context.Context, frames []frame.Frame) (int, error) {
	p := &c.pub
	p.mu.Lock()
	defer p.mu.Unlock()
	limit := p.limit()
	i := 0
	for i < len(frames) {
		if p.pend.n > 0 {
			n := p.extend(frames[i:], limit)
			i += n
			if n > 0 && i == len(frames) && int(p.data[1]) < busmsg.MaxBatch {
				break // it may take more
			}
			// Full, or frames[i] cannot join it: it goes now.
			if err := c.publishPending(ctx); err != nil {
				return i - (p.lastN - p.lastHeld), err
			}
			continue
		}
		n, err := p.begin(frames[i:], limit)
		if err != nil {
			return i, err
		}
		i += n
	}
	if p.pend.n == 0 {
		return len(frames), nil
	}
	if wait := p.policy(); wait > 0 {
		p.pend.held = p.pend.n
		if !p.armed {
			p.armed = true
			p.timer.Reset(wait)
		}
		return len(frames), nil
	}
	p.charge()
	if err := c.publishPending(ctx); err != nil {
		return i - (p.lastN - p.lastHeld), err
	}
	return len(frames), nil
}

// begin starts a message with the first frames of fs and returns how
// many it took; a frame that fits no message is a DropError (One).
func (p *publisher) begin(fs []frame.Frame, limit int) (int, error) {
	f0 := &fs[0]
	if l := busmsg.BinaryHeaderLen + busmsg.RecordLen(f0); l > limit {
		return 0, oversize(l, limit)
	}
	p.pend.subj = p.subject(f0)
	p.data = busmsg.BeginBinary(p.data[:0], p.seq, f0.Time)
	var n int
	p.data, n, p.pend.oneID = busmsg.AppendBinaryBatch(p.data, fs, limit)
	p.pend.n, p.pend.held, p.pend.seq, p.pend.time = n, 0, p.seq, f0.Time
	pf := &p.pend.first
	pf.Source, pf.Type, pf.ID, pf.Len = f0.Source, f0.Type, f0.ID, f0.Len
	pf.Data[12], pf.Data[13] = f0.Data[12], f0.Data[13]
	p.seq += uint64(n)
	return n, nil
}

// extend appends the first frames of fs to the pending message and
// returns how many it took (0: fs[0] cannot join it).
func (p *publisher) extend(fs []frame.Frame, limit int) int {
	f0, pf := &fs[0], &p.pend.first
	if f0.Source != pf.Source || f0.Type != pf.Type || len(p.data)+busmsg.RecordLen(f0) > limit {
		return 0
	}
	var n int
	var oneID bool
	p.data, n, oneID = busmsg.AppendBinaryBatch(p.data, fs, limit)
	if n == 0 {
		return 0
	}
	p.pend.oneID = p.pend.oneID && oneID && busmsg.SameID(pf, f0)
	p.pend.n += n
	p.seq += uint64(n)
	return n
}

// publishPending publishes the pending message. When that fails, the
// frames an earlier Send reported as sent are counted at the endpoint;
// lastN and lastHeld tell the caller how many of its own it held.
func (c *conn) publishPending(ctx context.Context) error {
	p := &c.pub
	p.setSubject(p.pend.subj, &p.pend.first, p.pend.oneID)
	p.setHeadersAt(p.pend.seq, p.pend.time)
	p.lastN, p.lastHeld = p.pend.n, p.pend.held
	p.pend.n, p.pend.held = 0, 0
	err := c.publish(ctx, &p.msg)
	if err != nil && p.lastHeld > 0 {
		c.env.Drop(endpoint.DropReason(err), p.lastHeld)
	}
	return err
}

// policy says when the pending message goes: 0 for now, else how long it
// may wait (under p.mu).
func (p *publisher) policy() time.Duration {
	if p.armed {
		return time.Nanosecond // the timer publishes it
	}
	co := p.c.cfg.Coalesce
	if co <= 0 {
		return 0
	}
	earliest := p.tat.Add(-(burstMessages - 1) * co)
	if wait := time.Until(earliest); wait > 0 {
		return wait
	}
	return 0
}

// charge takes one message off the coalesce budget.
func (p *publisher) charge() {
	co := p.c.cfg.Coalesce
	if co <= 0 {
		return
	}
	if now := time.Now(); p.tat.Before(now) {
		p.tat = now
	}
	p.tat = p.tat.Add(co)
}

// flushTimer is the timer's function: it publishes the pending message,
// whose frames were all reported as sent (a failure is counted at the
// endpoint). It waits for the connection until the endpoint closes.
func (c *conn) flushTimer() {
	p := &c.pub
	p.mu.Lock()
	defer p.mu.Unlock()
	p.armed = false
	if p.pend.n > 0 {
		p.charge()
		c.publishPending(c.ctx)
	}
}

// flushOnClose publishes what waits when the endpoint closes, if the
// client is connected; else those frames count no_peer.
func (c *conn) flushOnClose() {
	p := &c.pub
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.timer != nil {
		p.timer.Stop()
		p.armed = false
	}
	if p.pend.n == 0 {
		return
	}
	if c.nc == nil || !c.nc.IsConnected() {
		c.env.Drop(endpoint.ReasonNoPeer, p.pend.held)
		p.pend.n, p.pend.held = 0, 0
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if c.publishPending(ctx) == nil {
		c.nc.FlushTimeout(time.Second)
	}
}
