package nats

import (
	"context"
	"fmt"
	"io"
	"time"

	natsio "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fieldgate/fieldgate/gateway/frame"
)

// replay delivers the messages of a stream between the configured bounds
// (an ordered consumer: nothing acknowledged, nothing left behind on the
// server), then returns io.EOF. Without a stop bound it ends at the
// stream's last message when the replay started. With realtime, frames
// are delivered at their original capture times' spacing.
func (c *conn) replay(ctx context.Context, deliver func([]frame.Frame)) error {
	rp := c.cfg.Replay
	if err := c.waitConnected(ctx); err != nil {
		return err
	}
	st, err := c.js.Stream(ctx, rp.Stream)
	if err != nil {
		return fmt.Errorf("replay: stream %s: %w", rp.Stream, err)
	}
	last := st.CachedInfo().State.LastSeq
	occ := jetstream.OrderedConsumerConfig{FilterSubjects: rp.Subjects, DeliverPolicy: jetstream.DeliverAllPolicy}
	switch {
	case rp.StartSeq > 0:
		occ.DeliverPolicy, occ.OptStartSeq = jetstream.DeliverByStartSequencePolicy, rp.StartSeq
	case !rp.StartTime.IsZero():
		t := rp.StartTime
		occ.DeliverPolicy, occ.OptStartTime = jetstream.DeliverByStartTimePolicy, &t
	}
	cons, err := st.OrderedConsumer(ctx, occ)
	if err != nil {
		return fmt.Errorf("replay: consumer on %s: %w", rp.Stream, err)
	}
	pace := &pacer{deliver: deliver, realtime: rp.Realtime}
	r := &c.rx
	r.Deliver, r.keepTime = pace.put, true
	defer r.log.Flush()
	stopSeq := rp.StopSeq
	if stopSeq == 0 && rp.StopTime.IsZero() {
		stopSeq = last
	}
	pace.ctx = ctx
	for done := false; !done; {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		b, err := cons.Fetch(replayFetch, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			c.env.Log.Warn("replay: fetch failed; retrying", "err", err)
			time.Sleep(c.cfg.Reconnect.Min)
			continue
		}
		got := 0
		for jm := range b.Messages() {
			got++
			md, err := jm.Metadata()
			if err != nil {
				continue
			}
			if (stopSeq > 0 && md.Sequence.Stream > stopSeq) || (!rp.StopTime.IsZero() && md.Timestamp.After(rp.StopTime)) {
				done = true
				break
			}
			r.handle(&natsio.Msg{Subject: jm.Subject(), Data: jm.Data(), Header: jm.Headers()})
			if (stopSeq > 0 && md.Sequence.Stream >= stopSeq) || md.NumPending == 0 && rp.StopSeq == 0 && rp.StopTime.IsZero() {
				done = true
				break
			}
		}
		r.Flush()
		if got == 0 && !done {
			// Nothing within the wait: the end when nothing is pending.
			if info, err := cons.Info(ctx); err == nil && info.NumPending == 0 {
				done = true
			}
		}
	}
	return io.EOF
}

// replayFetch is how many messages a replay asks for at a time.
const replayFetch = 256

// pacer delivers replayed frames, at their original spacing when
// realtime, with their times cleared (the gateway stamps them as
// received, so that latency is measured from the replay).
type pacer struct {
	ctx      context.Context
	deliver  func([]frame.Frame)
	realtime bool
	t0       int64     // capture time of the first frame
	start    time.Time // when it was delivered
}

func (p *pacer) put(fs []frame.Frame) {
	from := 0
	for i := range fs {
		f := &fs[i]
		if p.realtime {
			if p.start.IsZero() {
				p.t0, p.start = f.Time, time.Now()
			}
			if wait := time.Until(p.start.Add(time.Duration(f.Time - p.t0))); wait > 500*time.Microsecond {
				if i > from {
					p.deliver(fs[from:i])
					from = i
				}
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-p.ctx.Done():
					t.Stop()
				}
			}
		}
		f.Time = 0
	}
	if from < len(fs) {
		p.deliver(fs[from:])
	}
}
