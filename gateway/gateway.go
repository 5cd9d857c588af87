package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// Gateway runs the endpoints and routes of one configuration and applies new
// configurations on Reload.
type Gateway struct {
	log     *slog.Logger
	metrics *metrics

	mu      sync.Mutex // serialises Start, Reload, Shutdown
	cfg     *config.Config
	eps     map[string]*node
	nextEP  uint16
	nextRt  uint16
	table   atomic.Pointer[table]
	runCtx  context.Context
	started time.Time
	links   *linkWatch
	tap     atomic.Pointer[tapBox] // SetTap (tap.go); nil without one

	finished chan struct{} // see Finished
	finOnce  sync.Once
}

// node is one running endpoint: its configuration, transceiver, queue
// and counters.
type node struct {
	name  string
	idx   uint16
	cfg   *config.Endpoint
	fp    string
	conn  endpoint.Transceiver
	q     *queue
	stats *endpoint.Stats
	env   *endpoint.Env

	recvCancel context.CancelFunc
	sendCancel context.CancelFunc
	recvDone   chan struct{}
	sendDone   chan struct{}
	recvErr    atomic.Pointer[error]

	inl inlineSend // inline path (inline.go); inl.mu orders all sending

	// scratch holds a frame transformed before its allow check; only the
	// node's receive goroutine (deliver) uses it.
	scratch frame.Frame
}

// table is the routing state readers consult for every batch. It is replaced
// as a whole on reload.
type table struct {
	bySource [][]*route // by source endpoint index
	routes   []*route   // active, in config order
	all      []*route   // by route index, retired ones included
	byEP     []*node
	// offloadSrc marks source endpoints with offloaded routes (bit per index).
	offloadSrc []uint64
}

func setBit(b []uint64, i int) []uint64 {
	for len(b) <= i/64 {
		b = append(b, 0)
	}
	b[i/64] |= 1 << (i % 64)
	return b
}

func hasBit(b []uint64, i int) bool { return i/64 < len(b) && b[i/64]&(1<<(i%64)) != 0 }

// sourcesRestarted reports whether any source of rc was (re)started in this
// apply: kernel rules name interfaces, so they are rebuilt then.
func sourcesRestarted(rc *config.Route, started []*node) bool {
	for _, s := range started {
		for _, n := range rc.From {
			if s.name == n {
				return true
			}
		}
	}
	return false
}

// New returns a gateway that logs to log. Call Start to run a configuration.
func New(log *slog.Logger) *Gateway {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	g := &Gateway{log: log, eps: map[string]*node{}, finished: make(chan struct{})}
	g.metrics = newMetrics(g)
	g.table.Store(&table{})
	return g
}

// Start opens every endpoint of cfg and starts forwarding. ctx bounds the
// gateway's lifetime; cancel it only after Shutdown.
func (g *Gateway) Start(ctx context.Context, cfg *config.Config) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.runCtx = ctx
	g.started = time.Now()
	if err := g.apply(cfg); err != nil {
		return err
	}
	g.watchLinks(ctx)
	return nil
}

// Reload applies cfg: endpoints and routes whose settings did not change keep
// running with their queues and counters, so no frame on an unchanged route
// is lost; removed or changed ones are stopped (their queued frames are
// counted as dropped, reason shutdown) and new ones started.
func (g *Gateway) Reload(cfg *config.Config) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.apply(cfg)
}

// Config returns the configuration in effect.
func (g *Gateway) Config() *config.Config {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cfg
}

