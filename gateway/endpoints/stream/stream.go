package stream

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/fieldgate/fieldgate/gateway/cannelloni"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/internal/access"
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
	tlsCfg *tls.Config

	mu      sync.Mutex
	clients map[*client]struct{}
	buf     []byte
	wg      sync.WaitGroup
}

var _ endpoint.Transceiver = (*conn)(nil)

type client struct {
	c    net.Conn
	addr string
}

// handshakeTimeout bounds how long a peer may take to send CANNELLONIv1.
const handshakeTimeout = 5 * time.Second

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
	s := &conn{cfg: cfg, env: e, clients: map[*client]struct{}{}, allow: access.ParsePeers(cfg.AllowPeers)}
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
		tc := tls.Client(c, s.tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, err
		}
		return tc, nil
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
			if !s.admit(c) {
				continue
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serve(ctx, c, deliver)
			}()
		}
	}
	// Client: connect, serve until the peer goes away, back off, repeat.
	delay := s.cfg.Reconnect.Min
	for {
		c, err := s.dial(ctx)
		if err == nil {
			delay = s.cfg.Reconnect.Min
			s.serve(ctx, c, deliver)
		} else {
			s.env.Log.Debug("connect failed", "err", err, "retry", delay)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		if err != nil {
			delay = min(delay*2, s.cfg.Reconnect.Max)
		}
	}
}

// admit applies the peer address restriction and the client limit.
func (s *conn) admit(c net.Conn) bool {
	if len(s.allow) > 0 {
		ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
		if err != nil || !s.allow.Allowed(ap.Addr()) {
			s.env.Log.Warn("peer refused by allow_peers", "peer", c.RemoteAddr())
			s.env.Drop(endpoint.ReasonAuth, 0)
			c.Close()
			return false
		}
	}
	s.mu.Lock()
	n := len(s.clients)
	s.mu.Unlock()
	if n >= s.cfg.MaxClients {
		s.env.Log.Warn("client refused: max_clients reached", "peer", c.RemoteAddr(), "max_clients", s.cfg.MaxClients)
		c.Close()
		return false
	}
	return true
}

// serve runs one connection: handshake, then decode frames until EOF or a
// protocol error (the peer is disconnected and counted).
func (s *conn) serve(ctx context.Context, c net.Conn, deliver func([]frame.Frame)) {
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	defer c.Close()
	if tc, ok := c.(interface{ SetNoDelay(bool) error }); ok {
		tc.SetNoDelay(true)
	}
	c.SetDeadline(time.Now().Add(handshakeTimeout))
	if _, err := io.WriteString(c, cannelloni.Handshake); err != nil {
		return
	}
	var hs [len(cannelloni.Handshake)]byte
	if _, err := io.ReadFull(c, hs[:]); err != nil || string(hs[:]) != cannelloni.Handshake {
		s.env.Log.Warn("bad handshake", "peer", c.RemoteAddr(), "got", fmt.Sprintf("%q", hs[:]), "err", err)
		s.env.Drop(endpoint.ReasonMalformed, 0)
		return
	}
	c.SetDeadline(time.Time{})
	cl := &client{c: c, addr: remoteName(c)}
	s.mu.Lock()
	s.clients[cl] = struct{}{}
	s.mu.Unlock()
	s.env.Stats.Peers.Add(1)
	s.env.Stats.Connects.Add(1)
	s.env.Log.Info("peer connected", "peer", cl.addr)
	defer func() {
		s.mu.Lock()
		delete(s.clients, cl)
		s.mu.Unlock()
		s.env.Stats.Peers.Add(-1)
		s.env.Log.Info("peer disconnected", "peer", cl.addr)
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
					s.env.Log.Warn("peer sent a malformed frame; disconnecting", "peer", cl.addr, "err", derr)
					return
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
			return
		}
	}
}

// remoteName names a peer in logs: its address, or "local" for a peer
// without one (a unix socket client).
func remoteName(c net.Conn) string {
	if a := c.RemoteAddr(); a != nil && a.String() != "" {
		return a.String()
	}
	return "local"
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
			s.env.Log.Warn("write to peer failed; disconnecting", "peer", cl.addr, "err", werr)
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
	return err
}
