//go:build linux

package can

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/fieldgate/fieldgate/core"
	"golang.org/x/sys/unix"
)

// oobSize holds SCM_TIMESTAMPNS (16+16), SCM_TIMESTAMPING (16+48) and
// SO_RXQ_OVFL (16+4 -> 24) control messages.
const oobSize = 32 + 64 + 24

// rawMinNamelen is the address length CAN_RAW's recvmsg reports: the
// sockaddr_can up to and including can_ifindex.
const rawMinNamelen = 8

// RawConn is a raw CAN socket (CAN_RAW) bound to one interface or to all.
// ReadBatch and WriteBatch move many frames per system call (recvmmsg,
// sendmmsg) and do not allocate in the steady state. Reads and writes may
// run concurrently with each other; concurrent reads (or writes) are
// serialized.
type RawConn struct {
	s       *sock
	ifindex int
	fd      bool
	dropped atomic.Uint64

	rxMu   sync.Mutex
	rxMsgs [MaxBatch]core.Message
	rxBufs [MaxBatch][1][]byte
	rxBuf  [MaxBatch][FDMTU]byte
	rxOOB  [MaxBatch][oobSize]byte
	rxAddr [MaxBatch]core.CANAddr

	txMu   sync.Mutex
	txMsgs [MaxBatch]core.Message
	txBufs [MaxBatch][1][]byte
	txBuf  [MaxBatch][FDMTU]byte

	rxDirect, txDirect mmsgDirect // rawmmsg_linux.go
	mem                memInfo    // DroppedNow's, under rxMu
}

