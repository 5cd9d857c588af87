//go:build linux

package packet

import (
	"errors"
	"fmt"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/mdlayher/socket"
	"golang.org/x/sys/unix"
)

// Transmit ring defaults (see TxRingConfig) and the TPACKET_V2 frame
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

func newTxRing(sc *socket.Conn, cfg *TxRingConfig) (*txRing, error) {
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
		return nil, fmt.Errorf("TxRingConfig.FrameSize %d: must be a multiple of 16, at least %d", fs, t2Data+14)
	case fn <= 0 || fn > 1<<20:
		return nil, fmt.Errorf("TxRingConfig.FrameCount %d: must be between 1 and %d", fn, 1<<20)
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

// WriteBatch transmits frames on the bound interface and returns how many
// it handed to the kernel. Each frame is a complete link-layer frame for a
// Raw socket (a network-layer packet for Datagram, sent to the
// Config.Protocol with no hardware address, so mostly useful for Raw).
//
// With Config.TxRing the frames are copied into the transmit ring and sent
// with one send(2) per batch (or per ring-full); without it they go out
// with sendmmsg(2), up to 1024 per call. Either way the caller may reuse
// the buffers when WriteBatch returns, and every frame counted in the
// result has been accepted by the kernel. When the device queue or the
// socket send buffer is full (ENOBUFS, EAGAIN) or every ring slot is still
// in flight, WriteBatch retries after short sleeps (20 µs doubling to
// 1 ms) instead of dropping frames; the write deadline does not apply.
// The first frame the kernel refuses (longer than the MTU: EMSGSIZE)
// ends the batch with an error. The socket must be bound to one
// interface; frames go to it with Config.Protocol.
func (c *Conn) WriteBatch(frames [][]byte) (int, error) {
	if c.ifindex == 0 {
		return 0, c.opError("write batch", errors.New("socket bound to all interfaces: WriteBatch needs one interface"))
	}
	rc, err := c.c.SyscallConn()
	if err != nil {
		return 0, c.opError("write batch", err)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.txRing != nil {
		return c.writeRing(rc, frames)
	}
	return c.writeMmsg(rc, frames)
}

func (c *Conn) writeRing(rc syscall.RawConn, frames [][]byte) (int, error) {
	r := c.txRing
	maxLen, err := c.maxFrameLen(rc)
	if err != nil {
		return 0, c.opError("write batch (tx ring)", err)
	}
	maxLen = min(maxLen, r.frameSize-t2Data)
	queued, n := 0, 0
	for n < len(frames) {
		f := frames[n]
		if len(f) == 0 || len(f) > maxLen && !(len(f) == maxLen+vlanTagLen && c.hdrLen == 14 && c.typ == Raw && f[12] == 0x81 && f[13] == 0x00) {
			if queued > 0 {
				if err := c.flushTx(rc); err != nil {
					return n, err
				}
			}
			return n, c.opError("write batch (tx ring)", fmt.Errorf("frame %d: %d bytes, want 1 to %d (%w; the smaller of TxRingConfig.FrameSize - 32 and the interface MTU plus link header)", n, len(f), maxLen, unix.EMSGSIZE))
		}
		slot := r.frame(r.head)
		if atomic.LoadUint32(r.status(slot)) != unix.TP_STATUS_AVAILABLE {
			// Ring full: hand over what is queued, then wait for the
			// kernel to give this slot back (at once on veth, after
			// transmit completion on a NIC).
			if err := c.flushTx(rc); err != nil {
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
		if err := c.flushTx(rc); err != nil {
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
func (c *Conn) flushTx(rc syscall.RawConn) error {
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
		return c.opError("write batch (tx ring): send", err)
	}
	return nil
}

// backoff calls f until it reports done or an error, sleeping 20 µs
// doubling to 1 ms between calls. Only a full device or socket queue makes
// it sleep, so the wait is bounded by how fast the device drains.
func backoff(f func() (bool, error)) error {
	for wait := 20 * time.Microsecond; ; wait = min(2*wait, time.Millisecond) {
		done, err := f()
		if done || err != nil {
			return err
		}
		time.Sleep(wait)
	}
}

// maxMmsg is the most messages one sendmmsg takes (UIO_MAXIOV).
const maxMmsg = 1024

func (c *Conn) writeMmsg(rc syscall.RawConn, frames [][]byte) (int, error) {
	sa := rawSockaddrLinklayer(c.ifindex, htons(c.protocol))
	batch := min(len(frames), maxMmsg)
	iov := make([]unix.Iovec, batch)
	hdr := make([]unix.Mmsghdr, batch)
	n := 0
	for n < len(frames) {
		m := min(len(frames)-n, maxMmsg)
		for i := range m {
			f := frames[n+i]
			iov[i] = unix.Iovec{}
			if len(f) > 0 {
				iov[i].Base = &f[0]
			}
			iov[i].SetLen(len(f))
			hdr[i] = unix.Mmsghdr{}
			hdr[i].Hdr.Name = (*byte)(unsafe.Pointer(&sa))
			hdr[i].Hdr.Namelen = uint32(unsafe.Sizeof(sa))
			hdr[i].Hdr.Iov = &iov[i]
			hdr[i].Hdr.SetIovlen(1)
		}
		var sent int
		// A full device queue (ENOBUFS) or send buffer (EAGAIN) fails the
		// first message not sent: retry it after a pause, as WriteTo
		// callers do, rather than drop it.
		err := backoff(func() (bool, error) {
			var e syscall.Errno
			if err := rc.Control(func(fd uintptr) {
				var r uintptr
				r, _, e = unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&hdr[0])), uintptr(m), unix.MSG_DONTWAIT, 0, 0)
				sent = int(r)
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
			return n, c.opError("sendmmsg", err)
		}
		n += sent
	}
	return n, nil
}

// rawSockaddrLinklayer builds a struct sockaddr_ll for sendmmsg.
func rawSockaddrLinklayer(ifindex int, protoBE uint16) unix.RawSockaddrLinklayer {
	return unix.RawSockaddrLinklayer{Family: unix.AF_PACKET, Protocol: protoBE, Ifindex: int32(ifindex)}
}

// maxFrameLen returns the longest frame the kernel accepts on the bound
// interface now: its MTU, plus the link-layer header for Raw sockets
// (tpacket_snd's check; an 802.1Q-tagged Ethernet frame may be 4 bytes
// longer). It reads the MTU with two ioctls (the name may have changed).
func (c *Conn) maxFrameLen(rc syscall.RawConn) (int, error) {
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
		return int(mtu) + c.hdrLen, nil
	}
	return int(mtu), nil
}
