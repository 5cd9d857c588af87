package console

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/fieldgate/fieldgate/gateway"
)

// historyLen is how many one-second samples the console keeps: the rate
// and bus load plots span the last ten minutes.
const historyLen = 600

// sample is one second of the gateway's counters, as the plots need them.
type sample struct {
	T      int64               `json:"t"` // Unix milliseconds
	EPs    map[string]epSample `json:"ep"`
	Routes map[string]rtSample `json:"rt"`
}

// epSample is one endpoint's rates over the second before T.
type epSample struct {
	In      float64  `json:"in"`  // frames/s received
	Out     float64  `json:"out"` // frames/s sent
	Drops   float64  `json:"drops"`
	Queue   int      `json:"queue"`
	BusLoad *float64 `json:"bus_load,omitempty"` // ratio, -1 without a bit rate
	BusBPS  float64  `json:"bus_bps,omitempty"`
	State   string   `json:"can_state,omitempty"`
}

// rtSample is one route's rates over the second before T.
type rtSample struct {
	In    float64 `json:"in"`
	Out   float64 `json:"out"`
	Drops float64 `json:"drops"`
}

// Drop is one drop counter of the Drops view: where, why, how many, since
// when (the first time the console saw it count) and the last time it
// counted.
type Drop struct {
	Where  string `json:"where"` // "endpoint" or "route"
	Name   string `json:"name"`
	Reason string `json:"reason"`
	Count  uint64 `json:"count"`
	// Since is when the counter first counted, in Unix milliseconds; when
	// it had counted before the console started sampling, the gateway's
	// start (Before is then set).
	Since  int64 `json:"since"`
	Before bool  `json:"before,omitempty"`
	Last   int64 `json:"last"` // when it last grew, Unix milliseconds
}

// history samples the gateway's status once a second.
type history struct {
	g *gateway.Gateway

	mu      sync.Mutex
	samples []sample // ring of the last historyLen samples, oldest first after ordered()
	next    int
	full    bool
	status  gateway.Status
	seq     uint64 // number of samples taken
	drops   map[string]*Drop
	prevAt  time.Time
	prevEP  map[string]gateway.EndpointStatus
	prevRt  map[string]gateway.RouteStatus
}

func newHistory(g *gateway.Gateway) *history {
	return &history{g: g, samples: make([]sample, historyLen), drops: map[string]*Drop{}}
}

// run samples once a second until ctx is done.
func (h *history) run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		h.take(time.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// take adds a sample of the gateway's status at now.
func (h *history) take(now time.Time) {
	st := h.g.Status()
	h.mu.Lock()
	defer h.mu.Unlock()
	dt := now.Sub(h.prevAt).Seconds()
	first := h.prevAt.IsZero()
	s := sample{T: now.UnixMilli(), EPs: map[string]epSample{}, Routes: map[string]rtSample{}}
	epNow := map[string]gateway.EndpointStatus{}
	rtNow := map[string]gateway.RouteStatus{}
	started := now.Add(-time.Duration(st.Uptime * float64(time.Second))).UnixMilli()
	for _, e := range st.Endpoints {
		epNow[e.Name] = e
		es := epSample{Queue: e.Queue, BusLoad: e.BusLoad, BusBPS: e.BusBPS, State: e.CANState}
		if p, ok := h.prevEP[e.Name]; ok && dt > 0 {
			es.In = rate(e.FramesIn, p.FramesIn, dt)
			es.Out = rate(e.FramesOut, p.FramesOut, dt)
			es.Drops = rate(gateway.DroppedTotal(e.Dropped), gateway.DroppedTotal(p.Dropped), dt)
		}
		s.EPs[e.Name] = es
		h.noteDrops("endpoint", e.Name, e.Dropped, first, started, s.T)
	}
	for _, r := range st.Routes {
		rtNow[r.Name] = r
		rs := rtSample{}
		if p, ok := h.prevRt[r.Name]; ok && dt > 0 {
			rs.In = rate(r.In, p.In, dt)
			rs.Out = rate(r.Out, p.Out, dt)
			rs.Drops = rate(gateway.DroppedTotal(r.Dropped), gateway.DroppedTotal(p.Dropped), dt)
		}
		s.Routes[r.Name] = rs
		h.noteDrops("route", r.Name, r.Dropped, first, started, s.T)
	}
	h.prevAt, h.prevEP, h.prevRt = now, epNow, rtNow
	h.status = st
	h.samples[h.next] = s
	h.next = (h.next + 1) % historyLen
	h.full = h.full || h.next == 0
	h.seq++
}

// rate is the per-second rate of a counter that went from prev to cur; a
// counter that went back (a restarted endpoint or route) starts again.
func rate(cur, prev uint64, dt float64) float64 {
	if cur < prev {
		return float64(cur) / dt
	}
	return float64(cur-prev) / dt
}

// noteDrops folds one endpoint's or route's drop counters into h.drops.
func (h *history) noteDrops(where, name string, m map[string]uint64, first bool, started, now int64) {
	for reason, n := range m {
		if n == 0 {
			continue
		}
		k := where + "\x00" + name + "\x00" + reason
		d, ok := h.drops[k]
		switch {
		case !ok && first:
			d = &Drop{Where: where, Name: name, Reason: reason, Since: started, Before: true, Last: now}
		case !ok:
			d = &Drop{Where: where, Name: name, Reason: reason, Since: now, Last: now}
		case n < d.Count: // counter started again
			d.Since, d.Before, d.Last = now, false, now
		case n > d.Count:
			d.Last = now
		}
		d.Count = n
		h.drops[k] = d
	}
}

// snapshot returns the samples oldest first, the latest status, the drops
// and the sample count.
func (h *history) snapshot() ([]sample, gateway.Status, []Drop, uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []sample
	if h.full {
		out = append(out, h.samples[h.next:]...)
	}
	out = append(out, h.samples[:h.next]...)
	return out, h.status, h.dropList(), h.seq
}

// seqNow returns the number of samples taken.
func (h *history) seqNow() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seq
}

// latest returns the last sample, the status it came from and the drops.
func (h *history) latest() (sample, gateway.Status, []Drop, uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	i := (h.next + historyLen - 1) % historyLen
	return h.samples[i], h.status, h.dropList(), h.seq
}

func (h *history) dropList() []Drop {
	out := make([]Drop, 0, len(h.drops))
	for _, d := range h.drops {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Last != out[j].Last {
			return out[i].Last > out[j].Last
		}
		if out[i].Where != out[j].Where {
			return out[i].Where < out[j].Where
		}
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}
