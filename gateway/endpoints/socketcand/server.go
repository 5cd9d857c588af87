package socketcand

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/internal/access"
	"github.com/fieldgate/fieldgate/gateway/internal/peerlimit"
	"github.com/fieldgate/fieldgate/gateway/internal/tlsconf"
	proto "github.com/fieldgate/fieldgate/gateway/socketcand"
)

// server is a socketcand server: many clients at once, raw mode (every
// frame), BCM mode (subscriptions, content filters, cyclic transmissions
// emulated in user space on routed frames; muxfilter on a kernel BCM socket
// per client), control mode (statistics) and ISO-TP mode (a kernel ISO-TP
// socket per client channel). muxfilter and ISO-TP mode need the endpoint's
// interface option and go only as far as the routes allow (Env.BusAccess,
// kernel.go). CAN FD frames go to raw-mode clients as
// "< fdframe … >" and come from them with "fdsend" (socketcand 0.6.1+);
// BCM mode is classic CAN only.
type server struct {
	cfg   *Config
	env   *endpoint.Env
	ln    net.Listener
	allow access.Peers

	slots     *peerlimit.Slots // max_clients, max_clients_per_peer
	log       *peerlimit.Log   // per-peer rate-limited log lines
	hsTimeout time.Duration    // handshake_timeout

	mu      sync.RWMutex
	clients []*client // in the order they connected; a slice: Send walks it per batch
	wg      sync.WaitGroup
	beacon  *net.UDPConn

	rawN    atomic.Int32 // clients in raw mode: every CAN frame has a taker
	aligned bool         // framing: aligned
	rtrDrop bool         // rtr: drop

	// sendMu guards the raw-mode encoding of the batch being fanned out,
	// made once per batch and written to every raw-mode client.
	sendMu sync.Mutex
	enc    []byte
	ends   []int // end of each frame's message in enc

	// direct counts how Send's writes went (tests): batches or their rest
	// left to a client's writer goroutine (queued), and direct writes the
	// socket took only in part (partial).
	direct struct{ queued, partial atomic.Uint64 }
}

// Client modes.
const (
	modeNone = iota
	modeBCM
	modeRaw
	modeControl
	modeISOTP
)

// verbs are the commands each mode accepts besides echo and the mode
// switches, as in socketcand's state_*.c; others get "< error unknown
// command >".
var verbs = [...][]string{
	modeBCM:     {"send", "sendrtr", "add", "update", "delete", "filter", "muxfilter", "subscribe", "unsubscribe"},
	modeRaw:     {"send", "fdsend"},
	modeControl: {"statistics"},
	modeISOTP:   {"isotpconf", "sendpdu"},
}

// maxClientBacklog bounds the unsent bytes per client; a client further
// behind loses frames (counted, reason queue_overflow).
const maxClientBacklog = 1 << 20

// coalesceGap: a batch that comes less than this after the previous write
// to a client goes to its writer goroutine, which writes whatever piled up
// meanwhile in one write; a batch that comes later (up to 4 000 batches/s,
// which covers a paced bus with one frame per batch) is written by Send
// itself, with no goroutine switch. Under a flood of small batches, one
// write system call per batch and client would cost more than the switch.
const coalesceGap = 250 * time.Microsecond

// keepBuf is the largest output buffer a client keeps between writes; a
// larger one (a client that fell behind) is released once written.
const keepBuf = 256 << 10

// signal wakes the goroutine waiting on c without blocking.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// RawHold delays frames after "< ok >" to rawmode so that clients which read
// "< ok >" with one recv (python-can) never see a frame in the same read.
const RawHold = 150 * time.Millisecond

type client struct {
	s    *server
	c    net.Conn
	dw   *directWriter // plain TCP on Linux: Send writes without waiting; nil: the writer writes
	addr string
	key  string // peer key: its slot and its log budget
	wake chan struct{}

	// wmu serialises writes to c (the writer goroutine, replies, and Send's
	// writes that do not wait); it is taken before mu, or tried while
	// holding mu.
	wmu       sync.Mutex
	lastWrite atomic.Int64 // when c was last written to (monotonic ns, see now)

	mu        sync.Mutex
	mode      int
	holdUntil time.Time
	out       []byte
	closed    bool
	subs      map[uint32]*subscription
	jobs      map[uint32]*job
	rb, rp    atomic.Uint64 // bytes/frames received from the bus (sent to the client)
	tb, tp    atomic.Uint64 // bytes/frames sent to the bus (from the client)
	statStop  chan struct{}
	isotp     *channel // ISO-TP mode: the open channel
	bcm       *bcmSock // BCM mode: the kernel socket of muxfilter
}

