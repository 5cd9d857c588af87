package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/fieldgate/fieldgate/gateway/cannelloni"
	"github.com/fieldgate/fieldgate/gateway/config"
)

// streamConn speaks cannelloni's TCP framing ("CANNELLONIv1" handshake, then
// frames back to back) over TCP, unix or vsock streams, as a server with many
// clients or as a client that reconnects with backoff. Frames received from
// any client enter the gateway; frames sent go to every client.
type streamConn struct {
	cfg    *config.Endpoint
	env    *env
	ln     net.Listener
	dial   func(ctx context.Context) (net.Conn, error)
	allow  []netip.Prefix
	tlsCfg *tls.Config

	mu      sync.Mutex
	clients map[*streamClient]struct{}
	buf     []byte
	wg      sync.WaitGroup
}

type streamClient struct {
	c    net.Conn
	addr string
}

// handshakeTimeout bounds how long a peer may take to send CANNELLONIv1.
const handshakeTimeout = 5 * time.Second

// writeTimeout bounds a write to one client; a client that cannot keep up
// is disconnected instead of stalling the others.
const writeTimeout = 2 * time.Second

func loadTLS(t *config.TLS, server bool) (*tls.Config, error) {
	if t == nil {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if t.Cert != "" {
		if st, err := os.Stat(t.Key); err == nil && st.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("tls key %s has mode %04o: it must not be accessible by group or others (run: chmod 600 %s)", t.Key, st.Mode().Perm(), t.Key)
		}
		cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	if t.CA != "" {
		pem, err := os.ReadFile(t.CA)
		if err != nil {
			return nil, fmt.Errorf("tls ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls ca %s: no PEM certificates found", t.CA)
		}
		if server {
			c.ClientCAs = pool
			c.ClientAuth = tls.RequireAndVerifyClientCert
		} else {
			c.RootCAs = pool
		}
	}
	return c, nil
}

func openStream(ctx context.Context, cfg *config.Endpoint, e *env) (Conn, error) {
	s := &streamConn{cfg: cfg, env: e, clients: map[*streamClient]struct{}{}, allow: parseAllow(cfg.AllowPeers)}
	var err error
	if s.tlsCfg, err = loadTLS(cfg.TLS, cfg.Mode == "server"); err != nil {
		return nil, err
	}
	network := "tcp"
	if cfg.Kind == config.KindUnix {
		network = "unix"
		if cfg.SocketType == "seqpacket" {
			network = "unixpacket"
		}
	}
	if cfg.Mode == "server" {
		switch cfg.Kind {
		case config.KindVsock:
			s.ln, err = listenVsock(cfg.Port)
		case config.KindUnix:
			if st, err := os.Lstat(cfg.Path); err == nil && st.Mode()&os.ModeSocket != 0 {
				os.Remove(cfg.Path) // stale socket from a previous run
			}
			s.ln, err = net.Listen(network, cfg.Path)
		default:
			s.ln, err = net.Listen(network, cfg.Listen)
		}
		if err != nil {
			return nil, err
		}
		if s.tlsCfg != nil {
			s.ln = tls.NewListener(s.ln, s.tlsCfg)
		}
		return s, nil
	}
	var d net.Dialer
	s.dial = func(ctx context.Context) (net.Conn, error) {
		var c net.Conn
		var err error
		switch cfg.Kind {
		case config.KindVsock:
			c, err = dialVsock(cfg.CID, cfg.Port)
		case config.KindUnix:
			c, err = d.DialContext(ctx, network, cfg.Path)
		default:
			c, err = d.DialContext(ctx, network, cfg.Peer)
		}
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
func (s *streamConn) Addr() net.Addr {
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

func (s *streamConn) Receive(ctx context.Context, deliver func([]Frame)) error {
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
			s.env.log.Debug("connect failed", "err", err, "retry", delay)
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
func (s *streamConn) admit(c net.Conn) bool {
	if len(s.allow) > 0 {
		ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
		if err != nil || !peerAllowed(s.allow, ap.Addr()) {
			s.env.log.Warn("peer refused by allow_peers", "peer", c.RemoteAddr())
			s.env.drop(ReasonAuth, 0)
			c.Close()
			return false
		}
	}
	s.mu.Lock()
	n := len(s.clients)
	s.mu.Unlock()
	if n >= s.cfg.MaxClients {
		s.env.log.Warn("client refused: max_clients reached", "peer", c.RemoteAddr(), "max_clients", s.cfg.MaxClients)
		c.Close()
		return false
	}
	return true
}

// serve runs one connection: handshake, then decode frames until EOF or a
// protocol error (the peer is disconnected and counted).
func (s *streamConn) serve(ctx context.Context, c net.Conn, deliver func([]Frame)) {
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
		s.env.log.Warn("bad handshake", "peer", c.RemoteAddr(), "got", fmt.Sprintf("%q", hs[:]), "err", err)
		s.env.drop(ReasonMalformed, 0)
		return
	}
	c.SetDeadline(time.Time{})
	cl := &streamClient{c: c, addr: remoteName(c)}
	s.mu.Lock()
	s.clients[cl] = struct{}{}
	s.mu.Unlock()
	s.env.stats.peers.Add(1)
	s.env.stats.connects.Add(1)
	s.env.log.Info("peer connected", "peer", cl.addr)
	defer func() {
		s.mu.Lock()
		delete(s.clients, cl)
		s.mu.Unlock()
		s.env.stats.peers.Add(-1)
		s.env.log.Info("peer disconnected", "peer", cl.addr)
	}()
	var dec cannelloni.StreamDecoder
	var cf cannelloni.Frame
	var pdu cannelloni.PDU
	rbuf := make([]byte, 32<<10)
	batch := make([]Frame, batchSize)
	for {
		n, err := c.Read(rbuf)
		if n > 0 {
			dec.Write(rbuf[:n])
			k := 0
			for {
				var isPDU, ok bool
				var derr error
				if s.cfg.PDUs {
					isPDU, ok, derr = dec.NextRecord(&cf, &pdu, MaxData)
					if ok && isPDU && !pduKind(Kind(pdu.Kind)) {
						derr = fmt.Errorf("PDU record of unknown kind %d", pdu.Kind)
					}
				} else {
					ok, derr = dec.Next(&cf)
				}
				if derr != nil {
					if k > 0 {
						deliver(batch[:k])
					}
					s.env.drop(ReasonMalformed, 1)
					s.env.log.Warn("peer sent a malformed frame; disconnecting", "peer", cl.addr, "err", derr)
					return
				}
				if !ok {
					break
				}
				if isPDU {
					f := &batch[k]
					f.Kind, f.Flags, f.Addr, f.ID, f.Time = Kind(pdu.Kind), pdu.Flags, pdu.Addr, pdu.ID, 0
					f.Len = uint16(copy(f.Data[:], pdu.Data))
				} else {
					fromCannelloni(&batch[k], &cf)
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
				s.env.drop(ReasonMalformed, 1) // a truncated last frame
			}
			return
		}
	}
}

func remoteName(c net.Conn) string {
	if a := c.RemoteAddr(); a != nil && a.String() != "" {
		return a.String()
	}
	return "local"
}

func (s *streamConn) Send(ctx context.Context, frames []Frame) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.clients) == 0 {
		return 0, &DropError{Reason: ReasonNoPeer}
	}
	s.buf = s.buf[:0]
	n := len(frames)
	var err error
	for i := range frames {
		f := &frames[i]
		if !f.IsCAN() {
			if !s.cfg.PDUs || !pduKind(f.Kind) {
				n, err = i, &DropError{Reason: ReasonUnsupported, One: true, Err: fmt.Errorf("cannelloni cannot carry %s frames (pdus: true on both ends carries ISO-TP, J1939 and Ethernet)", f.Kind)}
				break
			}
			p := cannelloni.PDU{Kind: uint8(f.Kind), Flags: f.Flags, Addr: f.Addr, ID: f.ID, Data: f.Data[:f.Len]}
			s.buf = cannelloni.AppendStreamPDU(s.buf, &p)
			continue
		}
		s.buf = appendCannelloni(s.buf, f)
	}
	ok := 0
	for cl := range s.clients {
		cl.c.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, werr := cl.c.Write(s.buf); werr != nil {
			s.env.log.Warn("write to peer failed; disconnecting", "peer", cl.addr, "err", werr)
			cl.c.Close()
			delete(s.clients, cl)
			continue
		}
		ok++
	}
	if ok == 0 {
		return 0, &DropError{Reason: ReasonNoPeer, Err: errors.New("every peer failed")}
	}
	return n, err
}

func (s *streamConn) Close() error {
	var err error
	if s.ln != nil {
		err = s.ln.Close()
		if s.cfg.Kind == config.KindUnix {
			os.Remove(s.cfg.Path)
		}
	}
	s.mu.Lock()
	for cl := range s.clients {
		cl.c.Close()
	}
	s.mu.Unlock()
	return err
}
