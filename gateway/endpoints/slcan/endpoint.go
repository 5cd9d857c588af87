package slcan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/can/slcan"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/internal/peerlimit"
)

// WriteTimeout bounds one write to the peer; a peer that does not read
// for this long loses its connection (a pty: the channel closes).
const WriteTimeout = 2 * time.Second

// ep is one slcan endpoint: the protocol of its role over a Transport,
// one Conn at a time.
type ep struct {
	opt   Options
	t     Transport
	env   *endpoint.Env
	log   *peerlimit.Log
	what  string // the transport, for logs
	first Conn   // a Conn opened by Open, used by the first session

	rd    *slcan.Reader
	rdFor Conn // the Conn rd reads (a pty's master stays the same)

	closed atomic.Bool // Close was called: Receive connects no more

	mu   sync.Mutex // guards cur, wbuf and writes to cur's Conn
	cur  *session
	wbuf []byte
	cf   can.FDFrame

	// The session goroutine's own buffers.
	rf     can.FDFrame
	rbuf   []byte
	frames []frame.Frame
}

// batch returns the session goroutine's frame batch.
func (s *ep) batch() []frame.Frame {
	if s.frames == nil {
		s.frames = make([]frame.Frame, endpoint.BatchSize)
	}
	return s.frames
}

// session is the state of one Conn.
type session struct {
	c Conn
	// open: host: the open sequence completed; device: the peer opened
	// the channel (O or L).
	open       bool
	listenOnly bool // device: the peer opened with L
	timestamps bool // device: the peer turned timestamps on (Z1)
	dead       bool // a write failed: the session is ending
}

var _ endpoint.Transceiver = (*ep)(nil)

// Open opens an SLCAN endpoint of options opt over transport t: the
// protocol runs in Receive, one Conn at a time, reconnecting with opt's
// backoff. It is the hook for kinds with transports of their own.
func Open(ctx context.Context, opt *Options, t Transport, e *endpoint.Env) (endpoint.Transceiver, error) {
	s := &ep{opt: *opt, t: t, env: e, log: &peerlimit.Log{Logger: e.Log, Suppressed: &e.Stats.LogSuppressed},
		wbuf: make([]byte, 0, endpoint.BatchSize*(slcan.MaxLine+1)), rbuf: make([]byte, 0, 4096)}
	s.what = fmt.Sprintf("%T", t)
	if d, ok := t.(Describer); ok {
		s.what = d.Describe()
	}
	return s, nil
}

func openKind(ctx context.Context, ec *config.Endpoint, e *endpoint.Env) (endpoint.Transceiver, error) {
	c := ec.Settings.(*Config)
	if c.Transport != TransportTCP && c.Transport != TransportRFCOMM {
		if err := ptySupported(); err != nil {
			return nil, err
		}
	}
	var t Transport
	var first Conn
	switch c.Transport {
	case TransportSerial:
		t = SerialTransport(c.Device, c.Baud)
		var err error
		// A device that is not there (yet) is waited for; one that
		// cannot be opened (permissions, not a tty) fails the open.
		if first, err = t.Connect(ctx); errors.Is(err, os.ErrNotExist) {
			e.Log.Warn("serial device not present; opening it when it appears", "device", c.Device)
		} else if err != nil {
			return nil, fmt.Errorf("serial device: %w", err)
		}
	case TransportPTY:
		p, err := NewPTY(c.Link)
		if err != nil {
			return nil, err
		}
		e.Log.Info("pty ready: open its slave as the adapter's serial device", "slave", p.Slave(), "link", p.Link())
		t = p
	case TransportTCP:
		if c.Mode == config.Server {
			var lc net.ListenConfig
			ln, err := lc.Listen(ctx, "tcp", c.Listen)
			if err != nil {
				return nil, err
			}
			log := &peerlimit.Log{Logger: e.Log, Suppressed: &e.Stats.LogSuppressed}
			t = NewServer(ln, func(a net.Addr) {
				e.Stats.Rejected.Add(endpoint.ConnMaxClients)
				log.Log(slog.LevelWarn, "refused", "connection refused: a peer is connected (one at a time)", "peer", a.String())
			})
		} else {
			peer := c.Peer
			t = Dialer(func(ctx context.Context) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "tcp", peer)
			})
		}
	case TransportRFCOMM:
		var err error
		if t, err = rfcommTransport(ctx, c.RFCOMM, c.Mode, e); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("unknown transport " + c.Transport)
	}
	tr, err := Open(ctx, &c.Options, t, e)
	if err != nil {
		t.Close()
		if first != nil {
			first.Close()
		}
		return nil, err
	}
	s := tr.(*ep)
	s.first = first
	if c.Transport == TransportTCP {
		s.what = "tcp " + c.Listen + c.Peer
		if srv, ok := t.(*Server); ok {
			s.what = "tcp server " + srv.Addr().String()
		}
	}
	return s, nil
}

// Addr returns the listening address of a TCP server endpoint, or nil.
func (s *ep) Addr() net.Addr {
	if srv, ok := s.t.(*Server); ok {
		return srv.Addr()
	}
	return nil
}

// Transport returns the endpoint's transport (tests: a PTY's slave).
func (s *ep) Transport() Transport { return s.t }

