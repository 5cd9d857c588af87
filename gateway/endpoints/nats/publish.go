package nats

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
	"unsafe"

	natsio "github.com/nats-io/nats.go"

	"github.com/fieldgate/fieldgate/gateway/busmsg"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// publisher turns batches of frames into messages. Its buffers and its
// message are reused: building and publishing a message allocates
// nothing (nats.go copies the subject, headers and data into its write
// buffer before PublishMsg returns).
type publisher struct {
	c       *conn
	subj    subjects
	signals *busmsg.Signals
	seq     uint64 // sequence number of the next frame published

	// mu serialises Send and the coalesce timer (coalesce.go), which
	// share the buffers and pend.
	mu   sync.Mutex
	pend pendingMsg
	// lastN and lastHeld are the frames of the message publishPending
	// last published, and how many of them an earlier Send held.
	lastN, lastHeld int
	timer           *time.Timer
	armed           bool
	// tat is when the coalesce budget is full again: a generic cell rate
	// algorithm's theoretical arrival time.
	tat time.Time

	msg             natsio.Msg
	seqVal, timeVal []string // the header's value slices, set per message
	msgID           []string // Nats-Msg-Id (JetStream)
	subjBuf, data   []byte
	seqBuf, timeBuf []byte
	idBuf           []byte
}

// headerBudget is what a message's headers may take of max_message.
const headerBudget = 512

func (p *publisher) init(c *conn) {
	p.c = c
	p.seq = 1
	p.subj.s = busmsg.Subject{Prefix: c.cfg.Prefix, Gateway: c.cfg.Gateway, Sep: '.'}
	if c.cfg.DB != nil {
		p.signals = busmsg.NewSignals(c.cfg.DB)
	}
	p.seqVal, p.timeVal = []string{""}, []string{""}
	p.msg.Header = natsio.Header{
		busmsg.HeaderGateway:  {c.cfg.Gateway},
		busmsg.HeaderSession:  {c.session},
		busmsg.HeaderEncoding: {c.cfg.Encoding},
		busmsg.HeaderSeq:      p.seqVal,
		busmsg.HeaderTime:     p.timeVal,
	}
	if c.cfg.JetStream != nil {
		p.msgID = []string{""}
		p.msg.Header[natsio.MsgIdHdr] = p.msgID
	}
	p.subjBuf = make([]byte, 0, 256)
	p.data = make([]byte, 0, 64<<10)
	p.timer = time.AfterFunc(time.Hour, c.flushTimer)
	p.timer.Stop()
}

