package gateway

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// latencyHist is a lock-free histogram with power-of-two microsecond
// buckets (1 µs … ~16 s), cheap enough to update for every frame. It backs
// the p50/p99 figures of /status; Prometheus gets its own histogram.
type latencyHist struct {
	b [25]atomic.Uint64
}

func (h *latencyHist) observe(d int64) {
	us := uint64(max(d, 0) / 1000)
	i := bits.Len64(us)
	if i >= len(h.b) {
		i = len(h.b) - 1
	}
	h.b[i].Add(1)
}

// quantile returns the upper bound of the bucket holding quantile q.
func (h *latencyHist) quantile(q float64) time.Duration {
	var total uint64
	var c [25]uint64
	for i := range h.b {
		c[i] = h.b[i].Load()
		total += c[i]
	}
	if total == 0 {
		return 0
	}
	want := uint64(q * float64(total))
	var acc uint64
	for i, v := range c {
		acc += v
		if acc > want || acc == total {
			return time.Duration(uint64(1)<<i) * time.Microsecond
		}
	}
	return 0
}
