//go:build linux

package can

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/fieldgate/fieldgate/core"
	"golang.org/x/sys/unix"
)

const (
	soJ1939Filter   = 1
	soJ1939Promisc  = 2
	soJ1939SendPrio = 3
	soJ1939ErrQueue = 4

	scmJ1939DestAddr = 1
	scmJ1939DestName = 2
	scmJ1939Prio     = 3
	scmJ1939ErrQueue = 4

	scmTimestampingOptStats = 54
	soEEOriginLocal         = 1
	soEEOriginTimestamping  = 4
	scmTstampSched          = 1
	scmTstampAck            = 2

	sofTxSched         = 1 << 8
	sofTxAck           = 1 << 9
	sofOptID           = 1 << 7
	sofOptCmsg         = 1 << 10
	sofOptTSOnly       = 1 << 11
	sofOptStats        = 1 << 12
	j1939EEInfoTxAbort = 1
	j1939EEInfoRxRTS   = 2
	j1939EEInfoRxDPO   = 3
	j1939EEInfoRxAbort = 4
)

// J1939Conn is a J1939 socket (CAN_J1939). The kernel runs the transport
// protocols: messages up to 1785 bytes (TP) and beyond (ETP) are sent and
// received whole.
type J1939Conn struct {
	s       *sock
	ifindex int
}

// ListenJ1939 opens a J1939 socket on iface bound to cfg.Local.
func ListenJ1939(iface string, cfg *J1939Config) (*J1939Conn, error) {
	if iface == "" {
		return nil, errors.New("can: J1939 needs an interface")
	}
	if cfg == nil {
		cfg = &J1939Config{Local: J1939Addr{PGN: J1939NoPGN, Addr: J1939NoAddr}}
	}
	if cfg.Priority != nil && *cfg.Priority > 7 {
		return nil, fmt.Errorf("can: J1939 priority %d: want 0..7", *cfg.Priority)
	}
	if cfg.Local.PGN != J1939NoPGN && cfg.Local.PGN > J1939PGNMax {
		return nil, fmt.Errorf("can: J1939 PGN %#x: want 0..0x3FFFF or J1939NoPGN", cfg.Local.PGN)
	}
	idx, err := ifindex(iface)
	if err != nil {
		return nil, err
	}
	s, err := openSock(unix.SOCK_DGRAM, unix.CAN_J1939, "can-j1939")
	if err != nil {
		return nil, err
	}
	s.iface = iface
	c := &J1939Conn{s: s, ifindex: idx}
	if err := c.configure(cfg); err != nil {
		s.close()
		return nil, err
	}
	l := cfg.Local
	if err := s.wrap("bind", s.s.Bind(&core.J1939Addr{Interface: iface, Index: idx, Name: l.Name, PGN: l.PGN, Addr: l.Addr})); err != nil {
		s.close()
		return nil, err
	}
	return c, nil
}

func (c *J1939Conn) configure(cfg *J1939Config) error {
	s := c.s
	if cfg.Promiscuous {
		if err := s.setInt(solCANJ1939, soJ1939Promisc, 1, "SO_J1939_PROMISC"); err != nil {
			return err
		}
	}
	if cfg.Broadcast {
		if err := s.setInt(unix.SOL_SOCKET, unix.SO_BROADCAST, 1, "SO_BROADCAST"); err != nil {
			return err
		}
	}
	if cfg.Priority != nil {
		if err := s.setInt(solCANJ1939, soJ1939SendPrio, int(*cfg.Priority), "SO_J1939_SEND_PRIO"); err != nil {
			return err
		}
	}
	if cfg.ErrQueue {
		if err := s.setInt(solCANJ1939, soJ1939ErrQueue, 1, "SO_J1939_ERRQUEUE"); err != nil {
			return err
		}
		fl := sofOptCmsg | sofTxAck | sofTxSched | sofOptStats | sofOptTSOnly | sofOptID | sofSoftware
		if err := s.setInt(unix.SOL_SOCKET, soTimestamping, fl, "SO_TIMESTAMPING"); err != nil {
			return err
		}
	}
	return nil
}

// Priority reads SO_J1939_SEND_PRIO.
func (c *J1939Conn) Priority() (uint8, error) {
	v, err := c.s.getInt(solCANJ1939, soJ1939SendPrio, "SO_J1939_SEND_PRIO")
	return uint8(v), err
}

// LocalAddr returns the bound address as the kernel reports it.
func (c *J1939Conn) LocalAddr() (ifindex int, a J1939Addr, err error) {
	sa, err := c.s.s.SockName()
	if err != nil {
		return 0, a, c.s.wrap("getsockname", err)
	}
	j, ok := sa.(*core.J1939Addr)
	if !ok {
		return 0, a, fmt.Errorf("can: getsockname returned %T", sa)
	}
	return j.Index, J1939Addr{Name: j.Name, PGN: j.PGN, Addr: j.Addr}, nil
}

