package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/socketcand"
)

// scConn is a socketcand server: many clients at once, raw mode (every
// frame), BCM mode (subscriptions, content filters, cyclic transmissions
// emulated in user space on routed frames; muxfilter on a kernel BCM socket
// per client), control mode (statistics) and ISO-TP mode (a kernel ISO-TP
// socket per client channel). muxfilter and ISO-TP mode need the endpoint's
// interface option and go only as far as the routes allow (direct.go,
// socketcand_kernel.go). CAN FD frames go to raw-mode clients as
// "< fdframe … >" and come from them with "fdsend" (socketcand 0.6.1+);
// BCM mode is classic CAN only.
type scConn struct {
	cfg   *config.Endpoint
	env   *env
	ln    net.Listener
	allow []netip.Prefix

	mu      sync.RWMutex
	clients map[*scClient]struct{}
	wg      sync.WaitGroup
	beacon  *net.UDPConn
}

// Client modes.
const (
	scNone = iota
	scBCM
	scRaw
	scControl
	scISOTP
)

// scVerbs are the commands each mode accepts besides echo and the mode
// switches, as in socketcand's state_*.c; others get "< error unknown
// command >".
var scVerbs = [...][]string{
	scBCM:     {"send", "sendrtr", "add", "update", "delete", "filter", "muxfilter", "subscribe", "unsubscribe"},
	scRaw:     {"send", "fdsend"},
	scControl: {"statistics"},
	scISOTP:   {"isotpconf", "sendpdu"},
}

// maxClientBacklog bounds the unsent bytes per client; a client further
// behind loses frames (counted, reason queue_overflow).
const maxClientBacklog = 1 << 20

// rawHold delays frames after "< ok >" to rawmode so that clients which read
// "< ok >" with one recv (python-can) never see a frame in the same read.
const rawHold = 150 * time.Millisecond

type scClient struct {
	s    *scConn
	c    net.Conn
	addr string
	wake chan struct{}

	mu        sync.Mutex
	mode      int
	holdUntil time.Time
	out       []byte
	closed    bool
	subs      map[uint32]*scSub
	jobs      map[uint32]*scJob
	rb, rp    atomic.Uint64 // bytes/frames received from the bus (sent to the client)
	tb, tp    atomic.Uint64 // bytes/frames sent to the bus (from the client)
	statStop  chan struct{}
	isotp     *scChannel // ISO-TP mode: the open channel
	bcm       *scBCMSock // BCM mode: the kernel socket of muxfilter
}

type scSub struct {
	interval time.Duration
	last     time.Time
	mask     []byte // content filter: nil = every frame
	prev     [8]byte
	seen     bool
}

type scJob struct {
	stop chan struct{}
	mu   sync.Mutex
	f    Frame
}

func openSocketcand(ctx context.Context, cfg *config.Endpoint, e *env) (Conn, error) {
	s := &scConn{cfg: cfg, env: e, clients: map[*scClient]struct{}{}, allow: parseAllow(cfg.AllowPeers)}
	tc, err := loadTLS(cfg.TLS, true)
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
func (s *scConn) Addr() net.Addr { return s.ln.Addr() }

func (s *scConn) Receive(ctx context.Context, deliver func([]Frame)) error {
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
		if len(s.allow) > 0 {
			ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
			if err != nil || !peerAllowed(s.allow, ap.Addr()) {
				s.env.log.Warn("peer refused by allow_peers", "peer", c.RemoteAddr())
				c.Close()
				continue
			}
		}
		s.mu.RLock()
		n := len(s.clients)
		s.mu.RUnlock()
		if n >= s.cfg.MaxClients {
			s.env.log.Warn("client refused: max_clients reached", "peer", c.RemoteAddr())
			c.Close()
			continue
		}
		cl := &scClient{s: s, c: c, addr: c.RemoteAddr().String(), wake: make(chan struct{}, 1),
			subs: map[uint32]*scSub{}, jobs: map[uint32]*scJob{}}
		s.mu.Lock()
		s.clients[cl] = struct{}{}
		s.mu.Unlock()
		s.env.stats.peers.Add(1)
		s.env.stats.connects.Add(1)
		s.wg.Add(2)
		go func() { defer s.wg.Done(); cl.writer(ctx) }()
		go func() { defer s.wg.Done(); cl.serve(ctx, deliver) }()
	}
}