type subscription struct {
	interval time.Duration
	last     time.Time
	mask     []byte // content filter: nil = every frame
	prev     [8]byte
	seen     bool
}

type job struct {
	stop chan struct{}
	mu   sync.Mutex
	f    frame.Frame
}

var _ endpoint.Transceiver = (*server)(nil)

func open(ctx context.Context, ec *config.Endpoint, e *endpoint.Env) (endpoint.Transceiver, error) {
	cfg := ec.Settings.(*Config)
	s := &server{cfg: cfg, env: e, allow: access.ParsePeers(cfg.AllowPeers),
		aligned: cfg.Framing != FramingCompact, rtrDrop: cfg.RTR != RTRMessage,
		slots:     peerlimit.NewSlots(cfg.MaxClients, peerlimit.MaxPerPeer(cfg.MaxClientsPerPeer, cfg.MaxClients)),
		log:       &peerlimit.Log{Logger: e.Log, Suppressed: &e.Stats.LogSuppressed},
		hsTimeout: peerlimit.HandshakeTimeout(cfg.HandshakeTimeout)}
	tc, err := tlsconf.Load(cfg.TLS, true)
	if err != nil {
		return nil, err
	}
	s.ln, err = net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, err
	}
	if tc != nil {
		s.ln = tls.NewListener(s.ln, tc)
	}
	return s, nil
}

// Addr returns the listening address.
func (s *server) Addr() net.Addr { return s.ln.Addr() }

func (s *server) Receive(ctx context.Context, deliver func([]frame.Frame)) error {
	defer s.wg.Wait()
	stop := context.AfterFunc(ctx, func() { s.ln.Close() })
	defer stop()
	if s.cfg.Beacon {
		go s.runBeacon(ctx)
	}
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
		if len(s.allow) > 0 && (!p.Addr.IsValid() || !s.allow.Allowed(p.Addr)) {
			s.reject(c, p, endpoint.ConnNotAllowed)
			s.env.Drop(endpoint.ReasonAuth, 1)
			continue
		}
		if r, ok := s.slots.Acquire(p.Key); !ok {
			s.reject(c, p, r)
			continue
		}
		// From here the client holds a slot until close, and must open
		// the bus within the handshake timeout (serve).
		c.SetReadDeadline(time.Now().Add(s.hsTimeout))
		cl := &client{s: s, c: c, dw: newDirect(c), addr: p.Name, key: p.Key, wake: make(chan struct{}, 1),
			subs: map[uint32]*subscription{}, jobs: map[uint32]*job{}}
		s.mu.Lock()
		s.clients = append(s.clients, cl)
		s.mu.Unlock()
		s.env.Stats.Peers.Add(1)
		s.env.Stats.Connects.Add(1)
		s.wg.Add(2)
		go func() { defer s.wg.Done(); cl.writer(ctx) }()
		go func() { defer s.wg.Done(); cl.serve(ctx, deliver) }()
	}
}

// reject closes c, counts it under r and logs it (rate-limited per peer).
func (s *server) reject(c net.Conn, p peerlimit.Peer, r endpoint.ConnReason) {
	// Counted before the close: whoever sees the connection end sees it
	// counted.
	s.env.Stats.Rejected.Add(r)
	c.Close()
	msg := "socketcand client refused: " + r.String()
	if r == endpoint.ConnNotAllowed {
		msg = "peer refused by allow_peers"
	}
	s.log.Log(slog.LevelWarn, p.Key, msg, "peer", p.Name, "max_clients", s.cfg.MaxClients,
		"max_clients_per_peer", peerlimit.MaxPerPeer(s.cfg.MaxClientsPerPeer, s.cfg.MaxClients))
}

