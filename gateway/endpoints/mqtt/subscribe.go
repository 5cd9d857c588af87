package mqtt

import (
	"context"
	"log/slog"
	"strings"

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
	c       *conn
	batch   []frame.Frame
	k       int
	deliver func([]frame.Frame)
	seqs    map[string]*seqState // by publisher: the topic up to <gateway>
	log     *peerlimit.Log
}

type seqState struct{ next uint64 }

// maxPublishers bounds the publishers whose sequence numbers are followed.
const maxPublishers = 4096

func (r *receiver) init(c *conn) {
	r.c = c
	r.batch = make([]frame.Frame, endpoint.BatchSize)
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
	r.deliver = deliver
	defer r.log.Flush()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case m := <-c.msgs:
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
		r.flush()
	}
}

func (r *receiver) flush() {
	if r.k > 0 {
		r.deliver(r.batch[:r.k])
		r.k = 0
	}
}

// next returns the batch slot for one more frame.
func (r *receiver) next() *frame.Frame {
	if r.k == len(r.batch) {
		r.flush()
	}
	return &r.batch[r.k]
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
			f := r.next()
			if !bm.Next(f) {
				break
			}
			f.Time = 0
			r.k++
		}
	default: // json
		f := r.next()
		info, err := busmsg.ParseJSON(data, f)
		if err != nil {
			r.malformed(topic, err)
			return
		}
		f.Time = 0
		r.k++
		seq, n, hasSeq = info.Seq, 1, info.HasSeq
	}
	if hasSeq {
		r.track(publisherKey(topic), seq, n)
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

// track follows a publisher's sequence numbers: frames skipped count as
// gaps; repeated or late ones (QoS 1 publishes again) count nothing; a
// message numbered 1 is a publisher that started again.
func (r *receiver) track(key string, seq uint64, n int) {
	if key == "" {
		return
	}
	st, ok := r.seqs[key]
	if !ok || seq == 1 {
		if !ok {
			if len(r.seqs) >= maxPublishers {
				clear(r.seqs)
			}
			st = &seqState{}
			r.seqs[key] = st
		}
		st.next = seq + uint64(n)
		return
	}
	if seq > st.next {
		r.c.env.Stats.SeqGaps.Add(seq - st.next)
	}
	if end := seq + uint64(n); end > st.next {
		st.next = end
	}
}

func (r *receiver) malformed(topic string, err error) {
	r.c.env.Drop(endpoint.ReasonMalformed, 1)
	r.log.Log(slog.LevelWarn, "malformed", "message refused", "topic", topic, "err", err)
}
