package udp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fieldgate/fieldgate/gateway/cannelloni"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/internal/access"
)

// udpConn is a cannelloni v2 UDP link: frames packed into datagrams up to
// the MTU, sequence numbers checked on receive (gaps counted as network
// loss), optionally authenticated and encrypted with a pre-shared key.
type udpConn struct {
	cfg   *Config
	env   *endpoint.Env
	c     *net.UDPConn
	io    *directIO // c's sendto and recvmsg
	peer  atomic.Pointer[netip.AddrPort]
	fixed bool
	allow access.Peers
	auth  *authState
	max   int // largest cannelloni datagram

	mu      sync.Mutex
	seq     uint8
	buf     []byte // datagram being filled
	count   int    // frames in buf
	sealBuf []byte
	// held is how many of buf's frames an earlier Send already reported
	// as sent (they wait for the timer); a failed write counts them at
	// the endpoint.
	held int
	// timer flushes buf: flush after the first frame waits (flush > 0),
	// coalesce after the last datagram (flush: 0). armed: it is set.
	timer *time.Timer
	armed bool
	// tat is when the coalesce budget is full again (flush: 0; see
	// flushPolicy): a generic cell rate algorithm's theoretical arrival
	// time, monotonic.
	tat time.Time
	// sent remembers how many frames the last datagrams carried, by
	// datagram key (sequence number, or the counter when authenticated),
	// so that an ICMP error quoting a datagram counts its frames.
	sent           [256]sentDatagram
	errBuf, errOOB []byte // error queue reads, under mu
}

// sentDatagram is one entry of udpConn.sent.
type sentDatagram struct {
	key    uint64
	frames uint32
}

// datagramKey identifies a datagram from its first bytes: the counter of an
// authenticated datagram, else the cannelloni sequence number.
func datagramKey(b []byte, authenticated bool) (uint64, bool) {
	if authenticated {
		if len(b) < authHeader || string(b[:4]) != authMagic {
			return 0, false
		}
		return binary.BigEndian.Uint64(b[12:20]), true
	}
	if len(b) < cannelloni.HeaderLen || b[0] != cannelloni.Version {
		return 0, false
	}
	return uint64(b[2]), true
}

// remember records the frames datagram b carried (under mu).
func (u *udpConn) remember(b []byte, frames int) {
	if k, ok := datagramKey(b, u.auth != nil); ok {
		u.sent[k%uint64(len(u.sent))] = sentDatagram{key: k, frames: uint32(frames)}
	}
}

// refusedLocked counts the frames of a datagram the peer's host refused,
// once (under mu).
func (u *udpConn) refusedLocked(quoted []byte) {
	k, ok := datagramKey(quoted, u.auth != nil)
	if !ok {
		u.env.Log.Debug("ICMP error for a datagram we cannot identify", "bytes", len(quoted))
		return
	}
	e := &u.sent[k%uint64(len(u.sent))]
	if e.key == k && e.frames > 0 {
		u.env.Drop(endpoint.ReasonUnreachable, int(e.frames))
		e.frames = 0
	}
}

// drainRefusedLocked counts every datagram the socket's error queue holds
// (under mu).
func (u *udpConn) drainRefusedLocked() {
	drainErrQueue(u.c, u.errBuf, u.errOOB, func(quoted []byte, _ syscall.Errno) { u.refusedLocked(quoted) })
}

// asyncError reports errors a send returns for an earlier datagram: the
// kernel hands a pending ICMP error (sk_err) to the next system call, which
// then does not send its own datagram.
func asyncError(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTDOWN)
}

// writeLocked sends datagram out carrying frames frames. An error that
// belongs to an earlier datagram (ICMP, already counted from the error
// queue) does not stop this one: it is sent again, a bounded number of times.
func (u *udpConn) writeLocked(out []byte, to netip.AddrPort, frames int) error {
	var err error
	for range 4 {
		if err = u.io.send(out, to); err == nil {
			u.remember(out, frames)
			return nil
		}
		if !asyncError(err) {
			return err
		}
		u.drainRefusedLocked()
	}
	return err
}

var _ endpoint.Transceiver = (*udpConn)(nil)