// runBeacon broadcasts the discovery beacon every 3 s to UDP port 42000.
func (s *server) runBeacon(ctx context.Context) {
	c, err := net.ListenUDP("udp4", nil)
	if err != nil {
		s.env.Log.Warn("beacon disabled", "err", err)
		return
	}
	defer c.Close()
	host := "fieldgate"
	msg := fmt.Sprintf(`<CANBeacon name="%s" type="SocketCAN" description="fieldgate socketcand endpoint %s"><URL>can://%s</URL><Bus name="%s"/></CANBeacon>`,
		host, s.env.Name, s.ln.Addr(), s.cfg.Bus)
	dst := &net.UDPAddr{IP: net.IPv4bcast, Port: 42000}
	t := time.NewTicker(3 * time.Second)
	defer t.Stop()
	for {
		c.WriteToUDP([]byte(msg), dst)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// say writes a control reply as its own write, after the frame output
// queued before it (clients read replies with a single recv and compare
// them exactly).
func (cl *client) say(msg string) {
	cl.wmu.Lock()
	defer cl.wmu.Unlock()
	cl.mu.Lock()
	if cl.closed {
		cl.mu.Unlock()
		return
	}
	pending := cl.out
	cl.out = nil
	cl.mu.Unlock()
	cl.c.SetWriteDeadline(time.Now().Add(stream.WriteTimeout))
	if len(pending) > 0 {
		cl.c.Write(pending)
	}
	cl.c.Write([]byte(msg))
}

// epoch anchors now.
var epoch = time.Now()

// now is a monotonic clock in nanoseconds.
func now() int64 { return int64(time.Since(epoch)) }

// writer writes the frame output Send could not write at once: while the
// client is held after "< ok >" to rawmode, while another write is in
// progress, or what the socket did not take.
func (cl *client) writer(ctx context.Context) {
	var buf []byte
	for {
		select {
		case <-ctx.Done():
			return
		case <-cl.wake:
		}
		cl.wmu.Lock()
		cl.mu.Lock()
		if cl.closed {
			cl.mu.Unlock()
			cl.wmu.Unlock()
			return
		}
		if !cl.holdUntil.IsZero() {
			if wait := time.Until(cl.holdUntil); wait > 0 {
				cl.mu.Unlock()
				cl.wmu.Unlock()
				time.Sleep(wait)
				signal(cl.wake)
				continue
			}
			cl.holdUntil = time.Time{}
		}
		buf, cl.out = cl.out, buf[:0]
		cl.mu.Unlock()
		if len(buf) > 0 {
			cl.lastWrite.Store(now())
			cl.c.SetWriteDeadline(time.Now().Add(stream.WriteTimeout))
			if _, err := cl.c.Write(buf); err != nil {
				cl.wmu.Unlock()
				cl.s.log.Log(slog.LevelWarn, cl.key, "socketcand client too slow or gone; disconnecting", "peer", cl.addr, "err", err)
				cl.c.Close()
				return
			}
		}
		cl.wmu.Unlock()
		if cap(buf) > keepBuf {
			// Release what a backlog grew once the client has caught up.
			cl.mu.Lock()
			if len(cl.out) == 0 {
				buf, cl.out = nil, nil
			}
			cl.mu.Unlock()
		}
	}
}

// canDirectLocked reports whether Send may write to the client itself
// now, without waiting: a plain TCP connection (dw), nothing queued for the
// writer goroutine, the previous write at least coalesceGap ago (t is
// now()), and no hold after "< ok >" to rawmode. cl.mu is held.
func (cl *client) canDirectLocked(t int64) bool {
	if cl.dw == nil || len(cl.out) > 0 || t-cl.lastWrite.Load() < int64(coalesceGap) {
		return false
	}
	if !cl.holdUntil.IsZero() {
		if time.Now().Before(cl.holdUntil) {
			return false
		}
		cl.holdUntil = time.Time{}
	}
	return true
}

// writeLocked writes p to the client from the caller's goroutine, as far
// as the socket takes it without waiting, when canDirectLocked and no other
// write is in progress (wmu is free); whatever is left (all of p
// otherwise) is queued for the writer goroutine, which is woken only then.
// So a client that keeps up costs one write system call per batch and no
// goroutine switch; a slow one falls back to its queue (bounded by
// maxClientBacklog in fanout) and never holds up the others. p must not
// alias cl.out; t is now(); cl.mu is held.
func (cl *client) writeLocked(p []byte, t int64) {
	if cl.canDirectLocked(t) && cl.wmu.TryLock() {
		cl.lastWrite.Store(t)
		n := cl.dw.try(p)
		cl.wmu.Unlock()
		if n == len(p) {
			return
		}
		p = p[n:]
		cl.s.direct.partial.Add(1)
	}
	cl.out = append(cl.out, p...)
	cl.s.direct.queued.Add(1)
	signal(cl.wake)
}

// flushLocked writes cl.out (BCM mode, which formats per client) as
// writeLocked does; start is where this batch's messages begin in it. t is
// now(); cl.mu is held.
func (cl *client) flushLocked(start int, t int64) {
	if len(cl.out) == start {
		return
	}
	if start == 0 && cl.dw != nil && t-cl.lastWrite.Load() >= int64(coalesceGap) && cl.wmu.TryLock() {
		held := !cl.holdUntil.IsZero() && time.Now().Before(cl.holdUntil)
		if !held {
			cl.holdUntil = time.Time{}
			cl.lastWrite.Store(t)
			n := cl.dw.try(cl.out)
			if n == len(cl.out) {
				cl.wmu.Unlock()
				cl.out = cl.out[:0]
				return
			}
			cl.out = cl.out[:copy(cl.out, cl.out[n:])]
		}
		cl.wmu.Unlock()
	}
	cl.s.direct.queued.Add(1)
	signal(cl.wake)
}

func (cl *client) close() {
	cl.mu.Lock()
	if cl.closed {
		cl.mu.Unlock()
		return
	}
	cl.closed = true
	if cl.mode == modeRaw {
		cl.s.rawN.Add(-1)
	}
	cl.mode = modeNone
	cl.out = nil
	for id, j := range cl.jobs {
		close(j.stop)
		delete(cl.jobs, id)
	}
	if cl.statStop != nil {
		close(cl.statStop)
	}
	cl.mu.Unlock()
	cl.closeISOTP()
	cl.closeBCM()
	cl.c.Close()
	signal(cl.wake)
	s := cl.s
	s.mu.Lock()
	if i := slices.Index(s.clients, cl); i >= 0 {
		s.clients = slices.Delete(s.clients, i, i+1)
	}
	last := len(s.clients) == 0
	s.mu.Unlock()
	s.env.Stats.Peers.Add(-1)
	s.slots.Release(cl.key)
	if last {
		releaseMemory()
	}
}

// releaseMinInterval spaces releaseMemory's collections.
const releaseMinInterval = 5 * time.Second

// release is releaseMemory's state: when it last ran, and whether one is
// pending.
var release struct {
	mu      sync.Mutex
	last    time.Time
	pending bool
}

// releaseMemory returns the memory the clients of a server used (their
// buffers, up to a megabyte each for a client that fell behind) to the
// system once the last of them has left, rather than leaving it to the
// runtime's gradual scavenger: a forced collection shortly after, or
// releaseMinInterval after the previous one, whichever is later.
func releaseMemory() {
	release.mu.Lock()
	defer release.mu.Unlock()
	if release.pending {
		return
	}
	release.pending = true
	wait := 100 * time.Millisecond // the clients' goroutines end
	if next := time.Until(release.last.Add(releaseMinInterval)); next > wait {
		wait = next
	}
	time.AfterFunc(wait, func() {
		debug.FreeOSMemory()
		release.mu.Lock()
		release.last, release.pending = time.Now(), false
		release.mu.Unlock()
	})
}

func (cl *client) serve(ctx context.Context, deliver func([]frame.Frame)) {
	defer cl.close()
	stop := context.AfterFunc(ctx, func() { cl.c.Close() })
	defer stop()
	s := cl.s
	s.log.Log(slog.LevelInfo, cl.key, "socketcand client connected", "peer", cl.addr)
	defer s.log.Log(slog.LevelInfo, cl.key, "socketcand client disconnected", "peer", cl.addr)
	// Until the bus is open, the read deadline the accept loop set is the
	// handshake timeout; TLS must complete within it too.
	if tc, ok := cl.c.(*tls.Conn); ok {
		cl.c.SetWriteDeadline(time.Now().Add(s.hsTimeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			cl.handshakeFailed(ctx, "tls", err)
			return
		}
	}
	cl.say("< hi >")
	var sc proto.Scanner
	var cmd proto.Command
	rbuf := make([]byte, 16<<10)
	batch := make([]frame.Frame, endpoint.BatchSize)
	opened := false
	for {
		n, err := cl.c.Read(rbuf)
		if n > 0 {
			sc.Write(rbuf[:n])
			k := 0
			for {
				msg, ok, serr := sc.Next()
				if serr != nil {
					cl.s.env.Drop(endpoint.ReasonMalformed, 1)
					s.log.Log(slog.LevelWarn, cl.key, "hostile or broken client: message too long; disconnecting", "peer", cl.addr)
					if k > 0 {
						deliver(batch[:k])
					}
					return
				}
				if !ok {
					break
				}
				if cmd.Parse(msg) != nil {
					continue // a syntax error gets no reply
				}
				if !opened {
					if cmd.Verb != "open" {
						if cmd.Verb == "echo" {
							cl.say("< echo >")
						} else {
							cl.say("< error open a bus first >")
						}
						continue
					}
					if len(cmd.Args) != 1 || string(cmd.Args[0]) != cl.s.cfg.Bus {
						cl.say("< error could not open bus >")
						cl.handshakeFailed(ctx, "open", errOtherBus)
						return
					}
					// An open client may stay silent: it listens.
					cl.c.SetReadDeadline(time.Time{})
					opened = true
					cl.setMode(modeBCM)
					cl.say("< ok >")
					continue
				}
				if cmd.Verb == "send" {
					cl.mu.Lock()
					mode := cl.mode
					cl.mu.Unlock()
					if mode != modeRaw && mode != modeBCM {
						cl.say("< error send is not allowed in this mode >")
						continue
					}
					f := &batch[k]
					id, l, perr := proto.ParseSend(cmd.Args, f.Data[:8])
					if perr != nil {
						cl.s.env.Drop(endpoint.ReasonMalformed, 1)
						continue // syntax errors get no reply
					}
					f.ID, f.Len, f.Type, f.Flags, f.Time = id, uint16(l), frame.CAN, 0, 0
					cl.tp.Add(1)
					cl.tb.Add(uint64(l))
					k++
					if k == len(batch) {
						deliver(batch[:k])
						k = 0
					}
					continue
				}
				if k > 0 {
					deliver(batch[:k])
					k = 0
				}
				cl.command(ctx, &cmd, deliver)
			}
			if k > 0 {
				deliver(batch[:k])
			}
		}
		if err != nil {
			if !opened {
				cl.handshakeFailed(ctx, "open", err)
			}
			return
		}
	}
}

var errOtherBus = errors.New("asked to open another bus")

// handshakeFailed counts and logs a client that did not complete TLS or
// open the bus (step) in time or at all, unless the server is stopping.
func (cl *client) handshakeFailed(ctx context.Context, step string, err error) {
	if ctx.Err() != nil {
		return
	}
	s := cl.s
	r := endpoint.ConnHandshakeFailed
	if errors.Is(err, os.ErrDeadlineExceeded) {
		r = endpoint.ConnHandshakeTimeout
	}
	s.env.Stats.Rejected.Add(r)
	s.log.Log(slog.LevelWarn, cl.key, "socketcand client did not open the bus; disconnecting", "peer", cl.addr,
		"step", step, "reason", r.String(), "err", err, "handshake_timeout", s.hsTimeout)
}

// setMode switches the client's mode. Leaving BCM mode ends its
// subscriptions, cyclic jobs and muxfilters, leaving ISO-TP mode closes the
// channel: socketcand closes the mode's socket the same way.
func (cl *client) setMode(m int) {
	cl.mu.Lock()
	old := cl.mode
	if cl.closed {
		cl.mu.Unlock()
		return
	}
	cl.mode = m
	if m == modeRaw {
		cl.holdUntil = time.Now().Add(RawHold)
	}
	if old == modeRaw && m != modeRaw {
		cl.s.rawN.Add(-1)
	} else if old != modeRaw && m == modeRaw {
		cl.s.rawN.Add(1)
	}
	if old == modeBCM && m != modeBCM {
		for id, j := range cl.jobs {
			close(j.stop)
			delete(cl.jobs, id)
		}
		clear(cl.subs)
	}
	cl.mu.Unlock()
	if old == modeISOTP && m != modeISOTP {
		cl.closeISOTP()
	}
	if old == modeBCM && m != modeBCM {
		cl.closeBCM()
	}
}

// command handles everything but open and send.
func (cl *client) command(ctx context.Context, c *proto.Command, deliver func([]frame.Frame)) {
	switch c.Verb {
	case "echo", "rawmode", "bcmmode", "controlmode", "isotpmode":
	default:
		cl.mu.Lock()
		mode := cl.mode
		cl.mu.Unlock()
		if !slices.Contains(verbs[mode], c.Verb) {
			cl.say("< error unknown command >")
			return
		}
	}
	switch c.Verb {
	case "echo":
		cl.say("< echo >")
	case "rawmode":
		cl.setMode(modeRaw)
		cl.say("< ok >")
	case "bcmmode":
		cl.setMode(modeBCM)
		cl.say("< ok >")
	case "controlmode":
		cl.setMode(modeControl)
		cl.say("< ok >")
	case "isotpmode":
		if cl.s.cfg.Interface == "" {
			cl.say("< error isotpmode needs the endpoint's interface option >")
			return
		}
		cl.setMode(modeISOTP)
		cl.say("< ok >")
	case "sendrtr", "fdsend":
		var f [1]frame.Frame
		var err error
		var n int
		if c.Verb == "sendrtr" {
			f[0].ID, n, err = proto.ParseSendRTR(c.Args)
			f[0].ID |= frame.CANRTRFlag
			f[0].Type = frame.CAN
		} else {
			f[0].ID, f[0].Flags, n, err = proto.ParseFDSend(c.Args, f[0].Data[:64])
			f[0].Type = frame.CANFD
		}
		if err != nil {
			cl.s.env.Drop(endpoint.ReasonMalformed, 1)
			return // syntax errors get no reply, as for send
		}
		f[0].Len = uint16(n)
		cl.tp.Add(1)
		if c.Verb == "fdsend" {
			cl.tb.Add(uint64(n))
		}
		deliver(f[:])
	case "isotpconf":
		cl.isotpConf(ctx, c)
	case "sendpdu":
		cl.sendPDU(ctx, c)
	case "muxfilter":
		cl.muxFilter(ctx, c)
	case "subscribe", "filter":
		// subscribe SEC USEC ID / filter SEC USEC ID DLC MASK...
		if len(c.Args) < 3 {
			return
		}
		sec, e1 := proto.ParseUint(c.Args[0])
		usec, e2 := proto.ParseUint(c.Args[1])
		id, e3 := proto.ParseID(c.Args[2])
		if e1 != nil || e2 != nil || e3 != nil {
			return
		}
		sub := &subscription{interval: time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond}
		if c.Verb == "filter" {
			if len(c.Args) < 4 {
				return
			}
			var mask [8]byte
			id2, n, err := proto.ParseSend(c.Args[2:], mask[:])
			if err != nil || id2 != id {
				return
			}
			sub.mask = append([]byte(nil), mask[:n]...)
		}
		cl.mu.Lock()
		cl.subs[id] = sub
		cl.mu.Unlock()
	case "unsubscribe":
		if len(c.Args) != 1 {
			return
		}
		if id, err := proto.ParseID(c.Args[0]); err == nil {
			cl.mu.Lock()
			delete(cl.subs, id)
			cl.mu.Unlock()
			cl.unsubscribeMux(ctx, id)
		}
	case "add":
		// add SEC USEC ID DLC DATA...
		if len(c.Args) < 4 {
			return
		}
		sec, e1 := proto.ParseUint(c.Args[0])
		usec, e2 := proto.ParseUint(c.Args[1])
		var f frame.Frame
		id, n, e3 := proto.ParseSend(c.Args[2:], f.Data[:8])
		iv := time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond
		if e1 != nil || e2 != nil || e3 != nil || iv < time.Millisecond {
			cl.s.env.Drop(endpoint.ReasonMalformed, 1)
			return
		}
		f.ID, f.Len, f.Type = id, uint16(n), frame.CAN
		cl.mu.Lock()
		if old, ok := cl.jobs[id]; ok {
			close(old.stop)
		}
		j := &job{stop: make(chan struct{}), f: f}
		cl.jobs[id] = j
		cl.mu.Unlock()
		go cl.cyclic(ctx, j, iv, deliver)
	case "update":
		if len(c.Args) < 2 {
			return
		}
		var f frame.Frame
		id, n, err := proto.ParseSend(c.Args, f.Data[:8])
		if err != nil {
			return
		}
		cl.mu.Lock()
		if j, ok := cl.jobs[id]; ok {
			j.mu.Lock()
			j.f.Len = uint16(n)
			copy(j.f.Data[:8], f.Data[:8])
			j.mu.Unlock()
		}
		cl.mu.Unlock()
	case "delete":
		if len(c.Args) != 1 {
			return
		}
		if id, err := proto.ParseID(c.Args[0]); err == nil {
			cl.mu.Lock()
			if j, ok := cl.jobs[id]; ok {
				close(j.stop)
				delete(cl.jobs, id)
			}
			cl.mu.Unlock()
		}
	case "statistics":
		if len(c.Args) != 1 {
			return
		}
		ms, err := proto.ParseUint(c.Args[0])
		if err != nil {
			return
		}
		if ms > 0 {
			if _, _, _, _, err := cl.stat(); err != nil {
				cl.say("< error statistics: cannot read the counters of " + cl.s.statName() + " >")
				return
			}
		}
		cl.mu.Lock()
		if cl.statStop != nil {
			close(cl.statStop)
			cl.statStop = nil
		}
		if ms > 0 {
			cl.statStop = make(chan struct{})
			go cl.statistics(time.Duration(ms)*time.Millisecond, cl.statStop)
		}
		cl.mu.Unlock()
	default:
		cl.say("< error unknown command >")
	}
}

func (cl *client) cyclic(ctx context.Context, j *job, iv time.Duration, deliver func([]frame.Frame)) {
	t := time.NewTicker(iv)
	defer t.Stop()
	var batch [1]frame.Frame
	for {
		j.mu.Lock()
		batch[0].CopyFrom(&j.f)
		j.mu.Unlock()
		batch[0].Time = 0
		cl.tp.Add(1)
		cl.tb.Add(uint64(batch[0].Len))
		deliver(batch[:])
		select {
		case <-ctx.Done():
			return
		case <-j.stop:
			return
		case <-t.C:
		}
	}
}

// statName is the interface whose counters "< stat >" reports
// (statistics: interface): the interface option, else the bus name.
func (s *server) statName() string {
	if s.cfg.Interface != "" {
		return s.cfg.Interface
	}
	return s.cfg.Bus
}

// stat returns the four counters of "< stat >".
func (cl *client) stat() (rb, rp, tb, tp uint64, err error) {
	if cl.s.cfg.Statistics == StatClient {
		return cl.rb.Load(), cl.rp.Load(), cl.tb.Load(), cl.tp.Load(), nil
	}
	return ifCounters(cl.s.statName())
}

func (cl *client) statistics(iv time.Duration, stop chan struct{}) {
	t := time.NewTicker(iv)
	defer t.Stop()
	var b []byte
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		rb, rp, tb, tp, err := cl.stat()
		if err != nil {
			// The interface went away: nothing to report (socketcand
			// skips the report too).
			continue
		}
		b = proto.AppendStat(b[:0], rb, rp, tb, tp)
		cl.say(string(b))
	}
}

// Send fans frames out to every client in raw mode and to BCM clients
// subscribed to the frame's ID. A frame no connected client takes (clients
// in ISO-TP or control mode, BCM clients without a subscription for its ID,
// FD and remote frames for BCM clients) is a no_peer drop; a remote frame
// with rtr: drop is an unsupported drop; a frame a BCM client's own
// throttle or content filter holds back counts as sent. A client too far
// behind loses frames (counted, queue_overflow).
func (s *server) Send(ctx context.Context, frames []frame.Frame) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.clients) == 0 {
		return 0, errNoClients
	}
	raw := s.rawN.Load() > 0
	for i := range frames {
		f := &frames[i]
		if !f.IsCAN() {
			// Send what came before, then report this one.
			s.fanout(frames[:i])
			return i, errNotCAN
		}
		if isRTR(f) && s.rtrDrop {
			s.fanout(frames[:i])
			return i, errRTR
		}
		if !raw && !s.wantedBCM(f) {
			s.fanout(frames[:i])
			return i, errNoTakerOne
		}
	}
	s.fanout(frames)
	return len(frames), nil
}