func (g *Gateway) apply(cfg *config.Config) error {
	old := g.table.Load()
	keep := map[string]*node{}
	var started []*node
	fail := func(err error) error {
		for _, e := range started {
			e.conn.Close()
		}
		return err
	}
	for _, ec := range cfg.Endpoints {
		fp := ec.Fingerprint()
		if e, ok := g.eps[ec.Name]; ok && e.fp == fp {
			// Unchanged: e keeps its config (same fingerprint), which
			// running goroutines read without locks.
			keep[ec.Name] = e
			continue
		}
		e := &node{name: ec.Name, cfg: ec, fp: fp, stats: &endpoint.Stats{}}
		if prev, ok := g.eps[ec.Name]; ok {
			// A changed endpoint keeps its counters: they are cumulative.
			e.stats = prev.stats
		}
		name := ec.Name
		e.env = &endpoint.Env{Name: name, Stats: e.stats, Log: g.log.With("endpoint", name), SourceName: g.endpointName,
			BusAccess: func(iface string, id uint32, write bool) bool { return g.busAccess(name, iface, id, write) }}
		// Changed endpoints get a new index so that frames still queued
		// for the old one are not confused with the new one.
		e.idx = g.nextEP
		g.nextEP++
		if ec.CanWrite() {
			e.q = newQueue(ec.Queue)
		}
		c, err := endpoint.Open(g.runCtx, ec, e.env)
		if err != nil {
			if prev, ok := g.eps[ec.Name]; ok {
				// The old endpoint may hold the resource; retry after
				// stopping it only if this is a reload of the same name.
				g.stopEndpoint(prev, 0)
				delete(g.eps, ec.Name)
				c, err = endpoint.Open(g.runCtx, ec, e.env)
			}
			if err != nil {
				return fail(err)
			}
		}
		e.conn = c
		if ts, ok := c.(endpoint.TrySender); ok && e.q != nil {
			e.inl.ts = ts
			e.inl.buf = make([]frame.Frame, 2*endpoint.BatchSize)
		}
		started = append(started, e)
		keep[ec.Name] = e
	}
	// Build the new table.
	t := &table{all: append([]*route(nil), old.all...)}
	t.byEP = make([]*node, g.nextEP)
	for _, e := range keep {
		t.byEP[e.idx] = e
	}
	t.bySource = make([][]*route, g.nextEP)
	oldByName := map[string]*route{}
	for _, r := range old.routes {
		oldByName[r.name] = r
	}
	for _, rc := range cfg.Routes {
		r := &route{name: rc.Name, cfg: rc, filters: compileFilters(rc.Filters), frameType: rc.FrameType,
			allow: &rc.Allow, limiter: newLimiter(rc.Rate), xform: compileTransform(&rc.Transform)}
		if prev, ok := oldByName[rc.Name]; ok && prev.cfg.Fingerprint() == rc.Fingerprint() && sameEndpoints(prev, keep) && !(prev.offloaded && sourcesRestarted(rc, started)) {
			// Unchanged: same index, counters, limiter, kernel rules. Its
			// cfg stays the previous (equal but for file positions) one:
			// Status and busAccess read it without locks.
			r = prev
		} else {
			r.idx = g.nextRt
			g.nextRt++
			r.stats = &routeStats{}
			if prev, ok := oldByName[rc.Name]; ok {
				r.stats = prev.stats
			}
			r.latency = g.metrics.latency(rc.Name)
			r.dests = nil
			for _, n := range rc.To {
				r.dests = append(r.dests, keep[n])
			}
			r.guard = make([]bool, len(r.dests))
			r.ether = make([]bool, len(r.dests))
			for i, d := range r.dests {
				r.ether[i] = d.cfg.Traits().Carries == config.CarriesEthernet
				for _, s := range rc.From {
					if guarded(keep[s].cfg, d.cfg) {
						r.guard[i] = true
					}
				}
			}
			if err := g.offload(r, keep); err != nil {
				for _, rr := range t.routes {
					if _, was := oldByName[rr.name]; !was {
						g.unoffload(rr)
					}
				}
				return fail(err)
			}
			for int(r.idx) >= len(t.all) {
				t.all = append(t.all, nil)
			}
			t.all[r.idx] = r
		}
		t.routes = append(t.routes, r)
		for _, n := range rc.From {
			s := keep[n]
			if r.offloaded {
				// The kernel forwards these frames; the source's
				// other frames are not "unrouted" because of it.
				t.offloadSrc = setBit(t.offloadSrc, int(s.idx))
				continue
			}
			t.bySource[s.idx] = append(t.bySource[s.idx], r)
		}
	}
	g.table.Store(t)
	// Endpoints no user-space route reads stop receiving data frames.
	for _, e := range keep {
		if rg, ok := e.conn.(endpoint.ReceiveGate); ok {
			idle := len(t.bySource[e.idx]) == 0
			if err := rg.SetIdle(idle); err != nil {
				e.env.Log.Warn("cannot change receive filters", "idle", idle, "err", err)
			}
		}
	}
	// Retire kernel rules of routes that are gone or replaced.
	for _, r := range old.routes {
		still := false
		for _, nr := range t.routes {
			still = still || nr == r
		}
		if !still {
			g.unoffload(r)
		}
	}
	// Stop endpoints that are gone or replaced.
	for name, e := range g.eps {
		if k, ok := keep[name]; !ok || k != e {
			g.stopEndpoint(e, 0)
		}
	}
	g.eps = keep
	for _, e := range started {
		g.startEndpoint(e)
	}
	g.cfg = cfg
	g.log.Info("configuration applied", "file", cfg.File, "endpoints", len(keep), "routes", len(t.routes), "started", len(started))
	return nil
}