// Connect sets the default destination for Write.
func (c *J1939Conn) Connect(ctx context.Context, dst J1939Addr) error {
	err := c.s.s.ConnectContext(ctx, c.coreAddr(dst))
	return c.s.wrap("connect "+dst.String(), err)
}

// WriteTo sends data as one J1939 message to dst (dst.PGN is the PGN sent).
// More than 8 bytes go through the kernel's transport protocol; the call
// returns when the kernel queued the message (use ErrQueue events for the
// outcome).
func (c *J1939Conn) WriteTo(ctx context.Context, data []byte, dst J1939Addr) error {
	_, err := c.s.s.SendToContext(ctx, data, 0, c.coreAddr(dst))
	return c.s.wrap("sendto "+dst.String(), err)
}

// Write sends data to the connected destination.
func (c *J1939Conn) Write(ctx context.Context, data []byte) error {
	_, err := c.s.s.SendContext(ctx, data, 0)
	return c.s.wrap("send", err)
}

// ReadFrom receives one whole message into b and reports its source and
// metadata. A message longer than b is an error, never cut silently.
func (c *J1939Conn) ReadFrom(ctx context.Context, b []byte) (int, J1939Addr, J1939Meta, error) {
	var src J1939Addr
	var meta J1939Meta
	n, cmsgs, fl, sa, err := c.s.s.RecvMsgIntoContext(ctx, [][]byte{b}, 128, 0) // J1939 rejects MSG_TRUNC in flags (EINVAL)
	if err != nil {
		return 0, src, meta, c.s.wrap("recvmsg", err)
	}
	if j, ok := sa.(*core.J1939Addr); ok {
		src = J1939Addr{Name: j.Name, PGN: j.PGN, Addr: j.Addr}
	}
	// The kernel sends SCM_J1939_DEST_ADDR only for addressed messages.
	meta.DestAddr = J1939NoAddr
	for _, cm := range cmsgs {
		d := cm.Data
		if cm.Level != solCANJ1939 {
			continue
		}
		switch {
		case cm.Type == scmJ1939DestAddr && len(d) >= 1:
			meta.DestAddr = d[0]
		case cm.Type == scmJ1939DestName && len(d) >= 8:
			meta.DestName = binary.NativeEndian.Uint64(d)
		case cm.Type == scmJ1939Prio && len(d) >= 1:
			meta.Priority = d[0]
		}
	}
	if fl&unix.MSG_TRUNC != 0 || n > len(b) {
		return min(n, len(b)), src, meta, fmt.Errorf("can: J1939 %s: %d-byte message from %s does not fit a %d-byte buffer", c.s.iface, n, src, len(b))
	}
	return n, src, meta, nil
}

// ReadEvent reads one transfer status event from the error queue (needs
// J1939Config.ErrQueue). It blocks until an event is queued or ctx is done:
// a queued error wakes the runtime poller's readers (EPOLLERR).
func (c *J1939Conn) ReadEvent(ctx context.Context) (J1939Event, error) {
	var ev J1939Event
	buf := make([]byte, 64)
	_, cmsgs, _, _, err := c.s.s.RecvMsgIntoContext(ctx, [][]byte{buf}, 256, unix.MSG_ERRQUEUE)
	if err != nil {
		return ev, c.s.wrap("recvmsg MSG_ERRQUEUE", err)
	}
	for _, cm := range cmsgs {
		parseJ1939Cmsg(int32(cm.Level), int32(cm.Type), cm.Data, &ev)
	}
	return ev, nil
}

func (c *J1939Conn) coreAddr(a J1939Addr) *core.J1939Addr {
	return &core.J1939Addr{Interface: c.s.iface, Index: c.ifindex, Name: a.Name, PGN: a.PGN, Addr: a.Addr}
}

