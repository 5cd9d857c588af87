package tipc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fieldgate/fieldgate/core"
	"github.com/fieldgate/fieldgate/gateway/cannelloni"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
	"github.com/fieldgate/fieldgate/gateway/frame"
	tp "github.com/fieldgate/fieldgate/tipc"
)

// open opens an rdm endpoint itself and the others as streams.
func open(ctx context.Context, s stream.Settings, e *endpoint.Env) (endpoint.Transceiver, error) {
	c := s.(*Config)
	if c.SocketType != RDM {
		return stream.Open(ctx, c.Stream(), c.Transport(), e)
	}
	return openRDM(ctx, c, e)
}

// maxDatagram bounds a datagram we send: TIPC carries at most 66000 bytes
// of user data in one message (TIPC_MAX_USER_MSG_SIZE).
const maxDatagram = 66000

// maxSenders bounds the senders whose sequence numbers are tracked.
const maxSenders = 256

// rdmConn is a TIPC reliable-datagram link: frames packed into cannelloni
// v2 datagrams (PDUs in OpPDU datagrams, one each), sent to one socket of
// a service, to every socket of a service range (multicast) or to the
// last sender; received from any socket that sends to our service. The
// topology service's events about the destination range are its peers.
type rdmConn struct {
	cfg  *Config
	env  *endpoint.Env
	c    *tp.Conn
	self tp.SocketID
	topo *tp.Topology // nil without To
	last atomic.Pointer[tp.SocketID]
	wg   sync.WaitGroup

	mu    sync.Mutex
	buf   []byte
	seq   uint8
	peers map[tp.SocketID]int // publications overlapping To, per socket (under mu)
}

var _ endpoint.Transceiver = (*rdmConn)(nil)

// openRDM opens the socket, publishes Service (if set) and subscribes to
// To's publications (if set). Undeliverable messages are dropped by the
// kernel rather than returned (TIPC_DEST_DROPPABLE): a returned message
// would read as data from the peer. The receiver counts what it missed as
// sequence gaps.
func openRDM(ctx context.Context, c *Config, e *endpoint.Env) (endpoint.Transceiver, error) {
	if err := (transport{c}).Check(); err != nil {
		return nil, err
	}
	var publish []tp.ServiceRange
	if c.Service.Type != 0 {
		publish = append(publish, c.Service)
	}
	conn, err := tp.ListenPacket(&tp.Config{Type: core.SOCK_RDM, Scope: c.Scope, DestDroppable: true}, publish...)
	if err != nil {
		return nil, err
	}
	r := &rdmConn{cfg: c, env: e, c: conn, buf: make([]byte, 0, maxDatagram), peers: map[tp.SocketID]int{}}
	if r.self, err = conn.LocalID(); err != nil {
		conn.Close()
		return nil, err
	}
	if c.To.Type != 0 {
		if r.topo, err = tp.Subscribe(ctx, tp.Subscription{Range: c.To}); err != nil {
			conn.Close()
			return nil, err
		}
	}
	e.Log.Info("tipc rdm socket open", "socket", r.self, "service", serviceOrNone(c.Service), "to", c.To, "multicast", c.Multicast)
	return r, nil
}

func serviceOrNone(r tp.ServiceRange) string {
	if r.Type == 0 {
		return "none"
	}
	return r.String()
}

// LocalID returns the socket's own identity (tests).
func (r *rdmConn) LocalID() tp.SocketID { return r.self }

func (r *rdmConn) Receive(ctx context.Context, deliver func([]frame.Frame)) error {
	if r.topo != nil {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.watch(ctx)
		}()
	}
	defer r.wg.Wait()
	buf := make([]byte, maxDatagram)
	batch := make([]frame.Frame, endpoint.BatchSize)
	var d cannelloni.Datagram
	var cf cannelloni.Frame
	seqs := map[tp.SocketID]uint8{}
	for {
		n, from, err := r.c.ReadFrom(ctx, buf)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.EBADF) {
				return err
			}
			r.env.Log.Debug("tipc read", "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if from == r.self {
			continue // our own multicast, when we publish in To
		}
		b := buf[:n]
		var seq uint8
		if cannelloni.IsPDU(b) {
			s, pdu, err := cannelloni.DecodePDU(b, frame.MaxData)
			k := frame.Type(pdu.Kind)
			if err != nil || !k.IsPDU() || !r.cfg.PDUs {
				r.env.Drop(endpoint.ReasonMalformed, 1)
				continue
			}
			seq = s
			f := &batch[0]
			f.Type, f.Flags, f.Addr, f.ID, f.Len, f.Time = k, pdu.Flags, pdu.Addr, pdu.ID, uint16(len(pdu.Data)), 0
			copy(f.Data[:], pdu.Data)
			r.heard(from, seq, seqs)
			deliver(batch[:1])
			continue
		}
		if err := d.Reset(b); err != nil {
			r.env.Drop(endpoint.ReasonMalformed, 1)
			continue
		}
		r.heard(from, d.Header.Seq, seqs)
		k := 0
		for d.Next(&cf) {
			frame.FromCannelloni(&batch[k], &cf)
			k++
			if k == len(batch) {
				deliver(batch[:k])
				k = 0
			}
		}
		if k > 0 {
			deliver(batch[:k])
		}
		if d.Err() != nil {
			// The frames before the damage were delivered; the rest
			// counts once.
			r.env.Drop(endpoint.ReasonMalformed, 1)
		}
	}
}

