package gateway

import (
	"context"
	"sync"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// queue is a bounded ring of preallocated frame slots in front of one
// destination endpoint. Producers copy frames in; the destination's writer
// copies batches out. Nothing is allocated per frame.
type queue struct {
	mu       sync.Mutex
	slots    []frame.Frame
	head, n  int
	policy   string
	closed   bool
	notEmpty chan struct{}
	notFull  chan struct{}
}

func newQueue(q config.Queue) *queue {
	return &queue{
		slots:    make([]frame.Frame, q.Size),
		policy:   q.Overflow,
		notEmpty: make(chan struct{}, 1),
		notFull:  make(chan struct{}, 1),
	}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// push copies f into the queue, tagged with route, and applies xform to the
// copy. It returns the route index of a frame evicted by drop-oldest (evicted
// true), or accepted false if f itself was dropped (full with drop-newest,
// backpressure cancelled by ctx, closed queue, or transform failure with
// bad true).
func (q *queue) push(ctx context.Context, f *frame.Frame, route uint16, xform *transform) (accepted, bad bool, evicted bool, evictedRoute uint16) {
	q.mu.Lock()
	for q.n == len(q.slots) && !q.closed {
		switch q.policy {
		case config.DropNewest:
			q.mu.Unlock()
			return false, false, false, 0
		case config.DropOldest:
			evictedRoute = q.slots[q.head].Route
			evicted = true
			q.head = (q.head + 1) % len(q.slots)
			q.n--
		default: // backpressure
			q.mu.Unlock()
			select {
			case <-q.notFull:
			case <-ctx.Done():
				return false, false, false, 0
			}
			q.mu.Lock()
		}
	}
	if q.closed {
		q.mu.Unlock()
		return false, false, evicted, evictedRoute
	}
	s := &q.slots[(q.head+q.n)%len(q.slots)]
	s.CopyFrom(f)
	s.Route = route
	if xform != nil && !xform.apply(s) {
		q.mu.Unlock()
		return false, true, evicted, evictedRoute
	}
	q.n++
	q.mu.Unlock()
	signal(q.notEmpty)
	return true, false, evicted, evictedRoute
}

// pop waits for frames and copies up to len(dst) of them into dst (at
// least one when len(dst) > 0).
func (q *queue) pop(ctx context.Context, dst []frame.Frame) (int, error) {
	for {
		if k := q.tryPop(dst); k > 0 || len(dst) == 0 {
			return k, nil
		}
		if err := q.wait(ctx); err != nil {
			return 0, err
		}
	}
}

// busy reports whether frames are queued or the queue is closed: the
// inline path must not overtake queued frames or write to a stopped
// endpoint.
func (q *queue) busy() bool {
	q.mu.Lock()
	b := q.n > 0 || q.closed
	q.mu.Unlock()
	return b
}

// wait returns once frames are queued, or an error when the queue is
// closed and empty or ctx is done.
func (q *queue) wait(ctx context.Context) error {
	for {
		q.mu.Lock()
		n, closed := q.n, q.closed
		q.mu.Unlock()
		if n > 0 {
			return nil
		}
		if closed {
			return context.Canceled
		}
		select {
		case <-q.notEmpty:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// tryPop copies up to len(dst) queued frames into dst without waiting.
func (q *queue) tryPop(dst []frame.Frame) int {
	q.mu.Lock()
	k := min(q.n, len(dst))
	for i := range k {
		dst[i].CopyFrom(&q.slots[(q.head+i)%len(q.slots)])
	}
	q.head = (q.head + k) % len(q.slots)
	q.n -= k
	more := q.n > 0
	q.mu.Unlock()
	if k > 0 {
		signal(q.notFull)
	}
	if more {
		signal(q.notEmpty)
	}
	return k
}

// len returns the number of queued frames.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// drain removes every queued frame and calls fn with each frame's route.
func (q *queue) drain(fn func(route uint16)) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.n > 0 {
		fn(q.slots[q.head].Route)
		q.head = (q.head + 1) % len(q.slots)
		q.n--
	}
}

// close wakes waiters; later pushes are refused.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	signal(q.notEmpty)
	signal(q.notFull)
}