// transient returns b as a string without copying it. The string is valid
// only until b is written again; it is handed to PublishMsg, which copies
// it before returning, and kept nowhere.
func transient(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// limit returns the most bytes a message's data may take.
func (p *publisher) limit() int {
	l := p.c.cfg.MaxMessage
	mp := int(p.c.maxPayload.Load())
	if mp == 0 { // before the connect handler ran
		mp = int(p.c.nc.MaxPayload())
	}
	if mp > 0 && mp < l {
		l = mp
	}
	return l - headerBudget
}

// subject returns the cached subjects of frame f's source and type.
func (p *publisher) subject(f *frame.Frame) *subjectEntry {
	var ep string
	if p.c.env.SourceName != nil {
		ep = p.c.env.SourceName(f.Source)
	}
	return p.subj.get(f.Source, f.Type, ep)
}

// setSubject sets the message's subject: the base's <ID hex> subject when
// the message's frames share f's ID token, else the batch subject.
func (p *publisher) setSubject(e *subjectEntry, f *frame.Frame, oneID bool) {
	if !oneID {
		p.msg.Subject = e.batch
		return
	}
	p.subjBuf = busmsg.AppendID(append(p.subjBuf[:0], e.base...), f)
	p.msg.Subject = transient(p.subjBuf)
}

// build encodes a message from the first frames of fs into p.data, sets
// the message's subject, and returns how many frames it holds. It
// returns 0 and a DropError (One) when fs[0] cannot be published.
func (p *publisher) build(fs []frame.Frame, limit int) (int, error) {
	f0 := &fs[0]
	e := p.subject(f0)
	switch p.c.cfg.Encoding {
	case busmsg.EncodingJSON:
		p.data = busmsg.AppendJSON(p.data[:0], f0, p.seq)
		if len(p.data) > limit {
			return 0, oversize(len(p.data), limit)
		}
		p.setSubject(e, f0, true)
		return 1, nil
	case busmsg.EncodingSignals:
		var ok bool
		p.data, ok = p.signals.Append(p.data[:0], f0, p.seq)
		if !ok {
			return 0, &endpoint.DropError{Reason: endpoint.ReasonUnsupported, One: true,
				Err: fmt.Errorf("the DBC describes no %s frame with ID %s", f0.Type, busmsg.AppendID(nil, f0))}
		}
		if len(p.data) > limit {
			return 0, oversize(len(p.data), limit)
		}
		p.setSubject(e, f0, true)
		return 1, nil
	}
	if busmsg.BinaryHeaderLen+busmsg.RecordLen(f0) > limit {
		return 0, oversize(busmsg.BinaryHeaderLen+busmsg.RecordLen(f0), limit)
	}
	p.data = busmsg.BeginBinary(p.data[:0], p.seq, f0.Time)
	var n int
	var oneID bool
	p.data, n, oneID = busmsg.AppendBinaryBatch(p.data, fs, limit)
	p.setSubject(e, f0, oneID)
	return n, nil
}

func oversize(n, limit int) error {
	return &endpoint.DropError{Reason: endpoint.ReasonOversize, One: true,
		Err: fmt.Errorf("message of %d bytes exceeds %d (max_message and the server's max_payload less %d for headers)", n, limit, headerBudget)}
}

// setHeaders fills the message's per-message header values for a message
// whose first frame is f.
func (p *publisher) setHeaders(f *frame.Frame) { p.setHeadersAt(p.seq, f.Time) }

// setHeadersAt fills the message's per-message header values for a
// message whose first frame has sequence number seq and capture time t,
// and its data.
func (p *publisher) setHeadersAt(seq uint64, t int64) {
	p.seqBuf = strconv.AppendUint(p.seqBuf[:0], seq, 10)
	p.timeBuf = strconv.AppendInt(p.timeBuf[:0], t, 10)
	p.seqVal[0], p.timeVal[0] = transient(p.seqBuf), transient(p.timeBuf)
	p.msg.Data = p.data
	if p.msgID != nil {
		p.idBuf = append(append(append(p.idBuf[:0], p.c.session...), '-'), p.seqBuf...)
		p.msgID[0] = transient(p.idBuf)
	}
}

// Send publishes frames, as many per message as the encoding and
// max_message allow. While the client is disconnected it waits (frames
// queue up in the endpoint's queue, which counts its overflow); frames it
// holds when ctx ends are counted no_peer.
func (c *conn) Send(ctx context.Context, frames []frame.Frame) (int, error) {
	if c.cfg.JetStream != nil {
		return c.sendJetStream(ctx, frames)
	}
	if c.cfg.Encoding == busmsg.EncodingBinary {
		return c.sendBinary(ctx, frames)
	}
	p := &c.pub
	sent := 0
	limit := p.limit()
	for sent < len(frames) {
		n, err := p.build(frames[sent:], limit)
		if err != nil {
			return sent, err
		}
		p.setHeaders(&frames[sent])
		if err := c.publish(ctx, &p.msg); err != nil {
			return sent, err
		}
		p.seq += uint64(n)
		sent += n
	}
	return sent, nil
}

// publish publishes m, waiting for the connection while there is none.
// An error of the connection itself (a write to a server that just died,
// before the client noticed) is retried on the next connection like a
// disconnection; errors of the message are not.
func (c *conn) publish(ctx context.Context, m *natsio.Msg) error {
	for {
		err := c.nc.PublishMsg(m)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, natsio.ErrMaxPayload):
			return &endpoint.DropError{Reason: endpoint.ReasonOversize, Err: err}
		case errors.Is(err, natsio.ErrConnectionClosed):
			return &endpoint.DropError{Reason: endpoint.ReasonNoPeer, Err: err}
		case c.nc.IsConnected() && (errors.Is(err, natsio.ErrBadSubject) || errors.Is(err, natsio.ErrHeadersNotSupported) ||
			errors.Is(err, natsio.ErrBadHeaderMsg) || errors.Is(err, natsio.ErrInvalidMsg)):
			// (Before the first connection the client says headers are
			// not supported: it does not know the server yet.)
			return &endpoint.DropError{Reason: endpoint.ReasonWriteError, Err: err}
		}
		if !errors.Is(err, natsio.ErrReconnectBufExceeded) {
			c.env.Log.Debug("publish failed; waiting for the connection", "err", err)
		}
		if err := c.waitReconnect(ctx); err != nil {
			return &endpoint.DropError{Reason: endpoint.ReasonNoPeer, Err: fmt.Errorf("not connected: %w", err)}
		}
	}
}

// waitReconnect waits for the connection after a publish found it down
// (the client may not have noticed yet: then it waits a little).
func (c *conn) waitReconnect(ctx context.Context) error {
	if c.nc.IsConnected() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return c.waitConnected(ctx)
}