func (s *ep) Receive(ctx context.Context, deliver func([]frame.Frame)) error {
	delay := s.opt.Reconnect.Min
	s.mu.Lock()
	c := s.first
	s.first = nil
	s.mu.Unlock()
	for {
		var err error
		if c == nil {
			if s.closed.Load() {
				return net.ErrClosed
			}
			c, err = s.t.Connect(ctx)
		}
		linked := false
		if err == nil {
			linked = s.run(ctx, c, deliver)
		} else if ctx.Err() == nil {
			s.log.Log(slog.LevelDebug, "connect", "connect failed", "transport", s.what, "err", err, "retry", delay)
		}
		c = nil
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if s.closed.Load() {
			return net.ErrClosed
		}
		if errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed) {
			return err
		}
		if linked {
			delay = s.opt.Reconnect.Min
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		if !linked {
			delay = min(delay*2, s.opt.Reconnect.Max)
		}
	}
}

// run speaks the role's protocol on c until it ends, and reports whether
// it got as far as exchanging frames (host: the open sequence completed).
func (s *ep) run(ctx context.Context, c Conn, deliver func([]frame.Frame)) bool {
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	defer c.Close()
	if s.rdFor != c || s.rd == nil {
		if s.rd == nil {
			s.rd = slcan.NewReader(c)
		} else {
			s.rd.Reset(c)
		}
		s.rdFor = c
	}
	ss := &session{c: c}
	s.mu.Lock()
	s.cur = ss
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.cur = nil
		s.mu.Unlock()
	}()
	if s.opt.Role == Device {
		return s.device(ctx, ss, deliver)
	}
	return s.host(ctx, ss, deliver)
}

// write writes b to the session's Conn; s.mu is held. A failed write ends
// the session.
func (s *ep) writeLocked(ss *session, b []byte) error {
	if ss.dead {
		return net.ErrClosed
	}
	ss.c.SetWriteDeadline(time.Now().Add(WriteTimeout))
	if _, err := ss.c.Write(b); err != nil {
		ss.dead = true
		ss.c.Close()
		s.log.Log(slog.LevelWarn, "write", "write failed; closing the connection", "transport", s.what, "err", err)
		return err
	}
	return nil
}

// Send writes frames as SLCAN lines: to the adapter (host, once the open
// sequence completed) or to the peer (device, while it has the channel
// open). Frames other than CAN, CAN FD without fd: true, and error
// frames are dropped as unsupported.
func (s *ep) Send(ctx context.Context, frames []frame.Frame) (int, error) {
	if s.opt.Role == Host && s.opt.ListenOnly {
		return 0, &endpoint.DropError{Reason: endpoint.ReasonUnsupported, Err: errors.New("the adapter is open listen-only")}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.cur
	if ss == nil || !ss.open || ss.dead {
		if s.opt.Role == Host {
			return 0, &endpoint.DropError{Reason: endpoint.ReasonLinkDown, Err: errors.New("adapter not open")}
		}
		return 0, &endpoint.DropError{Reason: endpoint.ReasonNoPeer, Err: errors.New("the channel is not open (the peer has not sent O or L)")}
	}
	s.wbuf = s.wbuf[:0]
	n := len(frames)
	var ferr error
	for i := range frames {
		f := &frames[i]
		if why := s.unsupported(f); why != "" {
			n, ferr = i, &endpoint.DropError{Reason: endpoint.ReasonUnsupported, One: true, Err: errors.New(why)}
			break
		}
		frame.ToCAN(&s.cf, f)
		ts := slcan.NoTimestamp
		if ss.timestamps {
			t := f.Time
			if t == 0 {
				t = time.Now().UnixNano()
			}
			ts = int(t / int64(time.Millisecond) % 60000)
		}
		s.wbuf, _ = slcan.AppendFrame(s.wbuf, &s.cf, ts)
	}
	if len(s.wbuf) > 0 {
		if err := s.writeLocked(ss, s.wbuf); err != nil {
			return 0, &endpoint.DropError{Reason: endpoint.ReasonWriteError, Err: err}
		}
	}
	return n, ferr
}

// unsupported says why f cannot be sent, or "".
func (s *ep) unsupported(f *frame.Frame) string {
	switch {
	case !f.IsCAN():
		return "SLCAN carries CAN frames only, not " + f.Type.String()
	case f.ID&frame.CANERRFlag != 0:
		return "SLCAN has no line for error frames"
	case f.Type == frame.CANFD && !s.opt.FD:
		return "CAN FD frame: set fd: true if the adapter or peer speaks the d/D/b/B lines"
	case f.Type == frame.CANFD && f.ID&frame.CANRTRFlag != 0:
		return "CAN FD has no remote frames"
	case f.Type == frame.CAN && f.Len > 8:
		return "classic CAN frame longer than 8 bytes"
	case f.Type == frame.CANFD && f.Len > 64:
		return "CAN FD frame longer than 64 bytes"
	}
	return ""
}

func (s *ep) Close() error {
	s.closed.Store(true)
	err := s.t.Close()
	s.mu.Lock()
	if s.first != nil {
		s.first.Close()
		s.first = nil
	}
	if s.cur != nil {
		s.cur.c.Close()
	}
	s.mu.Unlock()
	s.log.Flush()
	return err
}

// lineErr logs a line the peer or adapter sent that is not SLCAN, counted
// as malformed.
func (s *ep) malformed(line []byte, err error) {
	s.env.Drop(endpoint.ReasonMalformed, 1)
	s.log.Log(slog.LevelWarn, "malformed", "malformed SLCAN line", "transport", s.what, "line", string(clip(line)), "err", err)
}

// oversize counts and logs a line longer than any SLCAN line: the
// connection is closed (a pty's channel is closed).
func (s *ep) oversize() {
	s.env.Drop(endpoint.ReasonOversize, 1)
	s.log.Log(slog.LevelWarn, "oversize", "line longer than any SLCAN line; disconnecting", "transport", s.what, "max", slcan.MaxLine)
}

func clip(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}