// runBeacon broadcasts the discovery beacon every 3 s to UDP port 42000.
func (s *scConn) runBeacon(ctx context.Context) {
	c, err := net.ListenUDP("udp4", nil)
	if err != nil {
		s.env.log.Warn("beacon disabled", "err", err)
		return
	}
	defer c.Close()
	host := "fieldgate"
	msg := fmt.Sprintf(`<CANBeacon name="%s" type="SocketCAN" description="fieldgate socketcand endpoint %s"><URL>can://%s</URL><Bus name="%s"/></CANBeacon>`,
		host, s.cfg.Name, s.ln.Addr(), s.cfg.Bus)
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

// say queues a control reply as its own write (clients read replies with a
// single recv and compare them exactly).
func (cl *scClient) say(msg string) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.closed {
		return
	}
	cl.flushLocked()
	cl.c.SetWriteDeadline(time.Now().Add(writeTimeout))
	cl.c.Write([]byte(msg))
}

// flushLocked writes pending frame output synchronously (before a reply).
func (cl *scClient) flushLocked() {
	if len(cl.out) == 0 {
		return
	}
	cl.c.SetWriteDeadline(time.Now().Add(writeTimeout))
	cl.c.Write(cl.out)
	cl.out = cl.out[:0]
}

func (cl *scClient) writer(ctx context.Context) {
	var buf []byte
	for {
		select {
		case <-ctx.Done():
			return
		case <-cl.wake:
		}
		cl.mu.Lock()
		if cl.closed {
			cl.mu.Unlock()
			return
		}
		if wait := time.Until(cl.holdUntil); wait > 0 {
			cl.mu.Unlock()
			time.Sleep(wait)
			cl.mu.Lock()
		}
		buf, cl.out = cl.out, buf[:0]
		cl.mu.Unlock()
		if len(buf) == 0 {
			continue
		}
		cl.c.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := cl.c.Write(buf); err != nil {
			cl.s.env.log.Warn("socketcand client too slow or gone; disconnecting", "peer", cl.addr, "err", err)
			cl.c.Close()
			return
		}
	}
}

func (cl *scClient) close() {
	cl.mu.Lock()
	if cl.closed {
		cl.mu.Unlock()
		return
	}
	cl.closed = true
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
	delete(s.clients, cl)
	s.mu.Unlock()
	s.env.stats.peers.Add(-1)
}