// guarded reports whether frames from src to dst must pass a route's allow
// list: src is not trusted (reachable from elsewhere, or its kind declared
// nothing) and dst is a bus or interface (or its kind declared nothing).
func guarded(src, dst *config.Endpoint) bool {
	return src.Traits().Trust.Untrusted() && dst.Traits().Trust.Guarded()
}

func sameEndpoints(r *route, keep map[string]*node) bool {
	for i, n := range r.cfg.To {
		if keep[n] != r.dests[i] {
			return false
		}
	}
	for _, n := range r.cfg.From {
		if _, ok := keep[n]; !ok {
			return false
		}
		found := false
		for _, d := range keep {
			if d.name == n {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	// Sources may have been replaced; that is fine, the new table maps the
	// new source index to this route.
	return true
}

func (g *Gateway) startEndpoint(e *node) {
	rctx, rcancel := context.WithCancel(g.runCtx)
	sctx, scancel := context.WithCancel(g.runCtx)
	e.recvCancel, e.sendCancel = rcancel, scancel
	e.recvDone, e.sendDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(e.recvDone)
		if !e.cfg.CanRead() {
			<-rctx.Done()
			return
		}
		err := e.conn.Receive(rctx, func(fs []frame.Frame) { g.deliver(e, fs) })
		if err != nil && !errors.Is(err, context.Canceled) {
			e.recvErr.Store(&err)
			if errors.Is(err, io.EOF) {
				e.env.Log.Info("source finished")
				g.sourceEnded(e)
			} else {
				e.env.Log.Error("receive stopped", "err", err)
				g.sourceEnded(e)
			}
		}
	}()
	go func() {
		defer close(e.sendDone)
		if e.q == nil {
			<-sctx.Done()
			return
		}
		buf := make([]frame.Frame, endpoint.BatchSize)
		for {
			if err := e.q.wait(sctx); err != nil {
				return
			}
			e.inl.mu.Lock()
			if n := e.q.tryPop(buf); n > 0 {
				g.send(sctx, e, buf[:n])
			}
			e.inl.mu.Unlock()
		}
	}()
}

// stopEndpoint stops e: receiving at once, sending after its queue drained or
// the deadline passed. Frames left in the queue are counted as dropped.
func (g *Gateway) stopEndpoint(e *node, deadline time.Duration) {
	if e.recvCancel != nil {
		e.recvCancel()
		<-e.recvDone
	}
	if e.q != nil && deadline > 0 {
		end := time.Now().Add(deadline)
		for e.q.len() > 0 && time.Now().Before(end) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	if e.sendCancel != nil {
		e.sendCancel()
		<-e.sendDone
	}
	if e.q != nil {
		// Under inl.mu: no inline send is running or starts after this.
		e.inl.mu.Lock()
		e.q.close()
		e.inl.mu.Unlock()
		t := g.table.Load()
		e.q.drain(func(ri uint16) {
			g.countDrop(t, e, ri, endpoint.ReasonShutdown, 1)
		})
	}
	e.conn.Close()
}

// Shutdown stops every receiver, waits up to the configured drain timeout for
// queues to empty, then closes everything. Frames still queued are counted
// as dropped (reason shutdown).
func (g *Gateway) Shutdown() {
	g.mu.Lock()
	defer g.mu.Unlock()
	deadline := config.DefaultDrainTimeout
	if g.cfg != nil {
		deadline = g.cfg.DrainTimeout
	}
	for _, e := range g.eps {
		if e.recvCancel != nil {
			e.recvCancel()
			<-e.recvDone
		}
	}
	end := time.Now().Add(deadline)
	for time.Now().Before(end) {
		busy := false
		for _, e := range g.eps {
			if e.q != nil && e.q.len() > 0 {
				busy = true
			}
		}
		if !busy {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, e := range g.eps {
		g.stopEndpoint(e, 0)
	}
	g.eps = map[string]*node{}
	for _, r := range g.table.Load().routes {
		g.unoffload(r)
	}
}

// deliver routes a batch received by src. Counters are added once per
// batch (per route, per reason), not once per frame.
func (g *Gateway) deliver(src *node, frames []frame.Frame) {
	t := g.table.Load()
	var routes []*route
	if int(src.idx) < len(t.bySource) {
		routes = t.bySource[src.idx]
	}
	now := time.Now().UnixNano()
	ctx := g.runCtx
	var bytes, noRoute uint64
	// in[i] counts the frame copies that entered routes[i] in this batch
	// (routes past the eighth count per frame).
	var in [8]uint64
	var inl inlineSet
	for i := range frames {
		f := &frames[i]
		f.Source = src.idx
		if f.Time == 0 {
			f.Time = now
		}
		bytes += uint64(f.Len)
		matched := false
		for ri, r := range routes {
			if !r.accepts(f) {
				continue
			}
			matched = true
			if ri < len(in) {
				in[ri] += uint64(len(r.dests))
			} else {
				r.stats.in.Add(uint64(len(r.dests)))
			}
			if r.limiter != nil && !r.limiter.allow(now) {
				for _, d := range r.dests {
					g.countDrop(t, d, r.idx, endpoint.ReasonRateLimit, 1)
				}
				continue
			}
			for di, d := range r.dests {
				// The frame to write and the transform still to apply.
				// Onto a guarded destination the allow list judges the
				// frame as it will be written: transformed first (a
				// transform may change the ID and its flag bits).
				wf, xf := f, r.xform
				if r.guard[di] {
					if xf != nil {
						wf, xf = &src.scratch, nil
						wf.CopyFrom(f)
						if !r.xform.apply(wf) {
							g.countDrop(t, d, r.idx, endpoint.ReasonMalformed, 1)
							continue
						}
					}
					if !r.allowed(wf, di) {
						g.countDrop(t, d, r.idx, endpoint.ReasonNotAllowed, 1)
						continue
					}
				}
				slot := inl.take(d)
				if slot == nil && inl.holds(d) {
					// d's inline buffer is full: write it out first.
					if g.flushInline(t, d) {
						slot = inl.take(d)
					} else {
						inl.drop(d)
					}
				}
				if slot != nil {
					slot.CopyFrom(wf)
					slot.Route = r.idx
					if xf != nil && !xf.apply(slot) {
						inl.give(d)
						g.countDrop(t, d, r.idx, endpoint.ReasonMalformed, 1)
					}
					continue
				}
				ok, bad, evicted, er := d.q.push(ctx, wf, r.idx, xf)
				if evicted {
					g.countDrop(t, d, er, endpoint.ReasonQueueOverflow, 1)
				}
				switch {
				case bad:
					g.countDrop(t, d, r.idx, endpoint.ReasonMalformed, 1)
				case !ok:
					g.countDrop(t, d, r.idx, endpoint.ReasonQueueOverflow, 1)
				}
			}
		}
		if !matched {
			noRoute++
		}
	}
	for _, d := range inl.held[:inl.nheld] {
		if g.flushInline(t, d) {
			d.inl.mu.Unlock()
		}
	}
	for ri, r := range routes[:min(len(routes), len(in))] {
		if in[ri] > 0 {
			r.stats.in.Add(in[ri])
		}
	}
	if noRoute > 0 && !hasBit(t.offloadSrc, int(src.idx)) {
		src.stats.Drops.Add(endpoint.ReasonNoRoute, noRoute)
	}
	src.stats.FramesIn.Add(uint64(len(frames)))
	src.stats.BytesIn.Add(bytes)
	if tb := g.tap.Load(); tb != nil {
		tb.t.Observe(frames)
	}
}

// countDrop counts one or more dropped frame copies of route ri at endpoint e.
func (g *Gateway) countDrop(t *table, e *node, ri uint16, r endpoint.Reason, n uint64) {
	e.stats.Drops.Add(r, n)
	if int(ri) < len(t.all) && t.all[ri] != nil {
		t.all[ri].stats.drops.Add(r, n)
	}
}

// send writes a batch popped from e's queue and accounts for every frame.
func (g *Gateway) send(ctx context.Context, e *node, batch []frame.Frame) {
	for len(batch) > 0 {
		n, err := e.conn.Send(ctx, batch)
		t := g.table.Load()
		g.account(t, e, batch[:n])
		if n >= len(batch) {
			return
		}
		reason := endpoint.DropReason(err)
		var de *endpoint.DropError
		if errors.As(err, &de) && de.One {
			g.countDrop(t, e, batch[n].Route, reason, 1)
			batch = batch[n+1:]
			continue
		}
		for i := range batch[n:] {
			g.countDrop(t, e, batch[n+i].Route, reason, 1)
		}
		if reason == endpoint.ReasonWriteError {
			e.env.Log.Warn("write failed", "frames", len(batch)-n, "err", err)
		}
		return
	}
}

// account counts frames written to e: per route (runs of one route share
// an addition), latency, and the endpoint's totals.
func (g *Gateway) account(t *table, e *node, sent []frame.Frame) {
	if len(sent) == 0 {
		return
	}
	now := time.Now().UnixNano()
	var bytes, out uint64
	var cur *route // frames of one batch mostly share a route: count runs
	for i := range sent {
		f := &sent[i]
		bytes += uint64(f.Len)
		var r *route
		if int(f.Route) < len(t.all) {
			r = t.all[f.Route]
		}
		if r != cur {
			if cur != nil {
				cur.stats.out.Add(out)
			}
			cur, out = r, 0
		}
		if r != nil {
			out++
			r.stats.lat.observe(now - f.Time)
			if r.latency != nil {
				r.latency.Observe(float64(now-f.Time) / 1e9)
			}
		}
	}
	if cur != nil {
		cur.stats.out.Add(out)
	}
	e.stats.FramesOut.Add(uint64(len(sent)))
	e.stats.BytesOut.Add(bytes)
}

// endpointName returns the name of the endpoint with index idx.
func (g *Gateway) endpointName(idx uint16) string {
	t := g.table.Load()
	if int(idx) < len(t.byEP) && t.byEP[idx] != nil {
		return t.byEP[idx].name
	}
	return fmt.Sprintf("endpoint%d", idx)
}

func (g *Gateway) linksWatch() *linkWatch {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.links
}

// Healthy reports whether every endpoint is running; it returns the problems.
func (g *Gateway) Healthy() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for _, e := range g.eps {
		if p := e.recvErr.Load(); p != nil && !errors.Is(*p, io.EOF) {
			out = append(out, fmt.Sprintf("endpoint %s: %v", e.name, *p))
		}
	}
	return out
}
