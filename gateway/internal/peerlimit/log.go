package peerlimit

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of the per-peer log limit.
const (
	// DefaultLogBurst is how many lines one peer may cause per window.
	DefaultLogBurst = 5
	// DefaultLogWindow is the window of the per-peer log limit.
	DefaultLogWindow = time.Minute
	// maxLogPeers bounds the peers tracked at once; further peers share
	// one budget, named otherPeers.
	maxLogPeers = 256
	otherPeers  = "other peers"
)

// Log writes a server's per-connection log lines, at most Burst lines per
// peer key in each Window. The lines held back are counted in Suppressed
// and reported once per peer and window in a summary line, written when
// the window has ended (at the next line of any peer, or at Flush). So a
// peer that opens junk connections as fast as it can causes at most
// Burst+1 lines per window, and a flood from many addresses at most
// (256+1)·(Burst+1).
type Log struct {
	// Logger is where the lines go.
	Logger *slog.Logger
	// Suppressed counts the lines held back (e.g. &Stats.LogSuppressed).
	Suppressed *atomic.Uint64
	// Burst and Window are the limit: 0 means DefaultLogBurst and
	// DefaultLogWindow.
	Burst  int
	Window time.Duration
	// Now returns the time (tests); nil means time.Now.
	Now func() time.Time

	mu        sync.Mutex
	peers     map[string]*logPeer
	lastSweep time.Time
}

type logPeer struct {
	start time.Time
	n     int // lines written in the window
	held  int // lines held back in the window
}

type summary struct {
	key  string
	held int
}

func (l *Log) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *Log) limits() (int, time.Duration) {
	b, w := l.Burst, l.Window
	if b <= 0 {
		b = DefaultLogBurst
	}
	if w <= 0 {
		w = DefaultLogWindow
	}
	return b, w
}

// Log writes msg at level for the peer key, unless the peer's budget of
// the current window is spent; args are slog attributes (name the peer's
// address in them). Lines the logger would not write at level anyway are
// neither written nor counted.
func (l *Log) Log(level slog.Level, key, msg string, args ...any) {
	if !l.Logger.Enabled(context.Background(), level) {
		return
	}
	burst, window := l.limits()
	now := l.now()
	l.mu.Lock()
	sums := l.sweepLocked(now, window)
	if l.peers == nil {
		l.peers = map[string]*logPeer{}
	}
	p := l.peers[key]
	if p == nil {
		if len(l.peers) >= maxLogPeers {
			key = otherPeers
			p = l.peers[key]
		}
		if p == nil {
			p = &logPeer{start: now}
			l.peers[key] = p
		}
	}
	if now.Sub(p.start) >= window {
		if p.held > 0 {
			sums = append(sums, summary{key, p.held})
		}
		*p = logPeer{start: now}
	}
	write := p.n < burst
	if write {
		p.n++
	} else {
		p.held++
	}
	l.mu.Unlock()
	l.report(sums, window)
	if !write {
		if l.Suppressed != nil {
			l.Suppressed.Add(1)
		}
		return
	}
	l.Logger.Log(context.Background(), level, msg, args...)
}

// Flush writes the summary lines of every peer with lines held back and
// forgets every window (at the endpoint's close).
func (l *Log) Flush() {
	_, window := l.limits()
	l.mu.Lock()
	var sums []summary
	for k, p := range l.peers {
		if p.held > 0 {
			sums = append(sums, summary{k, p.held})
		}
		delete(l.peers, k)
	}
	l.mu.Unlock()
	l.report(sums, window)
}

// sweepLocked ends the windows that are over, at most once a second, and
// returns the summaries to write.
func (l *Log) sweepLocked(now time.Time, window time.Duration) []summary {
	if now.Sub(l.lastSweep) < min(time.Second, window) {
		return nil
	}
	l.lastSweep = now
	var sums []summary
	for k, p := range l.peers {
		if now.Sub(p.start) < window {
			continue
		}
		if p.held > 0 {
			sums = append(sums, summary{k, p.held})
		}
		delete(l.peers, k)
	}
	return sums
}

func (l *Log) report(sums []summary, window time.Duration) {
	for _, s := range sums {
		l.Logger.Warn("log lines suppressed for a peer (log rate limit)", "peer", s.key, "suppressed", s.held, "window", window)
	}
}
