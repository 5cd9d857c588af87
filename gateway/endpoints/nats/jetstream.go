package nats

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	natsio "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// jsPublisher is the state of acknowledged publishing: the stream is
// created (or updated) before the first publish, then every message of a
// batch is published asynchronously with a Nats-Msg-Id
// (<session>-<sequence number>) and the batch is done when the stream
// acknowledged each one. A message not acknowledged in ack_timeout, or
// refused while the cluster fails over, is published again with the same
// ID once connected, so the stream stores it once.
//
// Stats.PendingAcks and Stats.Republished count what it waits for and
// what it published again.
type jsPublisher struct {
	ready   bool
	pending []jsMsg
	stats   *endpoint.Stats
}

type jsMsg struct {
	m     *natsio.Msg
	n     int // frames
	fut   jetstream.PubAckFuture
	acked bool
}

// streamConfig is the stream a jetstream endpoint creates.
func (c *conn) streamConfig() jetstream.StreamConfig {
	j := c.cfg.JetStream
	base := c.cfg.Gateway + ".>"
	if c.cfg.Prefix != "" {
		base = c.cfg.Prefix + "." + base
	}
	return jetstream.StreamConfig{Name: j.Stream, Subjects: []string{base}, Replicas: j.Replicas,
		MaxAge: j.MaxAge, MaxBytes: orUnlimited(j.MaxBytes), Duplicates: j.Duplicates, Storage: jetstream.FileStorage}
}

func orUnlimited(n int64) int64 {
	if n == 0 {
		return -1
	}
	return n
}

// ensureStream creates or updates the stream (create: true) or checks
// that it exists, retrying until ctx ends.
func (c *conn) ensureStream(ctx context.Context) error {
	for {
		if err := c.waitConnected(ctx); err != nil {
			return err
		}
		actx, cancel := context.WithTimeout(ctx, c.cfg.JetStream.AckTimeout+5*time.Second)
		var err error
		if c.cfg.JetStream.Create {
			_, err = c.js.CreateOrUpdateStream(actx, c.streamConfig())
		} else {
			_, err = c.js.Stream(actx, c.cfg.JetStream.Stream)
		}
		cancel()
		if err == nil {
			return nil
		}
		if errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return fmt.Errorf("stream %s: %w", c.cfg.JetStream.Stream, err)
		}
		c.env.Log.Warn("stream not ready; retrying", "stream", c.cfg.JetStream.Stream, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(c.cfg.Reconnect.Min):
		}
	}
}

// sendJetStream publishes frames with acknowledgements; it returns when
// the stream acknowledged every message, or when ctx ends (the frames of
// messages not acknowledged by then are counted no_peer).
func (c *conn) sendJetStream(ctx context.Context, frames []frame.Frame) (int, error) {
	j := &c.jsp
	j.stats = c.env.Stats
	if !j.ready {
		if err := c.ensureStream(ctx); err != nil {
			return 0, &endpoint.DropError{Reason: endpoint.ReasonNoPeer, Err: err}
		}
		j.ready = true
	}
	p := &c.pub
	j.pending = j.pending[:0]
	var buildErr error
	off := 0
	limit := p.limit()
	for off < len(frames) {
		n, err := p.build(frames[off:], limit)
		if err != nil {
			buildErr = err
			break
		}
		p.setHeaders(&frames[off])
		j.pending = append(j.pending, jsMsg{m: copyMsg(&p.msg), n: n})
		p.seq += uint64(n)
		off += n
	}
	if len(j.pending) == 0 {
		return 0, buildErr
	}
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if err := c.waitConnected(ctx); err != nil {
				return j.acked(), &endpoint.DropError{Reason: endpoint.ReasonNoPeer, Err: fmt.Errorf("not acknowledged: %w", err)}
			}
		}
		for i := range j.pending {
			pm := &j.pending[i]
			if pm.acked {
				continue
			}
			if attempt > 0 {
				j.stats.Republished.Add(1)
			}
			pm.fut, _ = c.js.PublishMsgAsync(pm.m) // nil on a failed publish: sent again below
			if pm.fut != nil {
				j.stats.PendingAcks.Add(1)
			}
		}
		if j.wait(ctx) {
			return off, buildErr
		}
		if ctx.Err() != nil {
			return j.acked(), &endpoint.DropError{Reason: endpoint.ReasonNoPeer, Err: fmt.Errorf("not acknowledged: %w", ctx.Err())}
		}
	}
}

// wait collects the acknowledgements of the messages published; it
// reports whether every message is acknowledged.
func (j *jsPublisher) wait(ctx context.Context) bool {
	all := true
	for i := range j.pending {
		pm := &j.pending[i]
		if pm.acked {
			continue
		}
		if pm.fut == nil {
			all = false
			continue
		}
		select {
		case <-pm.fut.Ok():
			pm.acked = true
		case <-pm.fut.Err(): // timeout, no responders: published again
			all = false
		case <-ctx.Done():
			all = false
		}
		j.stats.PendingAcks.Add(-1)
		pm.fut = nil
	}
	return all
}

// acked returns the frames of the leading acknowledged messages.
func (j *jsPublisher) acked() int {
	n := 0
	for _, pm := range j.pending {
		if !pm.acked {
			break
		}
		n += pm.n
	}
	return n
}

// copyMsg returns a message of its own with m's subject, data and headers
// (a JetStream publish keeps its message until acknowledged).
func copyMsg(m *natsio.Msg) *natsio.Msg {
	h := make(natsio.Header, len(m.Header))
	for k, v := range m.Header {
		h[k] = []string{strings.Clone(v[0])}
	}
	return &natsio.Msg{Subject: strings.Clone(m.Subject), Data: bytes.Clone(m.Data), Header: h}
}