var _ endpoint.TrySender = (*server)(nil)

// TrySend is Send, which never waits: frames go into the clients' buffers
// and are written without waiting, or later by each client's writer
// goroutine. The gateway therefore calls it from the goroutine that
// received the frames (its inline path), saving a queue hand-off and a
// goroutine switch per batch.
func (s *server) TrySend(frames []frame.Frame) (int, error) {
	return s.Send(context.Background(), frames)
}

var (
	errNoTaker = errors.New("no socketcand client takes this frame (none in raw mode, no BCM subscription for its ID)")
	errRTRDrop = errors.New("remote frames are not sent to socketcand clients (rtr: drop)")

	// Send's drop errors, made once: Send allocates nothing, even when it
	// drops (the gateway only reads them).
	errNoClients  = &endpoint.DropError{Reason: endpoint.ReasonNoPeer}
	errNotCAN     = &endpoint.DropError{Reason: endpoint.ReasonUnsupported, One: true, Err: errors.New("socketcand carries only CAN and CAN FD frames")}
	errRTR        = &endpoint.DropError{Reason: endpoint.ReasonUnsupported, One: true, Err: errRTRDrop}
	errNoTakerOne = &endpoint.DropError{Reason: endpoint.ReasonNoPeer, One: true, Err: errNoTaker}
)

