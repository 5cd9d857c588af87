package nats

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	natsio "github.com/nats-io/nats.go"

	"github.com/fieldgate/fieldgate/gateway/busmsg"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/internal/peerlimit"
)

// receiver decodes received messages into batches for the gateway and
// counts what it refuses: undecodable messages (malformed), messages
// above max_message (oversize), messages the client dropped because the
// gateway did not keep up (queue_overflow, per message), and frames
// missing in a publisher's sequence numbers (seq_gaps).
type receiver struct {
	c *conn
	busmsg.Batch
	// keepTime keeps the frames' capture times (replay); else the
	// gateway stamps them when they arrive.
	keepTime bool
	seqs     map[string]*seqState // by Fieldgate-Session
	dropped  []int                // per subscription, as last counted
	log      *peerlimit.Log
}

type seqState struct{ next uint64 }

// maxSessions bounds the publishers whose sequence numbers are followed.
const maxSessions = 4096

func (r *receiver) init(c *conn) {
	r.c = c
	r.Frames = make([]frame.Frame, endpoint.BatchSize)
	r.seqs = map[string]*seqState{}
	r.log = &peerlimit.Log{Logger: c.env.Log, Suppressed: &c.env.Stats.LogSuppressed}
}

// Receive delivers the frames of the subscribed subjects (or of the
// replayed stream) until ctx ends.
func (c *conn) Receive(ctx context.Context, deliver func([]frame.Frame)) error {
	if c.cfg.Replay != nil {
		return c.replay(ctx, deliver)
	}
	if c.msgs == nil {
		<-ctx.Done()
		return ctx.Err()
	}
	r := &c.rx
	r.Deliver = deliver
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	defer r.log.Flush()
	for {
		select {
		case <-ctx.Done():
			r.countSlow()
			return ctx.Err()
		case <-tick.C:
			r.countSlow()
			continue
		case m := <-c.msgs:
			r.handle(m)
		}
		// Take what else is waiting into the same batches.
	more:
		for range 4 * endpoint.BatchSize {
			select {
			case m := <-c.msgs:
				r.handle(m)
			default:
				break more
			}
		}
		r.Flush()
	}
}

// handle decodes one message into the batch, whole or not at all.
func (r *receiver) handle(m *natsio.Msg) {
	cfg := r.c.cfg
	if len(m.Data) > cfg.MaxMessage {
		r.c.env.Drop(endpoint.ReasonOversize, 1)
		r.log.Log(slog.LevelWarn, "oversize", "message refused: larger than max_message", "subject", m.Subject, "bytes", len(m.Data), "max_message", cfg.MaxMessage)
		return
	}
	if enc := m.Header.Get(busmsg.HeaderEncoding); enc != "" && enc != cfg.Encoding {
		r.malformed(m, fmt.Errorf("message encoded %s, this endpoint reads %s", enc, cfg.Encoding))
		return
	}
	var seq uint64
	var n int
	hasSeq := false
	switch cfg.Encoding {
	case busmsg.EncodingBinary:
		bm, err := busmsg.ParseBinary(m.Data)
		if err != nil {
			r.malformed(m, err)
			return
		}
		seq, n, hasSeq = bm.Seq, bm.N, true
		for {
			f := r.Next()
			if !bm.Next(f) {
				break
			}
			if !r.keepTime {
				f.Time = 0
			}
			r.N++
		}
	default: // json
		f := r.Next()
		info, err := busmsg.ParseJSON(m.Data, f)
		if err != nil {
			r.malformed(m, err)
			return
		}
		if !r.keepTime {
			f.Time = 0
		}
		r.N++
		seq, n, hasSeq = info.Seq, 1, info.HasSeq
		if !hasSeq {
			seq, hasSeq = headerSeq(m)
		}
	}
	if hasSeq {
		r.track(m.Header[busmsg.HeaderSession], seq, n)
	}
}

func headerSeq(m *natsio.Msg) (uint64, bool) {
	v := m.Header.Get(busmsg.HeaderSeq)
	if v == "" {
		return 0, false
	}
	s, err := strconv.ParseUint(v, 10, 64)
	return s, err == nil
}

// track follows a publisher's sequence numbers: frames skipped count as
// gaps; repeated or late ones count nothing.
func (r *receiver) track(session []string, seq uint64, n int) {
	if len(session) == 0 || session[0] == "" {
		return
	}
	st, ok := r.seqs[session[0]]
	if !ok {
		if len(r.seqs) >= maxSessions {
			clear(r.seqs)
		}
		r.seqs[session[0]] = &seqState{next: seq + uint64(n)}
		return
	}
	if seq > st.next {
		r.c.env.Stats.SeqGaps.Add(seq - st.next)
	}
	if end := seq + uint64(n); end > st.next {
		st.next = end
	}
}

func (r *receiver) malformed(m *natsio.Msg, err error) {
	r.c.env.Drop(endpoint.ReasonMalformed, 1)
	r.log.Log(slog.LevelWarn, "malformed", "message refused", "subject", m.Subject, "err", err)
}

// countSlow counts the messages the client dropped because they were
// not taken in time.
func (r *receiver) countSlow() {
	for i, s := range r.c.subs {
		d, err := s.Dropped()
		if err != nil {
			continue
		}
		for len(r.dropped) <= i {
			r.dropped = append(r.dropped, 0)
		}
		if d > r.dropped[i] {
			r.c.env.Drop(endpoint.ReasonQueueOverflow, d-r.dropped[i])
			r.dropped[i] = d
		}
	}
}