func parseJ1939Cmsg(level, typ int32, d []byte, ev *J1939Event) {
	{
		switch {
		case level == solCANJ1939 && typ == scmJ1939ErrQueue && len(d) >= 16:
			errno := binary.NativeEndian.Uint32(d[0:4])
			origin := d[4]
			info := binary.NativeEndian.Uint32(d[8:12])
			ev.ID = binary.NativeEndian.Uint32(d[12:16])
			switch {
			case origin == soEEOriginTimestamping && info == scmTstampSched:
				ev.Kind = J1939EventScheduled
			case origin == soEEOriginTimestamping && info == scmTstampAck:
				ev.Kind = J1939EventCompleted
			case info == j1939EEInfoTxAbort:
				ev.Kind = J1939EventTxAbort
			case info == j1939EEInfoRxRTS:
				ev.Kind = J1939EventRxRTS
			case info == j1939EEInfoRxDPO:
				ev.Kind = J1939EventRxDPO
			case info == j1939EEInfoRxAbort:
				ev.Kind = J1939EventRxAbort
			}
			if errno != 0 && errno != uint32(unix.ENOMSG) {
				ev.Err = syscall.Errno(errno)
			}
		case level == unix.SOL_SOCKET && typ == scmTimestampingOptStats:
			parseJ1939Stats(d, ev)
		}
	}
}

// parseJ1939Stats decodes the J1939_NLA_* netlink attributes.
func parseJ1939Stats(b []byte, ev *J1939Event) {
	for len(b) >= 4 {
		l := int(binary.NativeEndian.Uint16(b[0:2]))
		typ := binary.NativeEndian.Uint16(b[2:4]) & 0x3FFF
		if l < 4 || l > len(b) {
			return
		}
		d := b[4:l]
		switch {
		case typ == 1 && len(d) >= 4:
			ev.BytesAcked = binary.NativeEndian.Uint32(d)
		case typ == 2 && len(d) >= 4:
			ev.TotalSize = binary.NativeEndian.Uint32(d)
		case typ == 3 && len(d) >= 4:
			ev.PGN = binary.NativeEndian.Uint32(d)
		case typ == 4 && len(d) >= 8:
			ev.SrcName = binary.NativeEndian.Uint64(d)
		case typ == 5 && len(d) >= 8:
			ev.DestName = binary.NativeEndian.Uint64(d)
		case typ == 6 && len(d) >= 1:
			ev.SrcAddr = d[0]
		case typ == 7 && len(d) >= 1:
			ev.DestAddr = d[0]
		}
		al := (l + 3) &^ 3
		if al > len(b) {
			return
		}
		b = b[al:]
	}
}

// ErrAddressLost reports that another node with a higher-priority NAME
// claimed the address.
var ErrAddressLost = errors.New("can: J1939 address claimed by a node with a higher-priority NAME")

// ClaimAddress runs the J1939-81 address claim for name and addr on c's
// interface: it broadcasts the Address Claimed message (PGN 0xEE00, the
// NAME little-endian) from addr, then listens 250 ms for a competing claim
// of the same address. A competing NAME that is numerically lower wins
// (ErrAddressLost); a higher one is answered by claiming again. c must be
// bound with Local {name, J1939NoPGN, addr}, Broadcast and Promiscuous.
func (c *J1939Conn) ClaimAddress(ctx context.Context, name uint64, addr uint8) error {
	var msg [8]byte
	binary.LittleEndian.PutUint64(msg[:], name)
	claim := J1939Addr{Name: J1939NoName, PGN: J1939PGNClaim, Addr: J1939NoAddr}
	if err := c.WriteTo(ctx, msg[:], claim); err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	wctx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
	defer cancel()
	buf := make([]byte, 64)
	for {
		n, src, _, err := c.ReadFrom(wctx, buf)
		if err != nil {
			// The poller's deadline may fire a moment before wctx
			// reports its own expiry: both mean the window is over.
			if ctx.Err() == nil && (wctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)) {
				return nil // 250 ms without a winning competitor
			}
			return err
		}
		if src.PGN != J1939PGNClaim || src.Addr != addr || n != 8 {
			continue
		}
		other := binary.LittleEndian.Uint64(buf[:8])
		switch {
		case other == name:
			continue // our own claim, looped back
		case other < name:
			return fmt.Errorf("%w: NAME %#016x holds address %#02x", ErrAddressLost, other, addr)
		default:
			if err := c.WriteTo(ctx, msg[:], claim); err != nil {
				return err
			}
		}
	}
}

// Rebind binds c again, to a new local NAME, PGN and address on the same
// interface (the kernel allows it on a bound J1939 socket): an address
// claimer moves this way to the address it claims.
func (c *J1939Conn) Rebind(local J1939Addr) error {
	if local.PGN != J1939NoPGN && local.PGN > J1939PGNMax {
		return fmt.Errorf("can: J1939 PGN %#x: want 0..0x3FFFF or J1939NoPGN", local.PGN)
	}
	return c.s.wrap("bind", c.s.s.Bind(&core.J1939Addr{Interface: c.s.iface, Index: c.ifindex, Name: local.Name, PGN: local.PGN, Addr: local.Addr}))
}

// Close closes the socket.
func (c *J1939Conn) Close() error { return c.s.close() }
