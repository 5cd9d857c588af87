//go:build linux && !hil

package packet

import (
	"fmt"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/mdlayher/socket"
	"golang.org/x/sys/unix"
)

// txRingConfig sizes the ring: FrameSize bytes per slot (a multiple of
// 16; 32 of them are the slot header), FrameCount slots.
type txRingConfig struct{ FrameSize, FrameCount int }

// Transmit ring defaults and the TPACKET_V2 frame
// layout: struct tpacket2_hdr is 32 bytes and, without
// PACKET_TX_HAS_OFF, the kernel takes the frame from right after it
// (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll)).
const (
	defaultTxFrameSize  = 2048
	defaultTxFrameCount = 1024
	t2Status            = 0
	t2Len               = 4
	t2Data              = 32
)

// This file is the PACKET_TX_RING that was evaluated against sendmmsg(2)
// for Conn.WriteBatch (BenchmarkTransmit, BENCHMARKS.md) and not shipped:
// on the benchmark kernel it was no faster than sendmmsg, for 64-byte and
// for 1514-byte frames, and it brings hazards sendmmsg has not (a frame
// the kernel refuses wedges the ring unless PACKET_LOSS is set, and with
// it such frames vanish without an error, so lengths must be checked
// against the live MTU first). It stays as test code so the comparison
// can be rerun.

// txRing is a mapped TPACKET_V2 transmit ring. Slots are used in ring
// order, as the kernel's tpacket_snd walks them.
type txRing struct {
	mem            []byte
	frameSize      int
	framesPerBlock int
	blockSize      int
	count          int
	head           int
}

