package mqtt

import (
	"context"
	"log/slog"
	"strings"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/fieldgate/fieldgate/gateway/busmsg"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/internal/peerlimit"
)

// handle is the client's message handler: it hands the message to
// Receive without waiting (the client's router must not block); a
// message that finds the queue full is counted queue_overflow.
func (c *conn) handle(_ paho.Client, m paho.Message) {
	select {
	case c.msgs <- m:
	default:
		c.env.Drop(endpoint.ReasonQueueOverflow, 1)
	}
}

// receiver decodes received messages into batches for the gateway and
// counts what it refuses: undecodable messages (malformed), messages
// above max_message (oversize), and frames missing in a publisher's
// sequence numbers (seq_gaps).
type receiver struct {
	c *conn
	busmsg.Batch
	seqs map[string]*seqState // by publisher: the topic up to <gateway>
	now  time.Time            // when the messages being handled arrived (about)
	log  *peerlimit.Log
}

type seqState struct {
	next  uint64
	holes []hole // sorted by from
}

// maxPublishers bounds the publishers whose sequence numbers are followed.
const maxPublishers = 4096

func (r *receiver) init(c *conn) {
	r.c = c
	r.Frames = make([]frame.Frame, endpoint.BatchSize)
	r.seqs = map[string]*seqState{}
	r.log = &peerlimit.Log{Logger: c.env.Log, Suppressed: &c.env.Stats.LogSuppressed}
}

// Receive delivers the frames of the subscribed topics until ctx ends.
func (c *conn) Receive(ctx context.Context, deliver func([]frame.Frame)) error {
	if c.msgs == nil {
		<-ctx.Done()
		return ctx.Err()
	}
	r := &c.rx
	r.Deliver = deliver
	defer r.log.Flush()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			r.expire(time.Time{}) // what is still missing now is lost
			return ctx.Err()
		case now := <-tick.C:
			r.expire(now)
			continue
		case m := <-c.msgs:
			r.now = time.Now()
			r.handle(m.Topic(), m.Payload())
		}
		// Take what else is waiting into the same batches.
	more:
		for range 4 * endpoint.BatchSize {
			select {
			case m := <-c.msgs:
				r.handle(m.Topic(), m.Payload())
			default:
				break more
			}
		}
		r.Flush()
	}
}

// handle decodes one message into the batch, whole or not at all.
// Liveness messages (topics ending in /status) carry no frames and are
// skipped.
func (r *receiver) handle(topic string, data []byte) {
	cfg := r.c.cfg
	if strings.HasSuffix(topic, "/"+StatusLevel) || topic == StatusLevel {
		return
	}
	if len(data) > cfg.MaxMessage {
		r.c.env.Drop(endpoint.ReasonOversize, 1)
		r.log.Log(slog.LevelWarn, "oversize", "message refused: larger than max_message", "topic", topic, "bytes", len(data), "max_message", cfg.MaxMessage)
		return
	}
	var seq uint64
	var n int
	hasSeq := false
	switch cfg.Encoding {
	case busmsg.EncodingBinary:
		bm, err := busmsg.ParseBinary(data)
		if err != nil {
			r.malformed(topic, err)
			return
		}
		seq, n, hasSeq = bm.Seq, bm.N, true
		for {
			f := r.Next()
			if !bm.Next(f) {
				break
			}
			f.Time = 0
			r.N++
		}
	default: // json
		f := r.Next()
		info, err := busmsg.ParseJSON(data, f)
		if err != nil {
			r.malformed(topic, err)
			return
		}
		f.Time = 0
		r.N++
		seq, n, hasSeq = info.Seq, 1, info.HasSeq
	}
	if hasSeq {
		r.track(publisherKey(topic), seq, n, r.now)
	}
}

// publisherKey returns the topic up to its <gateway> level: a topic's
// last three levels are <endpoint>/<kind>/<ID>. One mqtt endpoint
// numbers the frames it publishes; a gateway with two mqtt endpoints
// publishing to one broker gives them different prefixes for their
// sequence numbers to be followed.
func publisherKey(topic string) string {
	t := topic
	for range 3 {
		i := strings.LastIndexByte(t, '/')
		if i < 0 {
			return ""
		}
		t = t[:i]
	}
	return t
}

// track follows a publisher's sequence numbers. Frames skipped leave a
// hole; a message that comes late (a QoS 1 publisher's messages published
// again after a reconnect may overtake the ones that failed) fills it.
// Holes still open after holdGaps count as seq_gaps (expire); repeated
// messages count nothing; a message numbered 1 is a publisher that
// started again.
func (r *receiver) track(key string, seq uint64, n int, now time.Time) {
	if key == "" {
		return
	}
	st, ok := r.seqs[key]
	if !ok || seq == 1 {
		if !ok {
			if len(r.seqs) >= maxPublishers {
				r.expire(time.Time{})
				clear(r.seqs)
			}
			st = &seqState{}
			r.seqs[key] = st
		}
		r.countHoles(st, len(st.holes))
		st.next = seq + uint64(n)
		return
	}
	end := seq + uint64(n)
	if seq < st.next && len(st.holes) > 0 {
		st.fill(seq, min(end, st.next))
	}
	if seq > st.next {
		if len(st.holes) == maxHoles {
			r.countHoles(st, 1)
		}
		st.holes = append(st.holes, hole{from: st.next, to: seq, at: now})
	}
	if end > st.next {
		st.next = end
	}
}

// holdGaps is how long missing frames may still come before they count
// as seq_gaps; maxHoles bounds the holes followed per publisher (the
// oldest counts when another opens).
const (
	holdGaps = 2 * time.Second
	maxHoles = 64
)

// hole is a range of sequence numbers [from, to) not received, first
// missed at at.
type hole struct {
	from, to uint64
	at       time.Time
}

// fill removes [a, b) from the holes.
func (st *seqState) fill(a, b uint64) {
	out := st.holes[:0]
	var split []hole
	for _, h := range st.holes {
		if b <= h.from || a >= h.to {
			out = append(out, h)
			continue
		}
		if h.from < a {
			out = append(out, hole{from: h.from, to: a, at: h.at})
		}
		if b < h.to {
			split = append(split, hole{from: b, to: h.to, at: h.at})
		}
	}
	st.holes = append(out, split...)
}

// countHoles counts the first k holes of st as gaps and removes them.
func (r *receiver) countHoles(st *seqState, k int) {
	for _, h := range st.holes[:k] {
		r.c.env.Stats.SeqGaps.Add(h.to - h.from)
	}
	st.holes = append(st.holes[:0], st.holes[k:]...)
}

// expire counts the holes open since before now − holdGaps (all of them
// for the zero time).
func (r *receiver) expire(now time.Time) {
	for _, st := range r.seqs {
		if len(st.holes) == 0 {
			continue
		}
		keep := st.holes[:0]
		for _, h := range st.holes {
			if now.IsZero() || now.Sub(h.at) >= holdGaps {
				r.c.env.Stats.SeqGaps.Add(h.to - h.from)
				continue
			}
			keep = append(keep, h)
		}
		st.holes = keep
	}
}

func (r *receiver) malformed(topic string, err error) {
	r.c.env.Drop(endpoint.ReasonMalformed, 1)
	r.log.Log(slog.LevelWarn, "malformed", "message refused", "topic", topic, "err", err)
}