// isRTR reports a remote request (not an error frame).
func isRTR(f *frame.Frame) bool {
	return f.ID&(frame.CANRTRFlag|frame.CANERRFlag) == frame.CANRTRFlag
}

// bcmTakes reports whether a BCM subscription takes f: classic data
// frames only (the kernel's BCM, which socketcand uses, reports no remote
// frames to a subscription). cl.mu is held.
func (cl *client) bcmTakes(f *frame.Frame) bool {
	return cl.mode == modeBCM && f.Type != frame.CANFD && f.ID&(frame.CANRTRFlag|frame.CANERRFlag) == 0 &&
		cl.subs[f.ID&^frame.CANRTRFlag] != nil
}

// wantedBCM reports whether a BCM client takes f (no client is in raw mode).
func (s *server) wantedBCM(f *frame.Frame) bool {
	for _, cl := range s.clients {
		cl.mu.Lock()
		ok := !cl.closed && cl.bcmTakes(f)
		cl.mu.Unlock()
		if ok {
			return true
		}
	}
	return false
}

// appendMsg appends f's raw-mode message (with the framing's padding).
func (s *server) appendMsg(b []byte, f *frame.Frame) []byte {
	start := len(b)
	sec, usec := f.Time/1e9, (f.Time%1e9)/1e3
	switch {
	case f.ID&frame.CANERRFlag != 0:
		b = proto.AppendErrorFrame(b, f.ID, sec, usec)
	case f.Type == frame.CANFD:
		b = proto.AppendFDFrame(b, f.ID, f.Flags, sec, usec, f.Data[:f.Len])
	case f.ID&frame.CANRTRFlag != 0:
		b = proto.AppendRTRFrame(b, f.ID&^frame.CANRTRFlag, sec, usec, int(f.Len))
	default:
		b = proto.AppendRawFrame(b, f.ID, sec, usec, f.Data[:f.Len])
	}
	if s.aligned {
		b = proto.AlignRecord(b, start)
	}
	return b
}

