package stream

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/fieldgate/fieldgate/gateway/cannelloni"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/internal/access"
	"github.com/fieldgate/fieldgate/gateway/internal/peerlimit"
	"github.com/fieldgate/fieldgate/gateway/internal/tlsconf"
)

// conn speaks cannelloni's TCP framing ("CANNELLONIv1" handshake, then
// frames back to back) over a Transport's streams, as a server with many
// clients or as a client that reconnects with backoff. Frames received from
// any client enter the gateway; frames sent go to every client.
type conn struct {
	cfg    *Config
	env    *endpoint.Env
	ln     net.Listener
	dial   func(ctx context.Context) (net.Conn, error)
	allow  access.Peers
	filter PeerFilter // the transport's own allow list, if it has one
	tlsCfg *tls.Config

	slots     *peerlimit.Slots // server: max_clients, max_clients_per_peer
	log       *peerlimit.Log   // per-peer rate-limited log lines
	hsTimeout time.Duration    // handshake_timeout

	mu      sync.Mutex
	clients map[*client]struct{}
	buf     []byte
	wg      sync.WaitGroup
}

var _ endpoint.Transceiver = (*conn)(nil)

type client struct {
	c    net.Conn
	addr string
	key  string // peer key (peerlimit.Identify) for the log limit
}

// WriteTimeout bounds a write to one client; a client that cannot keep up
// is disconnected instead of stalling the others. The socketcand kind uses
// it for its clients too.
const WriteTimeout = 2 * time.Second

// Open opens a stream endpoint with settings cfg over transport t: a
// server listens at once (so a bind error fails the open), a client dials
// in Receive and redials with backoff. ctx bounds the listen.
func Open(ctx context.Context, cfg *Config, t Transport, e *endpoint.Env) (endpoint.Transceiver, error) {
	if ch, ok := t.(Checker); ok {
		if err := ch.Check(); err != nil {
			return nil, err
		}
	}
	s := &conn{cfg: cfg, env: e, clients: map[*client]struct{}{}, allow: access.ParsePeers(cfg.AllowPeers),
		slots:     peerlimit.NewSlots(cfg.MaxClients, peerlimit.MaxPerPeer(cfg.MaxClientsPerPeer, cfg.MaxClients)),
		log:       &peerlimit.Log{Logger: e.Log, Suppressed: &e.Stats.LogSuppressed},
		hsTimeout: peerlimit.HandshakeTimeout(cfg.HandshakeTimeout)}
	s.filter, _ = t.(PeerFilter)
	var err error
	if s.tlsCfg, err = tlsconf.Load(cfg.TLS, cfg.Role == config.Server); err != nil {
		return nil, err
	}
	if cfg.Role == config.Server {
		s.ln, err = t.Listen(ctx)
		if err != nil {
			return nil, err
		}
		if s.tlsCfg != nil {
			s.ln = tls.NewListener(s.ln, s.tlsCfg)
		}
		return s, nil
	}
	s.dial = func(ctx context.Context) (net.Conn, error) {
		c, err := t.Dial(ctx)
		if err != nil || s.tlsCfg == nil {
			return c, err
		}
		return tls.Client(c, s.tlsCfg), nil // the handshake runs in serve
	}
	return s, nil
}