// ListenRaw opens a raw CAN socket on iface ("" = all CAN interfaces) with
// cfg (nil = defaults).
func ListenRaw(iface string, cfg *RawConfig) (*RawConn, error) {
	if cfg == nil {
		cfg = &RawConfig{}
	}
	idx, err := ifindex(iface)
	if err != nil {
		return nil, err
	}
	s, err := openSock(unix.SOCK_RAW, unix.CAN_RAW, "can-raw")
	if err != nil {
		return nil, err
	}
	s.iface = iface
	c := &RawConn{s: s, ifindex: idx, fd: cfg.FD}
	if err := c.configure(cfg); err != nil {
		s.close()
		return nil, err
	}
	if err := s.wrap("bind", s.s.Bind(&core.CANAddr{Interface: iface, Index: idx})); err != nil {
		s.close()
		return nil, err
	}
	for i := range c.rxMsgs {
		c.rxBufs[i][0] = c.rxBuf[i][:]
		c.rxMsgs[i].Buffers = c.rxBufs[i][:]
		c.rxMsgs[i].OOB = c.rxOOB[i][:]
		c.rxAddr[i] = core.CANAddr{Interface: iface, Index: idx}
		c.rxMsgs[i].Addr = &c.rxAddr[i]
		c.txMsgs[i].Buffers = c.txBufs[i][:]
	}
	c.rxDirect.init(true, &c.rxBuf, &c.rxOOB)
	c.mem.init()
	c.txDirect.init(false, &c.txBuf, nil)
	return c, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (c *RawConn) configure(cfg *RawConfig) error {
	s := c.s
	if cfg.FD {
		if err := s.setInt(solCANRaw, canRawFDFrames, 1, "CAN_RAW_FD_FRAMES"); err != nil {
			return err
		}
	}
	if cfg.Filters != nil {
		if len(cfg.Filters) > unix.CAN_RAW_FILTER_MAX {
			return fmt.Errorf("can: %d filters, the kernel accepts at most %d", len(cfg.Filters), unix.CAN_RAW_FILTER_MAX)
		}
		if err := c.SetFilters(cfg.Filters); err != nil {
			return err
		}
	}
	if cfg.JoinFilters {
		if err := s.setInt(solCANRaw, canRawJoinFilters, 1, "CAN_RAW_JOIN_FILTERS"); err != nil {
			return err
		}
	}
	if cfg.ErrorMask != 0 {
		if err := s.setInt(solCANRaw, canRawErrFilter, int(cfg.ErrorMask&ErrMaskAll), "CAN_RAW_ERR_FILTER"); err != nil {
			return err
		}
	}
	if cfg.Loopback != nil {
		if err := s.setInt(solCANRaw, canRawLoopback, boolInt(*cfg.Loopback), "CAN_RAW_LOOPBACK"); err != nil {
			return err
		}
	}
	if cfg.RecvOwnMsgs {
		if err := s.setInt(solCANRaw, canRawRecvOwnMsgs, 1, "CAN_RAW_RECV_OWN_MSGS"); err != nil {
			return err
		}
	}
	if cfg.Timestamps {
		if err := s.setInt(unix.SOL_SOCKET, soTimestampNS, 1, "SO_TIMESTAMPNS"); err != nil {
			return err
		}
		// Hardware stamps where the driver supplies them; the software
		// stamp above stays the fallback. Ignore failure: not every
		// kernel accepts it on CAN sockets.
		_ = s.setInt(unix.SOL_SOCKET, soTimestamping, sofRxHardware|sofRawHardware, "SO_TIMESTAMPING")
	}
	if err := s.setInt(unix.SOL_SOCKET, soRxqOvfl, 1, "SO_RXQ_OVFL"); err != nil {
		return err
	}
	if cfg.RecvBuffer > 0 {
		if err := s.setRecvBuffer(cfg.RecvBuffer); err != nil {
			return err
		}
	}
	return nil
}

// SetFilters replaces the receive filters; an empty slice receives no data
// frames, nil restores the receive-all default.
func (c *RawConn) SetFilters(fs []Filter) error {
	if fs == nil {
		fs = []Filter{{ID: 0, Mask: 0}}
	}
	return c.s.setBytes(solCANRaw, canRawFilter, MarshalFilters(fs), "CAN_RAW_FILTER")
}

// Filters reads the receive filters back from the kernel.
func (c *RawConn) Filters() ([]Filter, error) {
	b, err := c.s.getBytes(solCANRaw, canRawFilter, unix.CAN_RAW_FILTER_MAX*FilterSize, "CAN_RAW_FILTER")
	if err != nil {
		return nil, err
	}
	return UnmarshalFilters(b)
}

// Loopback reads CAN_RAW_LOOPBACK back from the kernel.
func (c *RawConn) Loopback() (bool, error) {
	v, err := c.s.getInt(solCANRaw, canRawLoopback, "CAN_RAW_LOOPBACK")
	return v != 0, err
}

// SetLoopback sets CAN_RAW_LOOPBACK.
func (c *RawConn) SetLoopback(on bool) error {
	return c.s.setInt(solCANRaw, canRawLoopback, boolInt(on), "CAN_RAW_LOOPBACK")
}

// SetRecvOwnMsgs sets CAN_RAW_RECV_OWN_MSGS.
func (c *RawConn) SetRecvOwnMsgs(on bool) error {
	return c.s.setInt(solCANRaw, canRawRecvOwnMsgs, boolInt(on), "CAN_RAW_RECV_OWN_MSGS")
}

// RecvBuffer returns the socket's receive buffer as the kernel granted it
// (SO_RCVBUF read back): twice the size asked for with
// RawConfig.RecvBuffer, or less where SO_RCVBUF was capped at
// net.core.rmem_max because SO_RCVBUFFORCE needs CAP_NET_ADMIN.
func (c *RawConn) RecvBuffer() (int, error) {
	return c.s.getInt(unix.SOL_SOCKET, unix.SO_RCVBUF, "SO_RCVBUF")
}

// Dropped returns the number of frames the kernel dropped because the
// socket's receive queue was full (SO_RXQ_OVFL), as of the last read.
func (c *RawConn) Dropped() uint64 { return c.dropped.Load() }

// DroppedNow reads the socket's count of frames the kernel dropped on a
// full receive queue as it is now (SO_MEMINFO). Dropped is that count as
// of the last frame read, so it misses drops after that frame (the end of
// a burst that overflowed the queue) until another frame arrives. It does
// not allocate.
func (c *RawConn) DroppedNow() (uint64, error) {
	c.rxMu.Lock()
	defer c.rxMu.Unlock()
	m := &c.mem
	m.len, m.errno = uint32(unsafe.Sizeof(m.info)), 0
	err := c.s.rc.Control(m.fn)
	if err == nil && m.errno != 0 {
		err = m.errno
	}
	if err != nil {
		return 0, c.s.wrap("getsockopt SO_MEMINFO", err)
	}
	return uint64(m.info[unix.SK_MEMINFO_DROPS]), nil
}

// memInfo is DroppedNow's getsockopt(SO_MEMINFO), prepared once so that
// the call does not allocate.
type memInfo struct {
	info  [unix.SK_MEMINFO_VARS]uint32
	len   uint32
	errno unix.Errno
	fn    func(fd uintptr)
}

func (m *memInfo) init() {
	m.fn = func(fd uintptr) {
		_, _, m.errno = unix.RawSyscall6(unix.SYS_GETSOCKOPT, fd, unix.SOL_SOCKET, unix.SO_MEMINFO,
			uintptr(unsafe.Pointer(&m.info[0])), uintptr(unsafe.Pointer(&m.len)), 0)
	}
}

// Close closes the socket; blocked reads and writes return an error.
func (c *RawConn) Close() error { return c.s.close() }

// ReadBatch receives up to min(len(msgs), MaxBatch) frames with one
// recvmmsg: it blocks until the first frame arrives (or ctx is done) and
// returns what is available then. It does not allocate in the steady state.
func (c *RawConn) ReadBatch(ctx context.Context, msgs []RecvMsg) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	c.rxMu.Lock()
	defer c.rxMu.Unlock()
	vlen := min(len(msgs), MaxBatch)
	n, err := c.recv(ctx, vlen)
	if err != nil {
		return 0, err
	}
	return c.decodeN(n, msgs)
}

