package gateway

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

// Finished returns a channel that is closed when the run is finished:
// every source whose settings implement endpoint.EOFEnder with
// EndsRunAtEOF true has ended (io.EOF, or an error such as a corrupt
// record: see FinishError) and every queue is drained, with no send in
// progress. It is never closed for a configuration without such sources.
// The caller stops the gateway with Shutdown.
func (g *Gateway) Finished() <-chan struct{} { return g.finished }

// FinishError returns the errors, other than io.EOF, that run-ending
// sources ended with (nil when all reached their end).
func (g *Gateway) FinishError() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	var errs []error
	for _, e := range g.eps {
		if p := e.recvErr.Load(); endsRun(e) && p != nil && !errors.Is(*p, io.EOF) {
			errs = append(errs, fmt.Errorf("%s: %w", e.name, *p))
		}
	}
	return errors.Join(errs...)
}

// endsRun reports whether e's source ends the run at its end.
func endsRun(e *node) bool {
	en, ok := e.cfg.Settings.(endpoint.EOFEnder)
	return ok && en.EndsRunAtEOF()
}

// sourceEnded is called when a source ended (io.EOF or an error): if it
// ends the run, the gateway waits for the other such sources and the
// queues.
func (g *Gateway) sourceEnded(e *node) {
	if endsRun(e) {
		go g.watchFinished()
	}
}

// watchFinished closes g.finished once every run-ending source has ended
// and every queue is empty. It returns early if one has not ended yet: its
// own end starts another watch.
func (g *Gateway) watchFinished() {
	for {
		g.mu.Lock()
		enders, busy := 0, false
		for _, e := range g.eps {
			if !endsRun(e) {
				continue
			}
			enders++
			if e.recvErr.Load() == nil {
				g.mu.Unlock()
				return
			}
		}
		for _, e := range g.eps {
			if e.q == nil {
				continue
			}
			// inl.mu is held while a batch is sent: taking it waits
			// for a send in progress.
			e.inl.mu.Lock()
			busy = busy || e.q.len() > 0
			e.inl.mu.Unlock()
		}
		g.mu.Unlock()
		if enders == 0 {
			return
		}
		if !busy {
			g.finOnce.Do(func() { close(g.finished) })
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