// fanout queues frames for every client that takes them and writes them
// (one write per client per batch). The raw-mode messages are made once
// and copied to each raw-mode client.
func (s *server) fanout(frames []frame.Frame) {
	if len(frames) == 0 {
		return
	}
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	var bytes uint64
	encoded := false
	t := now()
	for _, cl := range s.clients {
		cl.mu.Lock()
		switch {
		case cl.closed:
		case cl.mode == modeRaw:
			if !encoded {
				s.enc, s.ends = s.enc[:0], s.ends[:0]
				for i := range frames {
					s.enc = s.appendMsg(s.enc, &frames[i])
					s.ends = append(s.ends, len(s.enc))
					bytes += uint64(frames[i].Len)
				}
				encoded = true
			}
			k, b := len(frames), bytes
			if room := maxClientBacklog - len(cl.out); s.ends[k-1] > room {
				// Too far behind: what does not fit is lost.
				for k > 0 && s.ends[k-1] > room {
					k--
					b -= uint64(frames[k].Len)
				}
				s.env.Drop(endpoint.ReasonQueueOverflow, len(frames)-k)
			}
			if k > 0 {
				cl.rp.Add(uint64(k))
				cl.rb.Add(b)
				cl.writeLocked(s.enc[:s.ends[k-1]], t)
			}
		case cl.mode == modeBCM && len(cl.subs) > 0:
			queued := len(cl.out)
			for i := range frames {
				f := &frames[i]
				if !cl.bcmTakes(f) {
					continue
				}
				if len(cl.out) > maxClientBacklog {
					s.env.Drop(endpoint.ReasonQueueOverflow, 1)
					continue
				}
				if !cl.subs[f.ID].pass(f) {
					continue
				}
				start := len(cl.out)
				cl.out = proto.AppendBCMFrame(cl.out, f.ID, f.Time/1e9, (f.Time%1e9)/1e3, f.Data[:f.Len])
				if s.aligned {
					cl.out = proto.AlignRecord(cl.out, start)
				}
				cl.rp.Add(1)
				cl.rb.Add(uint64(f.Len))
			}
			cl.flushLocked(queued, t)
		}
		cl.mu.Unlock()
	}
}

// pass applies a BCM subscription's throttle and content filter.
func (sub *subscription) pass(f *frame.Frame) bool {
	now := time.Unix(0, f.Time)
	if sub.mask != nil {
		changed := !sub.seen
		for i, m := range sub.mask {
			if i < int(f.Len) && (f.Data[i]^sub.prev[i])&m != 0 {
				changed = true
			}
		}
		if !changed {
			return false
		}
		copy(sub.prev[:], f.Data[:8])
		sub.seen = true
	}
	if sub.interval > 0 && now.Sub(sub.last) < sub.interval {
		return false
	}
	sub.last = now
	return true
}

func (s *server) Close() error {
	err := s.ln.Close()
	s.mu.RLock()
	cls := slices.Clone(s.clients)
	s.mu.RUnlock()
	for _, cl := range cls {
		cl.c.Close()
	}
	s.log.Flush()
	return err
}