// TryReadBatch is ReadBatch without waiting: one recvmmsg made directly on
// the non-blocking descriptor. When no frame is queued (or the descriptor
// cannot be used now: ReadBatch then reports why) it returns 0 and no
// error. It does not allocate.
func (c *RawConn) TryReadBatch(msgs []RecvMsg) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	c.rxMu.Lock()
	defer c.rxMu.Unlock()
	d := &c.rxDirect
	d.vlen = min(len(msgs), MaxBatch)
	if !d.try(c.s) {
		return 0, nil
	}
	n, err := c.directRx()
	if err != nil {
		return 0, err
	}
	return c.decodeN(n, msgs)
}

// decodeN decodes the first n received messages into msgs.
func (c *RawConn) decodeN(n int, msgs []RecvMsg) (int, error) {
	for i := range n {
		if err := c.decodeRx(i, &msgs[i]); err != nil {
			return i, err
		}
	}
	return n, nil
}

// recv fills c.rxMsgs[:n] (N, Flags, NOOB) and c.rxAddr[:n] (Index).
// When ctx cannot be cancelled it reads through the runtime poller's read
// callback: one recvmmsg when frames are queued, else a wait and another
// recvmmsg, without context machinery. The callback's first call must be
// a real receive: the runtime clears the descriptor's readiness as the
// read begins (poll.FD.RawRead's prepareRead), so a frame that arrived
// before that is seen only by asking the socket again. Otherwise (a
// cancellable ctx) one direct recvmmsg is tried before the core path,
// which watches ctx.
func (c *RawConn) recv(ctx context.Context, vlen int) (int, error) {
	d := &c.rxDirect
	d.vlen = vlen
	var direct bool
	if ctx == nil || ctx.Done() == nil {
		// Any error of the poller itself (closed socket, a deadline
		// left armed) goes through the core path, which reports it.
		direct = c.s.rc.Read(d.fn) == nil
	} else {
		direct = d.try(c.s)
	}
	if direct {
		return c.directRx()
	}
	n, err := c.s.s.RecvMmsgContext(c.s.ctxFor(ctx, c.s.rProbe), c.rxMsgs[:vlen], 0)
	if err != nil {
		return 0, c.s.wrap("recvmmsg", err)
	}
	return n, nil
}

