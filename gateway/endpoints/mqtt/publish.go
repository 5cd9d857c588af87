package mqtt

import (
	"context"
	"fmt"
	"strconv"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/fieldgate/fieldgate/gateway/busmsg"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// publisher turns batches of frames into messages. Its encoding buffers
// are reused; paho keeps a message's payload until it is written (QoS 0)
// or acknowledged (QoS 1), so each message's payload is a copy (one
// allocation per message; a binary message carries up to 255 frames).
// Topics are interned: a topic seen before allocates nothing.
type publisher struct {
	c       *conn
	subj    busmsg.Subject
	signals *busmsg.Signals
	seq     uint64 // sequence number of the next frame published

	subjBuf, data, idTok []byte
	topics               map[string]string
	inflight             []inflight
	key                  []byte
	timer                *time.Timer
}

// inflight is a message published in the current Send.
type inflight struct {
	tok paho.Token
	n   int // frames
}

// maxTopics bounds the interned topics.
const maxTopics = 4096

func (p *publisher) init(c *conn) {
	p.c = c
	p.seq = 1
	p.subj = busmsg.Subject{Prefix: c.cfg.Prefix, Gateway: c.cfg.Gateway, Sep: '/'}
	if c.cfg.DB != nil {
		p.signals = busmsg.NewSignals(c.cfg.DB)
	}
	p.subjBuf = make([]byte, 0, 256)
	p.data = make([]byte, 0, 64<<10)
	p.topics = map[string]string{}
	p.timer = time.NewTimer(time.Hour)
	p.timer.Stop()
}

// topic returns p.subjBuf as an interned string.
func (p *publisher) topic() string {
	if t, ok := p.topics[string(p.subjBuf)]; ok {
		return t
	}
	if len(p.topics) >= maxTopics {
		clear(p.topics)
	}
	t := string(p.subjBuf)
	p.topics[t] = t
	return t
}

// build encodes a message from the first frames of fs, the first with
// sequence number seq, into p.subjBuf and p.data and returns how many
// frames it holds. It returns 0 and a DropError (One) when fs[0] cannot
// be published.
func (p *publisher) build(fs []frame.Frame, seq uint64, limit int) (int, error) {
	f0 := &fs[0]
	var ep string
	if p.c.env.SourceName != nil {
		ep = p.c.env.SourceName(f0.Source)
	}
	p.subjBuf = p.subj.AppendBase(p.subjBuf[:0], ep, f0.Type)
	switch p.c.cfg.Encoding {
	case busmsg.EncodingJSON:
		p.data = busmsg.AppendJSON(p.data[:0], f0, seq)
		if len(p.data) > limit {
			return 0, oversize(len(p.data), limit)
		}
		p.subjBuf = busmsg.AppendID(p.subjBuf, f0)
		return 1, nil
	case busmsg.EncodingSignals:
		var ok bool
		p.data, ok = p.signals.Append(p.data[:0], f0, seq)
		if !ok {
			return 0, &endpoint.DropError{Reason: endpoint.ReasonUnsupported, One: true,
				Err: fmt.Errorf("the DBC describes no %s frame with ID %s", f0.Type, busmsg.AppendID(nil, f0))}
		}
		if len(p.data) > limit {
			return 0, oversize(len(p.data), limit)
		}
		p.subjBuf = busmsg.AppendID(p.subjBuf, f0)
		return 1, nil
	}
	if busmsg.BinaryHeaderLen+busmsg.RecordLen(f0) > limit {
		return 0, oversize(busmsg.BinaryHeaderLen+busmsg.RecordLen(f0), limit)
	}
	p.data = busmsg.BeginBinary(p.data[:0], seq, f0.Time)
	p.idTok = busmsg.AppendID(p.idTok[:0], f0)
	var n int
	var oneID bool
	p.data, n, oneID = busmsg.AppendBinaryBatch(p.data, fs, limit)
	if oneID {
		p.subjBuf = append(p.subjBuf, p.idTok...)
	} else {
		p.subjBuf = append(p.subjBuf, busmsg.BatchToken...)
	}
	return n, nil
}

func oversize(n, limit int) error {
	return &endpoint.DropError{Reason: endpoint.ReasonOversize, One: true,
		Err: fmt.Errorf("message of %d bytes exceeds max_message %d", n, limit)}
}

// Send publishes frames, as many per message as the encoding and
// max_message allow, and returns once the broker has them: with QoS 1
// when each message's PUBACK came (over whichever connection carried
// it), with QoS 0 when each message was written to the connection. A
// message that the connection failed to carry is published again after
// the reconnect. While the client is disconnected Send waits, and the
// frames wait in the endpoint's queue, which counts its overflow; frames
// it holds when ctx ends are counted no_peer.
func (c *conn) Send(ctx context.Context, frames []frame.Frame) (int, error) {
	p := &c.pub
	sent := 0
	for sent < len(frames) {
		if err := c.waitUp(ctx); err != nil {
			return sent, &endpoint.DropError{Reason: endpoint.ReasonNoPeer, Err: fmt.Errorf("not connected: %w", err)}
		}
		// Publish the messages of the frames from sent on, up to one
		// that cannot be published.
		p.inflight = p.inflight[:0]
		var buildErr error
		seq := p.seq
		for i := sent; i < len(frames); {
			n, err := p.build(frames[i:], seq, c.cfg.MaxMessage)
			if err != nil {
				buildErr = err
				break
			}
			if len(p.inflight) > 0 && !c.cl.IsConnectionOpen() {
				break // the rest after the reconnect, in order
			}
			payload := append([]byte(nil), p.data...)
			t := c.cl.Publish(p.topic(), c.cfg.QoS, c.cfg.Retain, payload)
			p.inflight = append(p.inflight, inflight{tok: t, n: n})
			i += n
			seq += uint64(n)
			if failedNow(t) {
				break
			}
		}
		done, err := c.confirm(ctx)
		sent += done
		p.seq += uint64(done)
		if err != nil {
			return sent, &endpoint.DropError{Reason: endpoint.ReasonNoPeer, Err: err}
		}
		if p.seq != seq { // a message was not carried: again after reconnecting
			continue
		}
		if buildErr != nil {
			return sent, buildErr
		}
	}
	return sent, nil
}

// failedNow reports whether t has already failed (not connected).
func failedNow(t paho.Token) bool {
	select {
	case <-t.Done():
		return t.Error() != nil
	default:
		return false
	}
}

// confirm waits for the messages of p.inflight in order and returns the
// frames of those the broker has. It stops at the first one the
// connection did not carry (nil error: publish it again), or with ctx's
// error.
func (c *conn) confirm(ctx context.Context) (int, error) {
	p := &c.pub
	done := 0
	for _, m := range p.inflight {
		select {
		case <-m.tok.Done():
		case <-ctx.Done():
			return done, fmt.Errorf("not acknowledged: %w", ctx.Err())
		}
		if c.cfg.QoS == 0 {
			if m.tok.Error() != nil {
				c.env.Log.Debug("publish failed; again after reconnecting", "err", m.tok.Error())
				c.settle(ctx)
				return done, nil
			}
			done += m.n
			continue
		}
		// QoS 1: acknowledged once the store no longer holds it. A
		// message the client never stored (not connected) is
		// published again.
		id := m.tok.(*paho.PublishToken).MessageID()
		p.key = strconv.AppendUint(append(p.key[:0], "o."...), uint64(id), 10)
		if m.tok.Error() != nil && (id == 0 || !c.store.has(p.key)) {
			c.env.Log.Debug("publish failed; again after reconnecting", "err", m.tok.Error())
			c.settle(ctx)
			return done, nil
		}
		for c.store.has(p.key) {
			p.timer.Reset(100 * time.Millisecond)
			select {
			case <-c.store.notify:
			case <-p.timer.C:
			case <-ctx.Done():
				p.timer.Stop()
				return done, fmt.Errorf("not acknowledged: %w", ctx.Err())
			}
			p.timer.Stop()
		}
		done += m.n
	}
	return done, nil
}

// settle gives the connection-lost handler time to mark the connection
// down after a failed publish (so that Send waits for the reconnect
// instead of publishing into a dead connection again).
func (c *conn) settle(ctx context.Context) {
	if !c.cl.IsConnectionOpen() {
		c.setUp(false)
		return
	}
	t := time.NewTimer(20 * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