// Addr returns the listening address of a server.
func (s *conn) Addr() net.Addr {
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

func (s *conn) Receive(ctx context.Context, deliver func([]frame.Frame)) error {
	defer s.wg.Wait()
	if s.ln != nil {
		stop := context.AfterFunc(ctx, func() { s.ln.Close() })
		defer stop()
		for {
			c, err := s.ln.Accept()
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if errors.Is(err, net.ErrClosed) {
					return err
				}
				time.Sleep(10 * time.Millisecond)
				continue
			}
			p := peerlimit.Identify(c)
			if !s.admit(c, p) {
				continue
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer s.slots.Release(p.Key)
				s.serve(ctx, c, p, deliver)
			}()
		}
	}
	// Client: connect, serve until the peer goes away, back off, repeat.
	// The backoff grows while connects or handshakes fail.
	delay := s.cfg.Reconnect.Min
	for {
		c, err := s.dial(ctx)
		linked := false
		if err == nil {
			linked = s.serve(ctx, c, peerlimit.Identify(c), deliver)
		} else {
			s.env.Log.Debug("connect failed", "err", err, "retry", delay)
		}
		if linked {
			delay = s.cfg.Reconnect.Min
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		if !linked {
			delay = min(delay*2, s.cfg.Reconnect.Max)
		}
	}
}

// admit applies allow_peers and the client limits (max_clients,
// max_clients_per_peer) to a new connection; it closes and counts a
// refused one. An admitted connection holds a slot until serve returns.
func (s *conn) admit(c net.Conn, p peerlimit.Peer) bool {
	if len(s.allow) > 0 && (!p.Addr.IsValid() || !s.allow.Allowed(p.Addr)) {
		s.reject(c, p, endpoint.ConnNotAllowed, nil)
		s.env.Drop(endpoint.ReasonAuth, 1)
		return false
	}
	if s.filter != nil {
		if err := s.filter.AllowPeer(c); err != nil {
			// Counted before the close, as reject counts.
			s.env.Drop(endpoint.ReasonAuth, 1)
			s.reject(c, p, endpoint.ConnNotAllowed, err)
			return false
		}
	}
	if r, ok := s.slots.Acquire(p.Key); !ok {
		s.reject(c, p, r, nil)
		return false
	}
	return true
}

// reject closes c, counts it under r and logs it (rate-limited per peer),
// with why (a PeerFilter's refusal) if not nil.
func (s *conn) reject(c net.Conn, p peerlimit.Peer, r endpoint.ConnReason, why error) {
	// Counted before the close: whoever sees the connection end sees it
	// counted.
	s.env.Stats.Rejected.Add(r)
	c.Close()
	msg := "client refused: " + r.String()
	if why != nil {
		s.log.Log(slog.LevelWarn, p.Key, "peer refused", "peer", p.Name, "err", why)
		return
	}
	if r == endpoint.ConnNotAllowed {
		msg = "peer refused by allow_peers"
	}
	s.log.Log(slog.LevelWarn, p.Key, msg, "peer", p.Name, "max_clients", s.cfg.MaxClients,
		"max_clients_per_peer", peerlimit.MaxPerPeer(s.cfg.MaxClientsPerPeer, s.cfg.MaxClients))
}

// handshake runs TLS (if on) and the CANNELLONIv1 exchange within the
// handshake timeout. A peer that fails is counted once: under
// handshake_timeout or handshake_failed, and as a malformed drop (a TLS
// failure other than the timeout, e.g. a certificate the CA did not sign,
// as an auth drop).
func (s *conn) handshake(ctx context.Context, c net.Conn, p peerlimit.Peer) bool {
	c.SetDeadline(time.Now().Add(s.hsTimeout))
	step, err := "tls", error(nil)
	if tc, ok := c.(*tls.Conn); ok {
		err = tc.HandshakeContext(ctx)
	}
	var hs [len(cannelloni.Handshake)]byte
	var n int
	if err == nil {
		step = "CANNELLONIv1"
		if _, err = io.WriteString(c, cannelloni.Handshake); err == nil {
			n, err = io.ReadFull(c, hs[:])
			if err == nil && string(hs[:]) != cannelloni.Handshake {
				err = errBadHandshake
			}
		}
	}
	if err == nil {
		c.SetDeadline(time.Time{})
		return true
	}
	if ctx.Err() != nil {
		return false // shutting down: not the peer's fault
	}
	reason, drop := endpoint.ConnHandshakeFailed, endpoint.ReasonMalformed
	if errors.Is(err, os.ErrDeadlineExceeded) {
		reason = endpoint.ConnHandshakeTimeout
	} else if step == "tls" {
		drop = endpoint.ReasonAuth
	}
	s.env.Stats.Rejected.Add(reason)
	s.env.Drop(drop, 1)
	s.log.Log(slog.LevelWarn, p.Key, "peer did not complete the handshake; disconnecting", "peer", p.Name,
		"step", step, "reason", reason.String(), "got", fmt.Sprintf("%q", hs[:n]), "err", err, "handshake_timeout", s.hsTimeout)
	return false
}

var errBadHandshake = errors.New("not " + cannelloni.Handshake)

// serve runs one connection: handshake, then decode frames until EOF or a
// protocol error (the peer is disconnected and counted). It reports
// whether the handshake completed.
func (s *conn) serve(ctx context.Context, c net.Conn, p peerlimit.Peer, deliver func([]frame.Frame)) bool {
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	defer c.Close()
	if tc, ok := c.(interface{ SetNoDelay(bool) error }); ok {
		tc.SetNoDelay(true)
	}
	if !s.handshake(ctx, c, p) {
		return false
	}
	cl := &client{c: c, addr: p.Name, key: p.Key}
	s.mu.Lock()
	s.clients[cl] = struct{}{}
	s.mu.Unlock()
	s.env.Stats.Peers.Add(1)
	s.env.Stats.Connects.Add(1)
	s.log.Log(slog.LevelInfo, p.Key, "peer connected", "peer", cl.addr)
	defer func() {
		s.mu.Lock()
		delete(s.clients, cl)
		s.mu.Unlock()
		s.env.Stats.Peers.Add(-1)
		s.log.Log(slog.LevelInfo, p.Key, "peer disconnected", "peer", cl.addr)
	}()
	var dec cannelloni.StreamDecoder
	var cf cannelloni.Frame
	var pdu cannelloni.PDU
	rbuf := make([]byte, 32<<10)
	batch := make([]frame.Frame, endpoint.BatchSize)
	for {
		n, err := c.Read(rbuf)
		if n > 0 {
			dec.Write(rbuf[:n])
			k := 0
			for {
				var isPDU, ok bool
				var derr error
				if s.cfg.PDUs {
					isPDU, ok, derr = dec.NextRecord(&cf, &pdu, frame.MaxData)
					if ok && isPDU && !frame.Type(pdu.Kind).IsPDU() {
						derr = fmt.Errorf("PDU record of unknown kind %d", pdu.Kind)
					}
				} else {
					ok, derr = dec.Next(&cf)
				}
				if derr != nil {
					if k > 0 {
						deliver(batch[:k])
					}
					s.env.Drop(endpoint.ReasonMalformed, 1)
					s.log.Log(slog.LevelWarn, cl.key, "peer sent a malformed frame; disconnecting", "peer", cl.addr, "err", derr)
					return true
				}
				if !ok {
					break
				}
				if isPDU {
					f := &batch[k]
					f.Type, f.Flags, f.Addr, f.ID, f.Time = frame.Type(pdu.Kind), pdu.Flags, pdu.Addr, pdu.ID, 0
					f.Len = uint16(copy(f.Data[:], pdu.Data))
				} else {
					frame.FromCannelloni(&batch[k], &cf)
				}
				k++
				if k == len(batch) {
					deliver(batch[:k])
					k = 0
				}
			}
			if k > 0 {
				deliver(batch[:k])
			}
		}
		if err != nil {
			if dec.Buffered() > 0 {
				s.env.Drop(endpoint.ReasonMalformed, 1) // a truncated last frame
			}
			return true
		}
	}
}

func (s *conn) Send(ctx context.Context, frames []frame.Frame) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.clients) == 0 {
		return 0, &endpoint.DropError{Reason: endpoint.ReasonNoPeer}
	}
	s.buf = s.buf[:0]
	n := len(frames)
	var err error
	for i := range frames {
		f := &frames[i]
		if !f.IsCAN() {
			if !s.cfg.PDUs || !f.Type.IsPDU() {
				n, err = i, &endpoint.DropError{Reason: endpoint.ReasonUnsupported, One: true, Err: fmt.Errorf("cannelloni cannot carry %s frames (pdus: true on both ends carries ISO-TP, J1939 and Ethernet)", f.Type)}
				break
			}
			p := cannelloni.PDU{Kind: uint8(f.Type), Flags: f.Flags, Addr: f.Addr, ID: f.ID, Data: f.Data[:f.Len]}
			s.buf = cannelloni.AppendStreamPDU(s.buf, &p)
			continue
		}
		s.buf = frame.AppendCannelloni(s.buf, f)
	}
	ok := 0
	for cl := range s.clients {
		cl.c.SetWriteDeadline(time.Now().Add(WriteTimeout))
		if _, werr := cl.c.Write(s.buf); werr != nil {
			s.log.Log(slog.LevelWarn, cl.key, "write to peer failed; disconnecting", "peer", cl.addr, "err", werr)
			cl.c.Close()
			delete(s.clients, cl)
			continue
		}
		ok++
	}
	if ok == 0 {
		return 0, &endpoint.DropError{Reason: endpoint.ReasonNoPeer, Err: errors.New("every peer failed")}
	}
	return n, err
}

func (s *conn) Close() error {
	var err error
	if s.ln != nil {
		err = s.ln.Close()
	}
	s.mu.Lock()
	for cl := range s.clients {
		cl.c.Close()
	}
	s.mu.Unlock()
	s.log.Flush()
	return err
}