// directRx takes the result of a direct recvmmsg (c.rxDirect) into
// c.rxMsgs and c.rxAddr.
func (c *RawConn) directRx() (int, error) {
	d := &c.rxDirect
	if d.errno != 0 {
		return 0, c.s.wrap("recvmmsg", &net.OpError{Op: "recvmmsg", Net: "can", Err: os.NewSyscallError("recvmmsg", d.errno)})
	}
	for i := range d.n {
		h := &d.hdr[i]
		c.rxMsgs[i].N = int(h.Len)
		c.rxMsgs[i].Flags = int(h.Hdr.Flags)
		c.rxMsgs[i].NOOB = int(h.Hdr.Controllen)
		c.rxAddr[i].Index = c.ifindex
		// CAN_RAW returns only family and ifindex (namelen 8,
		// RAW_MIN_NAMELEN), not the whole sockaddr_can.
		if h.Hdr.Namelen >= rawMinNamelen {
			c.rxAddr[i].Index = int(d.name[i].Ifindex)
		}
	}
	return d.n, nil
}

// ReadFrame receives one frame into m (ReadBatch of one).
func (c *RawConn) ReadFrame(ctx context.Context, m *RecvMsg) error {
	_, err := c.ReadBatch(ctx, unsafe.Slice(m, 1))
	return err
}

func (c *RawConn) decodeRx(i int, m *RecvMsg) error {
	h := &c.rxMsgs[i]
	n := h.N
	if h.Flags&unix.MSG_TRUNC != 0 || (n != MTU && n != FDMTU) {
		return fmt.Errorf("can: recvmmsg %s: kernel returned a %d-byte frame (flags %#x): %w", c.s.iface, n, h.Flags, unix.EMSGSIZE)
	}
	b := c.rxBuf[i][:n]
	if b[4] > MaxLen && n == MTU || b[4] > FDMaxLen {
		return fmt.Errorf("can: recvmmsg %s: frame length %d in a %d-byte frame: %w", c.s.iface, b[4], n, ErrFrameLen)
	}
	m.Frame.decode(b)
	m.FD = n == FDMTU
	m.Own = h.Flags&unix.MSG_DONTROUTE != 0
	m.Confirm = h.Flags&unix.MSG_CONFIRM != 0
	m.Ifindex = c.ifindex
	if c.rxAddr[i].Index != 0 {
		m.Ifindex = c.rxAddr[i].Index
	}
	m.Time = time.Time{}
	m.HWTime = time.Time{}
	c.parseOOB(c.rxOOB[i][:h.NOOB], m)
	return nil
}

func (c *RawConn) parseOOB(b []byte, m *RecvMsg) {
	var hw time.Time
	for len(b) >= unix.SizeofCmsghdr {
		l := int(binary.NativeEndian.Uint64(b[0:8]))
		if l < unix.SizeofCmsghdr || l > len(b) {
			return
		}
		level := int32(binary.NativeEndian.Uint32(b[8:12]))
		typ := int32(binary.NativeEndian.Uint32(b[12:16]))
		d := b[unix.SizeofCmsghdr:l]
		if level == unix.SOL_SOCKET {
			switch typ {
			case scmTimestampNS:
				if len(d) >= 16 {
					m.Time = time.Unix(int64(binary.NativeEndian.Uint64(d[0:8])), int64(binary.NativeEndian.Uint64(d[8:16])))
				}
			case scmTimestamping:
				if len(d) >= 48 {
					sec, ns := int64(binary.NativeEndian.Uint64(d[32:40])), int64(binary.NativeEndian.Uint64(d[40:48]))
					if sec != 0 || ns != 0 {
						hw = time.Unix(sec, ns)
					}
				}
			case soRxqOvfl:
				if len(d) >= 4 {
					c.dropped.Store(uint64(binary.NativeEndian.Uint32(d[0:4])))
				}
			}
		}
		al := (l + 7) &^ 7
		if al > len(b) {
			return
		}
		b = b[al:]
	}
	if !hw.IsZero() {
		m.Time = hw
		m.HWTime = hw
	}
}

// ErrNoInterface is returned by writes on a socket bound to all interfaces.
var ErrNoInterface = errors.New("can: socket is bound to all interfaces; open it on one interface to send")