func (cl *scClient) serve(ctx context.Context, deliver func([]Frame)) {
	defer cl.close()
	stop := context.AfterFunc(ctx, func() { cl.c.Close() })
	defer stop()
	log := cl.s.env.log.With("peer", cl.addr)
	log.Info("socketcand client connected")
	defer log.Info("socketcand client disconnected")
	cl.say("< hi >")
	var sc socketcand.Scanner
	var cmd socketcand.Command
	rbuf := make([]byte, 16<<10)
	batch := make([]Frame, batchSize)
	opened := false
	for {
		n, err := cl.c.Read(rbuf)
		if n > 0 {
			sc.Write(rbuf[:n])
			k := 0
			for {
				msg, ok, serr := sc.Next()
				if serr != nil {
					cl.s.env.drop(ReasonMalformed, 1)
					log.Warn("hostile or broken client: message too long; disconnecting")
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
						return
					}
					opened = true
					cl.setMode(scBCM)
					cl.say("< ok >")
					continue
				}
				if cmd.Verb == "send" {
					cl.mu.Lock()
					mode := cl.mode
					cl.mu.Unlock()
					if mode != scRaw && mode != scBCM {
						cl.say("< error send is not allowed in this mode >")
						continue
					}
					f := &batch[k]
					id, l, perr := socketcand.ParseSend(cmd.Args, f.Data[:8])
					if perr != nil {
						cl.s.env.drop(ReasonMalformed, 1)
						continue // syntax errors get no reply
					}
					f.ID, f.Len, f.Kind, f.Flags, f.Time = id, uint16(l), KindCAN, 0, 0
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
			return
		}
	}
}

// setMode switches the client's mode. Leaving BCM mode ends its
// subscriptions, cyclic jobs and muxfilters, leaving ISO-TP mode closes the
// channel: socketcand closes the mode's socket the same way.
func (cl *scClient) setMode(m int) {
	cl.mu.Lock()
	old := cl.mode
	cl.mode = m
	if m == scRaw {
		cl.holdUntil = time.Now().Add(rawHold)
	}
	if old == scBCM && m != scBCM {
		for id, j := range cl.jobs {
			close(j.stop)
			delete(cl.jobs, id)
		}
		clear(cl.subs)
	}
	cl.mu.Unlock()
	if old == scISOTP && m != scISOTP {
		cl.closeISOTP()
	}
	if old == scBCM && m != scBCM {
		cl.closeBCM()
	}
}

// command handles everything but open and send.
func (cl *scClient) command(ctx context.Context, c *socketcand.Command, deliver func([]Frame)) {
	switch c.Verb {
	case "echo", "rawmode", "bcmmode", "controlmode", "isotpmode":
	default:
		cl.mu.Lock()
		mode := cl.mode
		cl.mu.Unlock()
		if !slices.Contains(scVerbs[mode], c.Verb) {
			cl.say("< error unknown command >")
			return
		}
	}
	switch c.Verb {
	case "echo":
		cl.say("< echo >")
	case "rawmode":
		cl.setMode(scRaw)
		cl.say("< ok >")
	case "bcmmode":
		cl.setMode(scBCM)
		cl.say("< ok >")
	case "controlmode":
		cl.setMode(scControl)
		cl.say("< ok >")
	case "isotpmode":
		if cl.s.cfg.Interface == "" {
			cl.say("< error isotpmode needs the endpoint's interface option >")
			return
		}
		cl.setMode(scISOTP)
		cl.say("< ok >")
	case "sendrtr", "fdsend":
		var f [1]Frame
		var err error
		var n int
		if c.Verb == "sendrtr" {
			f[0].ID, n, err = socketcand.ParseSendRTR(c.Args)
			f[0].ID |= CANRTRFlag
			f[0].Kind = KindCAN
		} else {
			f[0].ID, f[0].Flags, n, err = socketcand.ParseFDSend(c.Args, f[0].Data[:64])
			f[0].Kind = KindCANFD
		}
		if err != nil {
			cl.s.env.drop(ReasonMalformed, 1)
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
		sec, e1 := socketcand.ParseUint(c.Args[0])
		usec, e2 := socketcand.ParseUint(c.Args[1])
		id, e3 := socketcand.ParseID(c.Args[2])
		if e1 != nil || e2 != nil || e3 != nil {
			return
		}
		sub := &scSub{interval: time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond}
		if c.Verb == "filter" {
			if len(c.Args) < 4 {
				return
			}
			var mask [8]byte
			id2, n, err := socketcand.ParseSend(c.Args[2:], mask[:])
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
		if id, err := socketcand.ParseID(c.Args[0]); err == nil {
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
		sec, e1 := socketcand.ParseUint(c.Args[0])
		usec, e2 := socketcand.ParseUint(c.Args[1])
		var f Frame
		id, n, e3 := socketcand.ParseSend(c.Args[2:], f.Data[:8])
		iv := time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond
		if e1 != nil || e2 != nil || e3 != nil || iv < time.Millisecond {
			cl.s.env.drop(ReasonMalformed, 1)
			return
		}
		f.ID, f.Len, f.Kind = id, uint16(n), KindCAN
		cl.mu.Lock()
		if old, ok := cl.jobs[id]; ok {
			close(old.stop)
		}
		j := &scJob{stop: make(chan struct{}), f: f}
		cl.jobs[id] = j
		cl.mu.Unlock()
		go cl.cyclic(ctx, j, iv, deliver)
	case "update":
		if len(c.Args) < 2 {
			return
		}
		var f Frame
		id, n, err := socketcand.ParseSend(c.Args, f.Data[:8])
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
		if id, err := socketcand.ParseID(c.Args[0]); err == nil {
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
		ms, err := socketcand.ParseUint(c.Args[0])
		if err != nil {
			return
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

func (cl *scClient) cyclic(ctx context.Context, j *scJob, iv time.Duration, deliver func([]Frame)) {
	t := time.NewTicker(iv)
	defer t.Stop()
	var batch [1]Frame
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

func (cl *scClient) statistics(iv time.Duration, stop chan struct{}) {
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		cl.say(string(socketcand.AppendStat(nil, cl.rb.Load(), cl.rp.Load(), cl.tb.Load(), cl.tp.Load())))
	}
}

// Send fans frames out to every client in raw mode and to BCM clients
// subscribed to the frame's ID. A frame no connected client takes (clients
// in ISO-TP or control mode, BCM clients without a subscription for its ID,
// FD frames for BCM clients) is a no_peer drop; a frame a BCM client's own
// throttle or content filter holds back counts as sent. A client too far
// behind loses frames (counted, queue_overflow).
func (s *scConn) Send(ctx context.Context, frames []Frame) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.clients) == 0 {
		return 0, &DropError{Reason: ReasonNoPeer}
	}
	for i := range frames {
		if !frames[i].IsCAN() {
			// Send what came before, then report this one.
			s.fanout(frames[:i])
			return i, &DropError{Reason: ReasonUnsupported, One: true, Err: errors.New("socketcand carries only CAN and CAN FD frames")}
		}
		if !s.wanted(&frames[i]) {
			s.fanout(frames[:i])
			return i, &DropError{Reason: ReasonNoPeer, One: true, Err: errNoTaker}
		}
	}
	s.fanout(frames)
	return len(frames), nil
}

var errNoTaker = errors.New("no socketcand client takes this frame (none in raw mode, no BCM subscription for its ID)")

// wanted reports whether a connected client takes f (see Send).
func (s *scConn) wanted(f *Frame) bool {
	for cl := range s.clients {
		cl.mu.Lock()
		ok := !cl.closed && (cl.mode == scRaw || cl.mode == scBCM && f.Kind != KindCANFD && cl.subs[f.ID&^CANRTRFlag] != nil)
		cl.mu.Unlock()
		if ok {
			return true
		}
	}
	return false
}

func (s *scConn) fanout(frames []Frame) {
	if len(frames) == 0 {
		return
	}
	for cl := range s.clients {
		cl.mu.Lock()
		if cl.closed || (cl.mode != scRaw && (cl.mode != scBCM || len(cl.subs) == 0)) {
			cl.mu.Unlock()
			continue
		}
		added := false
		for i := range frames {
			f := &frames[i]
			sec, usec := f.Time/1e9, (f.Time%1e9)/1e3
			if len(cl.out) > maxClientBacklog {
				s.env.drop(ReasonQueueOverflow, 1)
				continue
			}
			switch cl.mode {
			case scRaw:
				switch {
				case f.ID&CANERRFlag != 0:
					cl.out = socketcand.AppendErrorFrame(cl.out, f.ID, sec, usec)
				case f.Kind == KindCANFD:
					cl.out = socketcand.AppendFDFrame(cl.out, f.ID, f.Flags, sec, usec, f.Data[:f.Len])
				case f.ID&CANRTRFlag != 0:
					cl.out = socketcand.AppendRTRFrame(cl.out, f.ID&^CANRTRFlag, sec, usec, int(f.Len))
				default:
					cl.out = socketcand.AppendRawFrame(cl.out, f.ID&^CANRTRFlag, sec, usec, f.Data[:f.Len])
				}
			case scBCM:
				if f.Kind == KindCANFD {
					continue // BCM mode has no FD frame message
				}
				sub, ok := cl.subs[f.ID&^CANRTRFlag]
				if !ok || !sub.pass(f) {
					continue
				}
				cl.out = socketcand.AppendBCMFrame(cl.out, f.ID&^CANRTRFlag, sec, usec, f.Data[:f.Len])
			}
			// A separator after every frame keeps clients that skip one
			// byte after a complete message (python-can 4.1) in sync.
			cl.out = append(cl.out, '\n')
			cl.rp.Add(1)
			cl.rb.Add(uint64(f.Len))
			added = true
		}
		cl.mu.Unlock()
		if added {
			signal(cl.wake)
		}
	}
}

// pass applies a BCM subscription's throttle and content filter.
func (sub *scSub) pass(f *Frame) bool {
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

func (s *scConn) Close() error {
	err := s.ln.Close()
	s.mu.RLock()
	var cls []*scClient
	for cl := range s.clients {
		cls = append(cls, cl)
	}
	s.mu.RUnlock()
	for _, cl := range cls {
		cl.c.Close()
	}
	return err
}