// heard notes a datagram's sender (the destination without To) and
// counts the datagrams missing before seq in that sender's sequence: the
// kernel drops messages a full receive queue cannot take.
func (r *rdmConn) heard(from tp.SocketID, seq uint8, seqs map[tp.SocketID]uint8) {
	if p := r.last.Load(); p == nil || *p != from {
		id := from
		r.last.Store(&id)
	}
	if prev, ok := seqs[from]; ok {
		if gap := seq - prev - 1; gap != 0 && gap < 128 {
			r.env.Stats.SeqGaps.Add(uint64(gap))
		}
	} else if len(seqs) >= maxSenders {
		clear(seqs)
	}
	seqs[from] = seq
}

// watch follows the topology service's events about To: a socket that
// publishes (part of) it is a peer that came up, one that withdraws its
// last such publication (it closed, or its node left) one that went down.
// Both are counted (Peers, Connects) and logged.
func (r *rdmConn) watch(ctx context.Context) {
	defer func() {
		r.mu.Lock()
		r.env.Stats.Peers.Add(-int64(len(r.peers)))
		clear(r.peers)
		r.mu.Unlock()
	}()
	for {
		ev, err := r.topo.Next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.EBADF) || errors.Is(err, syscall.ECONNRESET) {
				return
			}
			r.env.Log.Warn("tipc topology event", "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if ev.Port == r.self {
			continue
		}
		r.mu.Lock()
		n := r.peers[ev.Port]
		switch ev.Kind {
		case tp.Published:
			r.peers[ev.Port] = n + 1
			if n == 0 {
				r.env.Stats.Peers.Add(1)
				r.env.Stats.Connects.Add(1)
				r.env.Log.Info("peer up", "peer", ev.Port, "published", ev.Found)
			}
		case tp.Withdrawn:
			switch n {
			case 0:
			case 1:
				delete(r.peers, ev.Port)
				r.env.Stats.Peers.Add(-1)
				r.env.Log.Info("peer down", "peer", ev.Port, "withdrawn", ev.Found)
			default:
				r.peers[ev.Port] = n - 1
			}
		}
		r.mu.Unlock()
	}
}

// Send packs frames into cannelloni datagrams and sends each at once.
func (r *rdmConn) Send(ctx context.Context, frames []frame.Frame) (int, error) {
	var last tp.SocketID
	if r.cfg.To.Type == 0 {
		p := r.last.Load()
		if p == nil {
			return 0, &endpoint.DropError{Reason: endpoint.ReasonNoPeer, Err: errors.New("no to: and nobody heard from yet")}
		}
		last = *p
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	count, first := 0, 0
	for i := range frames {
		f := &frames[i]
		if !f.IsCAN() {
			if err := r.flushLocked(ctx, last, count); err != nil {
				return first, err
			}
			count, first = 0, i
			if !r.cfg.PDUs || !f.Type.IsPDU() {
				return i, &endpoint.DropError{Reason: endpoint.ReasonUnsupported, One: true, Err: fmt.Errorf("cannelloni cannot carry %s frames (pdus: true on both ends carries ISO-TP, J1939 and Ethernet)", f.Type)}
			}
			p := cannelloni.PDU{Kind: uint8(f.Type), Flags: f.Flags, Addr: f.Addr, ID: f.ID, Data: f.Data[:f.Len]}
			r.buf = cannelloni.AppendPDU(r.buf[:0], r.seq, &p)
			if err := r.writeLocked(ctx, last); err != nil {
				return i, err
			}
			first = i + 1
			continue
		}
		if count > 0 && (len(r.buf)+frame.CannelloniLen(f) > maxDatagram || count == 0xFFFF) {
			if err := r.flushLocked(ctx, last, count); err != nil {
				return first, err
			}
			count, first = 0, i
		}
		if count == 0 {
			r.buf = cannelloni.AppendHeader(r.buf[:0], r.seq, 0)
		}
		r.buf = frame.AppendCannelloni(r.buf, f)
		count++
	}
	if err := r.flushLocked(ctx, last, count); err != nil {
		return first, err
	}
	return len(frames), nil
}

// flushLocked sends the pending datagram of count frames (under mu).
func (r *rdmConn) flushLocked(ctx context.Context, last tp.SocketID, count int) error {
	if count == 0 {
		return nil
	}
	r.buf[3], r.buf[4] = byte(count>>8), byte(count)
	return r.writeLocked(ctx, last)
}

// writeLocked sends buf to To, or to last (under mu). Nobody publishing
// To is a no_peer drop.
func (r *rdmConn) writeLocked(ctx context.Context, last tp.SocketID) error {
	var err error
	switch to := r.cfg.To; {
	case to.Type == 0:
		_, err = r.c.WriteToSocket(ctx, r.buf, last)
	case r.cfg.Multicast:
		_, err = r.c.WriteToRange(ctx, r.buf, to)
	default:
		_, err = r.c.WriteTo(ctx, r.buf, tp.Service{Type: to.Type, Instance: to.Lower})
	}
	r.seq++
	if err == nil {
		return nil
	}
	if errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ECONNREFUSED) {
		return &endpoint.DropError{Reason: endpoint.ReasonNoPeer, Err: err}
	}
	return err
}

func (r *rdmConn) Close() error {
	if r.topo != nil {
		r.topo.Close()
	}
	return r.c.Close()
}