func newTxRing(sc *socket.Conn, cfg *txRingConfig) (*txRing, error) {
	fs, fn := cfg.FrameSize, cfg.FrameCount
	if fs == 0 {
		fs = defaultTxFrameSize
	}
	if fn == 0 {
		fn = defaultTxFrameCount
	}
	page := unix.Getpagesize()
	switch {
	case fs < t2Data+14 || fs%16 != 0:
		return nil, fmt.Errorf("txRingConfig.FrameSize %d: must be a multiple of 16, at least %d", fs, t2Data+14)
	case fn <= 0 || fn > 1<<20:
		return nil, fmt.Errorf("txRingConfig.FrameCount %d: must be between 1 and %d", fn, 1<<20)
	}
	bs := (fs + page - 1) / page * page
	fpb := bs / fs
	bn := (fn + fpb - 1) / fpb
	req := unix.TpacketReq{Block_size: uint32(bs), Block_nr: uint32(bn), Frame_size: uint32(fs), Frame_nr: uint32(bn * fpb)}
	if err := sc.SetsockoptInt(unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V2); err != nil {
		return nil, fmt.Errorf("setsockopt PACKET_VERSION: %w", err)
	}
	// Without PACKET_LOSS a frame the kernel refuses (longer than the
	// MTU allows) stays in its slot as TP_STATUS_WRONG_FORMAT and the
	// kernel never walks past it again: the ring is wedged for good, as
	// PACKET_LOSS cannot be changed once the ring exists. With it the
	// kernel skips such a frame silently, so WriteBatch checks every
	// length against the interface's current MTU before queueing.
	if err := sc.SetsockoptInt(unix.SOL_PACKET, unix.PACKET_LOSS, 1); err != nil {
		return nil, fmt.Errorf("setsockopt PACKET_LOSS: %w", err)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	var mem []byte
	var serr error
	if err := rc.Control(func(fd uintptr) {
		if serr = unix.SetsockoptTpacketReq(int(fd), unix.SOL_PACKET, unix.PACKET_TX_RING, &req); serr != nil {
			serr = fmt.Errorf("setsockopt PACKET_TX_RING (%d blocks of %d bytes, frame %d): %w", bn, bs, fs, serr)
			return
		}
		if mem, serr = unix.Mmap(int(fd), 0, bs*bn, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED); serr != nil {
			serr = fmt.Errorf("mmap %d bytes: %w", bs*bn, serr)
		}
	}); err != nil {
		return nil, err
	}
	if serr != nil {
		return nil, serr
	}
	return &txRing{mem: mem, frameSize: fs, framesPerBlock: fpb, blockSize: bs, count: bn * fpb}, nil
}

func (r *txRing) frame(i int) []byte {
	off := i/r.framesPerBlock*r.blockSize + i%r.framesPerBlock*r.frameSize
	return r.mem[off : off+r.frameSize]
}

func (r *txRing) status(f []byte) *uint32 { return (*uint32)(unsafe.Pointer(&f[t2Status])) }

func (r *txRing) unmap() error {
	if r.mem == nil {
		return nil
	}
	err := unix.Munmap(r.mem)
	r.mem = nil
	if err != nil {
		return fmt.Errorf("munmap tx ring: %w", err)
	}
	return nil
}

// evalTxRing is a send-only Conn with a transmit ring.
type evalTxRing struct {
	c      *Conn
	ring   *txRing
	hdrLen int
}

// newEvalTxRing maps a transmit ring on a Conn opened with SendOnly.
func newEvalTxRing(c *Conn, cfg *txRingConfig) (*evalTxRing, error) {
	r, err := newTxRing(c.c, cfg)
	if err != nil {
		return nil, err
	}
	t := &evalTxRing{c: c, ring: r}
	if sa, err := c.c.Getsockname(); err == nil {
		if ll, ok := sa.(*unix.SockaddrLinklayer); ok && (ll.Hatype == unix.ARPHRD_ETHER || ll.Hatype == unix.ARPHRD_LOOPBACK) {
			t.hdrLen = 14
		}
	}
	return t, nil
}

func (t *evalTxRing) Close() error { return t.ring.unmap() }

// WriteBatch is Conn.WriteBatch through the ring.
func (t *evalTxRing) WriteBatch(frames [][]byte) (int, error) {
	c := t.c
	rc, err := c.c.SyscallConn()
	if err != nil {
		return 0, err
	}
	r := t.ring
	maxLen, err := t.maxFrameLen(rc)
	if err != nil {
		return 0, c.opError("write batch (tx ring)", err)
	}
	maxLen = min(maxLen, r.frameSize-t2Data)
	queued, n := 0, 0
	for n < len(frames) {
		f := frames[n]
		if len(f) == 0 || len(f) > maxLen && !(len(f) == maxLen+vlanTagLen && t.hdrLen == 14 && c.typ == Raw && f[12] == 0x81 && f[13] == 0x00) {
			if queued > 0 {
				if err := t.flushTx(rc); err != nil {
					return n, err
				}
			}
			return n, c.opError("write batch (tx ring)", fmt.Errorf("frame %d: %d bytes, want 1 to %d (%w; the smaller of txRingConfig.FrameSize - 32 and the interface MTU plus link header)", n, len(f), maxLen, unix.EMSGSIZE))
		}
		slot := r.frame(r.head)
		if atomic.LoadUint32(r.status(slot)) != unix.TP_STATUS_AVAILABLE {
			// Ring full: hand over what is queued, then wait for the
			// kernel to give this slot back (at once on veth, after
			// transmit completion on a NIC).
			if err := t.flushTx(rc); err != nil {
				return n, err
			}
			queued = 0
			if err := backoff(func() (bool, error) {
				return atomic.LoadUint32(r.status(slot)) == unix.TP_STATUS_AVAILABLE, nil
			}); err != nil {
				return n, c.opError("write batch (tx ring)", err)
			}
			continue
		}
		copy(slot[t2Data:], f)
		*(*uint32)(unsafe.Pointer(&slot[t2Len])) = uint32(len(f))
		atomic.StoreUint32(r.status(slot), unix.TP_STATUS_SEND_REQUEST)
		r.head = (r.head + 1) % r.count
		n++
		queued++
	}
	if queued > 0 {
		if err := t.flushTx(rc); err != nil {
			return n, err
		}
	}
	return n, nil
}

// flushTx has the kernel transmit every SEND_REQUEST slot: one send(2)
// with no data. When the device queue or the socket send buffer is full
// (ENOBUFS, EAGAIN) the kernel leaves the frame it could not send in
// SEND_REQUEST and stops there; flushTx retries with backoff so that no
// queued frame is left behind when WriteBatch returns.
func (t *evalTxRing) flushTx(rc syscall.RawConn) error {
	err := backoff(func() (bool, error) {
		var e syscall.Errno
		if err := rc.Control(func(fd uintptr) {
			_, _, e = unix.Syscall6(unix.SYS_SENDTO, fd, 0, 0, unix.MSG_DONTWAIT, 0, 0)
		}); err != nil {
			return false, err
		}
		switch e {
		case 0:
			return true, nil
		case unix.EAGAIN, unix.ENOBUFS:
			return false, nil
		}
		return false, e
	})
	if err != nil {
		return t.c.opError("write batch (tx ring): send", err)
	}
	return nil
}

// maxFrameLen returns the longest frame the kernel accepts on the bound
// interface now: its MTU, plus the link-layer header for Raw sockets
// (tpacket_snd's check; an 802.1Q-tagged Ethernet frame may be 4 bytes
// longer). It reads the MTU with two ioctls (the name may have changed).
func (t *evalTxRing) maxFrameLen(rc syscall.RawConn) (int, error) {
	c := t.c
	var mtu uint32
	var ierr error
	if err := rc.Control(func(fd uintptr) {
		var ifr *unix.Ifreq
		if ifr, ierr = unix.NewIfreq(""); ierr != nil {
			return
		}
		ifr.SetUint32(uint32(c.ifindex))
		if ierr = unix.IoctlIfreq(int(fd), unix.SIOCGIFNAME, ifr); ierr != nil {
			ierr = fmt.Errorf("ioctl SIOCGIFNAME ifindex %d: %w", c.ifindex, ierr)
			return
		}
		if ierr = unix.IoctlIfreq(int(fd), unix.SIOCGIFMTU, ifr); ierr != nil {
			ierr = fmt.Errorf("ioctl SIOCGIFMTU %s: %w", ifr.Name(), ierr)
			return
		}
		mtu = ifr.Uint32()
	}); err != nil {
		return 0, err
	}
	if ierr != nil {
		return 0, ierr
	}
	if c.typ == Raw {
		return int(mtu) + t.hdrLen, nil
	}
	return int(mtu), nil
}
