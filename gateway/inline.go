package gateway

import (
	"errors"
	"sync"

	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// Inline send. A destination whose queue is empty and whose writer is idle
// gets the frames of a received batch written by the receiving goroutine
// itself, with one non-blocking batch write, instead of through its queue
// and writer goroutine. That saves a goroutine hand-off, a queue copy and a
// wake-up per batch, which on a one-CPU machine is a large part of a
// forwarded frame's cost and of its latency. Whatever the socket does not
// take at once (it would block) goes into the queue as before, so nothing
// is waited for on the receive path and the overflow policy still applies.
//
// Order is kept per source: only the holder of the destination's sendMu
// sends, the writer goroutine pops and sends under it too, and the receive
// path sends inline only when the queue holds nothing, so no frame of the
// same source can still be waiting in the queue or in a writer's batch.

// inlineSend is the per-endpoint state of the inline path. buf is used only
// by the holder of mu.
type inlineSend struct {
	mu  sync.Mutex         // held by whoever takes frames from the queue or sends
	ts  endpoint.TrySender // nil: the endpoint has no inline path
	buf []frame.Frame
	n   int
}

// maxInline is how many destinations one delivered batch sends inline to;
// frames for further destinations are queued.
const maxInline = 4

// inlineSet is the destinations a deliver call holds for inline sending,
// and those it tried and must queue to for the rest of the batch.
type inlineSet struct {
	held    [maxInline]*node
	nheld   int
	refused [maxInline]*node
	nref    int
}

// take returns d's inline buffer slot for one more frame, or nil if the
// frame must be queued. It locks d for the rest of the batch on first use.
func (s *inlineSet) take(d *node) *frame.Frame {
	for i := range s.nheld {
		if s.held[i] == d {
			if d.inl.n == len(d.inl.buf) {
				return nil
			}
			d.inl.n++
			return &d.inl.buf[d.inl.n-1]
		}
	}
	for i := range s.nref {
		if s.refused[i] == d {
			return nil
		}
	}
	if d.inl.ts == nil {
		return nil
	}
	if s.nheld == maxInline || !d.inl.mu.TryLock() {
		s.refuse(d)
		return nil
	}
	if d.q.busy() {
		d.inl.mu.Unlock()
		s.refuse(d)
		return nil
	}
	s.held[s.nheld] = d
	s.nheld++
	d.inl.n = 1
	return &d.inl.buf[0]
}

// give returns the last slot take handed out (the frame was not kept).
func (s *inlineSet) give(d *node) { d.inl.n-- }

// refuse makes the rest of the batch queue to d. If the set is full, d
// stays unknown and take asks again (and queues) next time.
func (s *inlineSet) refuse(d *node) {
	if s.nref < maxInline {
		s.refused[s.nref] = d
		s.nref++
	}
}

// holds reports whether the set holds d for inline sending.
func (s *inlineSet) holds(d *node) bool {
	for i := range s.nheld {
		if s.held[i] == d {
			return true
		}
	}
	return false
}

// drop forgets d (its lock was released) and queues the rest of the batch
// to it.
func (s *inlineSet) drop(d *node) {
	for i := range s.nheld {
		if s.held[i] == d {
			s.nheld--
			s.held[i] = s.held[s.nheld]
			s.held[s.nheld] = nil
			break
		}
	}
	s.refuse(d)
}

// flushInline writes d's inline buffer without waiting and accounts for
// every frame as send does. It reports true if every frame was written or
// counted as dropped; d is then still locked and its buffer empty. If the
// socket had no room, the frames it did not take go into d's queue for the
// writer goroutine, d's lock is released, and flushInline reports false.
func (g *Gateway) flushInline(t *table, d *node) bool {
	batch := d.inl.buf[:d.inl.n]
	d.inl.n = 0
	for len(batch) > 0 {
		n, err := d.inl.ts.TrySend(batch)
		g.account(t, d, batch[:n])
		batch = batch[n:]
		if len(batch) == 0 {
			return true
		}
		if err == nil || endpoint.WouldBlock(err) {
			break
		}
		reason := endpoint.DropReason(err)
		var de *endpoint.DropError
		if errors.As(err, &de) && de.One {
			g.countDrop(t, d, batch[0].Route, reason, 1)
			batch = batch[1:]
			continue
		}
		for i := range batch {
			g.countDrop(t, d, batch[i].Route, reason, 1)
		}
		if reason == endpoint.ReasonWriteError {
			d.env.Log.Warn("write failed", "frames", len(batch), "err", err)
		}
		return true
	}
	d.inl.mu.Unlock()
	for i := range batch {
		f := &batch[i]
		ok, _, evicted, er := d.q.push(g.runCtx, f, f.Route, nil)
		if evicted {
			g.countDrop(t, d, er, endpoint.ReasonQueueOverflow, 1)
		}
		if !ok {
			g.countDrop(t, d, f.Route, endpoint.ReasonQueueOverflow, 1)
		}
	}
	return false
}