func open(ctx context.Context, ec *config.Endpoint, e *endpoint.Env) (endpoint.Transceiver, error) {
	cfg := ec.Settings.(*Config)
	la, err := net.ResolveUDPAddr("udp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	u := &udpConn{cfg: cfg, env: e, allow: access.ParsePeers(cfg.AllowPeers)}
	if cfg.Peer != "" {
		ra, err := net.ResolveUDPAddr("udp", cfg.Peer)
		if err != nil {
			return nil, fmt.Errorf("peer: %w", err)
		}
		ap := ra.AddrPort()
		u.peer.Store(&ap)
		u.fixed = true
	}
	overhead := 28
	if la.IP != nil && la.IP.To4() == nil {
		overhead = 48
	}
	u.max = cfg.MTU - overhead
	if cfg.Auth != nil {
		key, err := readKeyFile(cfg.Auth.KeyFile)
		if err != nil {
			return nil, err
		}
		a, err := newSealer(key, cfg.Auth.Provider, u.max)
		if err != nil {
			return nil, err
		}
		o, err := newSealer(key, cfg.Auth.Provider, u.max)
		if err != nil {
			return nil, err
		}
		u.auth = newAuthState(a, o, cfg.Auth.ReplayWindow)
		u.max -= authHeader + a.Overhead()
		e.Log.Info("authenticated UDP", "aead", "aes-256-gcm", "provider", a.Provider())
	}
	u.c, err = net.ListenUDP("udp", la)
	if err != nil {
		return nil, err
	}
	if u.io, err = newDirectIO(u.c); err != nil {
		u.c.Close()
		return nil, fmt.Errorf("listen: %w", err)
	}
	u.reportBuffer(setRecvBuffer(u.c, recvBuffer))
	u.c.SetWriteBuffer(4 << 20)
	u.timer = time.AfterFunc(time.Hour, u.flushTimer)
	u.timer.Stop()
	enableRxqOvfl(u.c)
	enableRecvErr(u.c)
	u.buf = make([]byte, 0, 65536)
	u.sealBuf = make([]byte, 0, 65536)
	u.errBuf, u.errOOB = make([]byte, 1024), make([]byte, 256)
	return u, nil
}

// recvBuffer is the receive buffer asked of the kernel (SO_RCVBUFFORCE,
// else SO_RCVBUF, capped at net.core.rmem_max); the kernel grants twice
// that.
const recvBuffer = 4 << 20

// reportBuffer keeps the receive buffer the kernel granted for /status and
// logs it, as a warning when the kernel capped it.
func (u *udpConn) reportBuffer(granted int, err error) {
	if err != nil {
		u.env.Log.Warn("cannot set the receive buffer", "err", err)
		return
	}
	if granted == 0 {
		return // not known on this system
	}
	u.env.Stats.RecvBuffer.Store(int64(granted))
	if granted < 2*recvBuffer {
		u.env.Log.Warn("receive buffer capped at net.core.rmem_max: SO_RCVBUFFORCE needs CAP_NET_ADMIN; datagrams that come while the buffer is full are dropped by the kernel (kernel_overflow)",
			"requested_bytes", recvBuffer, "granted_bytes", granted)
		return
	}
	u.env.Log.Info("receive buffer", "requested_bytes", recvBuffer, "granted_bytes", granted)
}

// LocalAddr returns the bound address (useful with port 0).
func (u *udpConn) LocalAddr() net.Addr { return u.c.LocalAddr() }

func (u *udpConn) Receive(ctx context.Context, deliver func([]frame.Frame)) error {
	stop := context.AfterFunc(ctx, func() { u.c.SetReadDeadline(time.Now()) })
	defer stop()
	buf := make([]byte, 65536)
	plain := make([]byte, 0, 65536)
	batch := make([]frame.Frame, endpoint.BatchSize)
	var d cannelloni.Datagram
	var cf cannelloni.Frame
	var seqs seqPeers
	oob := make([]byte, 64)
	var kernelDropped uint32
	for {
		n, oobn, from, err := u.io.recv(buf, oob)
		if err == nil {
			// Datagrams the kernel dropped because our receive buffer
			// was full (SO_RXQ_OVFL, cumulative): counted as
			// kernel_overflow, in datagrams (their frames are unknown).
			if d, ok := rxqOvfl(oob[:oobn]); ok && d != kernelDropped {
				u.env.Drop(endpoint.ReasonKernel, int(d-kernelDropped))
				kernelDropped = d
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// ECONNREFUSED and friends: the peer's host sent ICMP
			// errors for datagrams we sent; count their frames.
			u.mu.Lock()
			u.drainRefusedLocked()
			u.mu.Unlock()
			continue
		}
		if !u.allow.Allowed(from.Addr()) {
			u.env.Drop(endpoint.ReasonAuth, 1)
			continue
		}
		b := buf[:n]
		if u.auth != nil {
			b, err = u.auth.open(plain[:0], b)
			if err != nil {
				u.env.Drop(endpoint.ReasonAuth, 1)
				continue
			}
		}
		if cannelloni.IsPDU(b) {
			seq, pdu, err := cannelloni.DecodePDU(b, frame.MaxData)
			k := frame.Type(pdu.Kind)
			if err != nil || !k.IsPDU() {
				u.env.Drop(endpoint.ReasonMalformed, 1)
				continue
			}
			if gap := seqs.add(from, seq); gap != 0 {
				u.env.Stats.SeqGaps.Add(uint64(gap))
			}
			if !u.fixed {
				p := from
				u.peer.Store(&p)
			}
			f := &batch[0]
			f.Type, f.Flags, f.Addr, f.ID, f.Len, f.Time = k, pdu.Flags, pdu.Addr, pdu.ID, uint16(len(pdu.Data)), 0
			copy(f.Data[:], pdu.Data)
			deliver(batch[:1])
			continue
		}
		if err := d.Reset(b); err != nil {
			u.env.Drop(endpoint.ReasonMalformed, 1)
			continue
		}
		if gap := seqs.add(from, d.Header.Seq); gap != 0 {
			u.env.Stats.SeqGaps.Add(uint64(gap))
		}
		if !u.fixed {
			p := from
			u.peer.Store(&p)
		}
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
			// The frames before the damage were delivered; the rest of
			// the datagram counts once, whatever count its header
			// claims (it may claim 65 535 in 9 bytes).
			u.env.Drop(endpoint.ReasonMalformed, 1)
		}
	}
}

// Send packs frames into cannelloni datagrams. When a datagram goes out
// depends on flush and coalesce (see flushPolicy): at the end of the call
// when the link is idle, else when a timer fires; a full datagram always
// goes at once. Frames left waiting for the timer are reported as sent;
// if their write fails they are counted at the endpoint.
func (u *udpConn) Send(ctx context.Context, frames []frame.Frame) (int, error) {
	p := u.peer.Load()
	if p == nil {
		return 0, &endpoint.DropError{Reason: endpoint.ReasonNoPeer}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	first := 0 // first frame of this call in the pending datagram
	for i := range frames {
		f := &frames[i]
		if !f.IsCAN() {
			// ISO-TP PDUs, J1939 messages and Ethernet frames travel in
			// fieldgate's OpPDU datagrams, one per datagram.
			if err := u.flushLocked(*p, true); err != nil {
				return first, err
			}
			if !f.Type.IsPDU() {
				return i, &endpoint.DropError{Reason: endpoint.ReasonUnsupported, One: true, Err: fmt.Errorf("udp links cannot carry %s frames", f.Type)}
			}
			if f.Type == frame.Ethernet && cannelloni.HeaderLen+cannelloni.PDUHeaderLen+int(f.Len) > u.max {
				// Ethernet frames are not split: a frame that does not
				// fit the link's datagram size (mtu) is dropped.
				return i, &endpoint.DropError{Reason: endpoint.ReasonOversize, One: true, Err: fmt.Errorf("Ethernet frame of %d bytes does not fit a datagram of %d bytes (raise mtu)", f.Len, u.max)}
			}
			if err := u.sendPDULocked(*p, f); err != nil {
				return i, err
			}
			first = i + 1
			continue
		}
		if u.count > 0 && (len(u.buf)+frame.CannelloniLen(f) > u.max || u.count == 0xFFFF) {
			if err := u.flushLocked(*p, true); err != nil {
				return first, err
			}
			first = i
		}
		if u.count == 0 {
			u.buf = cannelloni.AppendHeader(u.buf[:0], u.seq, 0)
		}
		u.buf = frame.AppendCannelloni(u.buf, f)
		u.count++
	}
	if u.count == 0 {
		return len(frames), nil
	}
	if wait := u.flushPolicy(); wait > 0 {
		u.held = u.count
		if !u.armed {
			u.armed = true
			u.timer.Reset(wait)
		}
		return len(frames), nil
	}
	u.chargeLocked()
	if err := u.flushLocked(*p, true); err != nil {
		return first, err
	}
	return len(frames), nil
}

// burstDatagrams is how many datagrams that are not full a quiet link
// sends at once (flush: 0) before coalescing starts.
const burstDatagrams = 4

// flushPolicy says when the pending datagram goes out: 0 for now, else
// how long it may wait (under mu).
//
// With flush > 0 it waits that long after its first frame (cannelloni's
// timeout). With flush: 0 the link sends at most one datagram that is not
// full per coalesce on average, with a budget of burstDatagrams (a generic
// cell rate algorithm, the token bucket of ATM's traffic policing): while
// the budget lasts a datagram goes at once, so a frame on a quiet link is
// never delayed, and frames at up to one per coalesce go one per datagram
// at once whatever their jitter. Beyond that rate frames wait for the next
// slot, together, and every frame that comes meanwhile joins them: at
// 2 000 frames/s and the default 1 ms, about two frames share a datagram.
// No frame waits much longer than coalesce (Go's timers wake in whole
// milliseconds when the process is otherwise idle). A full datagram goes
// at once and costs no budget. A timer already set (armed) keeps its time.
func (u *udpConn) flushPolicy() time.Duration {
	if u.armed {
		return time.Nanosecond // the timer flushes it
	}
	if u.cfg.Flush > 0 {
		return u.cfg.Flush
	}
	if u.cfg.Coalesce <= 0 {
		return 0
	}
	earliest := u.tat.Add(-(burstDatagrams - 1) * u.cfg.Coalesce)
	if wait := time.Until(earliest); wait > 0 {
		return wait
	}
	return 0
}

// chargeLocked takes one datagram off the coalesce budget (flush: 0).
func (u *udpConn) chargeLocked() {
	if u.cfg.Flush > 0 || u.cfg.Coalesce <= 0 {
		return
	}
	if now := time.Now(); u.tat.Before(now) {
		u.tat = now
	}
	u.tat = u.tat.Add(u.cfg.Coalesce)
}

// flushTimer is the timer's function: it writes the pending datagram,
// whose frames were reported as sent.
func (u *udpConn) flushTimer() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.armed = false
	if p := u.peer.Load(); p != nil && u.count > 0 {
		u.chargeLocked()
		u.flushLocked(*p, false)
	}
}

// sendPDULocked sends one OpPDU datagram.
func (u *udpConn) sendPDULocked(to netip.AddrPort, f *frame.Frame) error {
	pdu := cannelloni.PDU{Kind: uint8(f.Type), Flags: f.Flags, Addr: f.Addr, ID: f.ID, Data: f.Data[:f.Len]}
	out := cannelloni.AppendPDU(u.buf[:0], u.seq, &pdu)
	if u.auth != nil {
		out = u.auth.seal(u.sealBuf[:0], out)
	}
	u.seq++
	if err := u.writeLocked(out, to, 1); err != nil {
		return &endpoint.DropError{Reason: endpoint.ReasonWriteError, Err: err}
	}
	return nil
}

// flushLocked sends the pending datagram. With report false (its frames
// were all reported as sent: the timer) a failure is counted at the
// endpoint; with report true the frames an earlier call reported (held)
// are counted at the endpoint and the error is returned for the caller's.
func (u *udpConn) flushLocked(to netip.AddrPort, report bool) error {
	if u.count == 0 {
		return nil
	}
	u.buf[3], u.buf[4] = byte(u.count>>8), byte(u.count)
	out := u.buf
	if u.auth != nil {
		out = u.auth.seal(u.sealBuf[:0], u.buf)
	}
	n, held := u.count, u.held
	u.count, u.held = 0, 0
	u.seq++
	err := u.writeLocked(out, to, n)
	if err == nil {
		return nil
	}
	u.env.Log.Debug("udp send failed", "peer", to, "frames", n, "err", err)
	if !report {
		u.env.Drop(endpoint.ReasonWriteError, n)
		return nil
	}
	reason := endpoint.ReasonWriteError
	if errors.Is(err, syscall.ECONNREFUSED) {
		reason = endpoint.ReasonNoPeer
	}
	if held > 0 {
		u.env.Drop(reason, held)
	}
	return &endpoint.DropError{Reason: reason, Err: err}
}

func (u *udpConn) Close() error {
	u.mu.Lock()
	u.timer.Stop()
	u.armed = false
	if p := u.peer.Load(); p != nil {
		u.flushLocked(*p, false)
	}
	u.mu.Unlock()
	return u.c.Close()
}