// WriteBatch sends up to min(len(frames), MaxBatch) frames with one sendmmsg
// and returns how many the kernel took. Classic frames (IsFD false) go out
// as 16-byte can_frame, others as 72-byte canfd_frame (which needs
// RawConfig.FD). When the interface's queue is full (ENOBUFS) it backs off
// and retries until ctx is done. It does not allocate.
func (c *RawConn) WriteBatch(ctx context.Context, frames []FDFrame) (int, error) {
	return c.writeBatch(ctx, frames, true)
}

// TryWriteBatch is WriteBatch without waiting: one sendmmsg made directly
// on the non-blocking descriptor. When the socket has no room it returns 0
// and an error that satisfies errors.Is(err, unix.EAGAIN); a full
// interface queue is unix.ENOBUFS. Either way nothing was sent and the
// caller may retry with WriteBatch, which waits. It does not allocate.
func (c *RawConn) TryWriteBatch(frames []FDFrame) (int, error) {
	return c.writeBatch(nil, frames, false)
}

func (c *RawConn) writeBatch(ctx context.Context, frames []FDFrame, wait bool) (int, error) {
	if len(frames) == 0 {
		return 0, nil
	}
	if c.ifindex == 0 {
		return 0, ErrNoInterface
	}
	c.txMu.Lock()
	defer c.txMu.Unlock()
	vlen, err := c.encodeTx(frames)
	if err != nil {
		return 0, err
	}
	if !wait {
		d := &c.txDirect
		d.vlen = vlen
		errno := unix.EAGAIN
		if d.try(c.s) {
			errno = d.errno
		}
		if errno != 0 {
			return 0, c.s.wrap("sendmmsg", &net.OpError{Op: "sendmmsg", Net: "can", Err: os.NewSyscallError("sendmmsg", errno)})
		}
		return d.n, nil
	}
	backoff := 50 * time.Microsecond
	for {
		n, err := c.send(ctx, vlen)
		if err == nil {
			return n, nil
		}
		if !errors.Is(err, unix.ENOBUFS) {
			return 0, err
		}
		// The device queue is full: wait for it to drain.
		if ctx != nil && ctx.Err() != nil {
			return 0, err
		}
		time.Sleep(backoff)
		backoff = min(2*backoff, 5*time.Millisecond)
	}
}

// encodeTx puts up to MaxBatch frames into the transmit buffers and returns
// how many are ready: it stops before the first frame the socket cannot
// take, and fails if that is the first one. The caller holds txMu.
func (c *RawConn) encodeTx(frames []FDFrame) (int, error) {
	vlen := min(len(frames), MaxBatch)
	for i := range vlen {
		f := &frames[i]
		if f.IsFD() && !c.fd {
			if i == 0 {
				return 0, fmt.Errorf("can: write %s: frame %s is CAN FD but the socket was opened without RawConfig.FD: %w", c.s.iface, f, unix.EINVAL)
			}
			return i, nil
		}
		if f.Len > FDMaxLen || (!f.IsFD() && f.Len > MaxLen) {
			if i == 0 {
				return 0, fmt.Errorf("can: write %s: frame length %d: %w", c.s.iface, f.Len, ErrFrameLen)
			}
			return i, nil
		}
		n := f.Put(c.txBuf[i][:])
		c.txBufs[i][0] = c.txBuf[i][:n]
		c.txDirect.iov[i].SetLen(n)
	}
	return vlen, nil
}

// send makes one sendmmsg of c.txBuf[:vlen]: directly when the socket has
// room, else waiting on the runtime poller (with ctx).
func (c *RawConn) send(ctx context.Context, vlen int) (int, error) {
	d := &c.txDirect
	d.vlen = vlen
	if d.try(c.s) {
		if d.errno != 0 {
			return 0, c.s.wrap("sendmmsg", &net.OpError{Op: "sendmmsg", Net: "can", Err: os.NewSyscallError("sendmmsg", d.errno)})
		}
		return d.n, nil
	}
	n, err := c.s.s.SendMmsgContext(c.s.ctxFor(ctx, c.s.wProbe), c.txMsgs[:vlen], 0)
	return n, c.s.wrap("sendmmsg", err)
}

// WriteFrame sends one frame (WriteBatch of one).
func (c *RawConn) WriteFrame(ctx context.Context, f *FDFrame) error {
	_, err := c.WriteBatch(ctx, unsafe.Slice(f, 1))
	return err
}
