//go:build linux

package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/packet"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// packetConn is a packet endpoint: raw Ethernet frames of one interface
// through an AF_PACKET socket of the packet package. Frames are received
// in batches from a TPACKET_V3 ring (one wakeup per ring block, no system
// call and no allocation per frame) behind the endpoint's tcpdump filter
// (classic BPF in the kernel); frames this host transmits on the interface,
// those the gateway itself writes included, are never received
// (PACKET_IGNORE_OUTGOING, and the outgoing packet type skipped), so a
// bridge between two interfaces does not loop. Frames are written in
// batches with sendmmsg(2) on the same socket (packet_mmsg_linux.go).
type packetConn struct {
	cfg *config.Endpoint
	env *env

	mu            sync.Mutex // guards c replacement
	c             *packet.Conn
	ifindex       int
	kernelDropped uint64
	// netns is the network namespace the endpoint was opened in (-1 if
	// unknown): a reopened socket is created there too, whichever thread
	// runs the reopen.
	netns int
	tx    *packetTx
	// idle is set while no route reads the endpoint: the socket then
	// carries a filter that accepts nothing, so the kernel copies no
	// frame into the ring for nobody.
	idle atomic.Bool
}

var _ receiveGate = (*packetConn)(nil)

// filterFor returns the classic BPF program the socket needs: one that
// accepts nothing ("ret #0", BPF_RET|BPF_K) when idle, else the endpoint's
// compiled filter (nil: none).
func filterFor(cfg *config.Endpoint, idle bool) ([]bpf.RawInstruction, error) {
	if idle {
		return []bpf.RawInstruction{{Op: unix.BPF_RET | unix.BPF_K, K: 0}}, nil
	}
	if cfg.Filter == "" {
		return nil, nil
	}
	// Validated by the configuration already; compiled again here because
	// the program is not part of the configuration.
	return packet.AssembleFilter(cfg.Filter, nil)
}

// SetIdle makes the socket receive nothing (idle) or the frames of its
// filter again.
func (p *packetConn) SetIdle(idle bool) error {
	if p.idle.Swap(idle) == idle {
		return nil
	}
	prog, err := filterFor(p.cfg, idle)
	if err != nil {
		return err
	}
	c := p.conn()
	if prog == nil {
		if err := c.RemoveBPF(); err != nil && !errors.Is(err, unix.ENOENT) {
			return err
		}
		return nil
	}
	return c.SetBPF(prog)
}

// linkCheckInterval is how often the receiver checks that its
// interface still exists with the same index (deleted and re-created
// interfaces are reopened).
const linkCheckInterval = time.Second

func listenPacket(cfg *config.Endpoint, idle bool) (*packet.Conn, int, error) {
	ifi, err := net.InterfaceByName(cfg.Interface)
	if err != nil {
		return nil, 0, fmt.Errorf("interface %q: %w (ip link show lists the interfaces)", cfg.Interface, err)
	}
	if len(ifi.HardwareAddr) != 6 {
		return nil, 0, fmt.Errorf("interface %q is not an Ethernet interface (hardware address %q)", cfg.Interface, ifi.HardwareAddr)
	}
	pc := &packet.Config{
		Promiscuous:    cfg.Promiscuous,
		IgnoreOutgoing: true,
		Ring: &packet.RingConfig{
			BlockSize:     int(cfg.Ring.BlockSize),
			BlockCount:    cfg.Ring.Blocks,
			RetireTimeout: cfg.Ring.Timeout,
		},
	}
	if pc.Filter, err = filterFor(cfg, idle); err != nil {
		return nil, 0, err
	}
	c, err := packet.Listen(ifi, pc)
	if err != nil {
		return nil, 0, err
	}
	return c, ifi.Index, nil
}

func openPacket(ctx context.Context, cfg *config.Endpoint, e *env) (Conn, error) {
	c, idx, err := listenPacket(cfg, false)
	if err != nil {
		return nil, err
	}
	ns, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		ns = -1
	}
	return &packetConn{cfg: cfg, env: e, c: c, ifindex: idx, netns: ns, tx: newPacketTx(batchSize)}, nil
}

// listenInNetns runs listenPacket on a thread in the endpoint's network
// namespace. The thread stays locked and exits with its goroutine, so it
// never returns to the pool in another namespace.
func (p *packetConn) listenInNetns() (*packet.Conn, int, error) {
	if p.netns < 0 {
		return listenPacket(p.cfg, p.idle.Load())
	}
	type result struct {
		c   *packet.Conn
		idx int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Setns(p.netns, unix.CLONE_NEWNET); err != nil {
			ch <- result{err: fmt.Errorf("setns: %w", err)}
			return
		}
		c, idx, err := listenPacket(p.cfg, p.idle.Load())
		ch <- result{c, idx, err}
	}()
	r := <-ch
	return r.c, r.idx, r.err
}

func (p *packetConn) conn() *packet.Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.c
}

// linkGone reports whether the interface the socket is bound to no longer
// exists under the endpoint's name with the same index (it was deleted,
// or deleted and re-created). The lookup is an SIOCGIFINDEX ioctl on the
// packet socket itself, so it asks the socket's network namespace.
func (p *packetConn) linkGone(c *packet.Conn) bool {
	rc, err := c.SyscallConn()
	if err != nil {
		return false
	}
	ifr, err := unix.NewIfreq(p.cfg.Interface)
	if err != nil {
		return false
	}
	var ierr error
	if err := rc.Control(func(fd uintptr) { ierr = unix.IoctlIfreq(int(fd), unix.SIOCGIFINDEX, ifr) }); err != nil {
		return false
	}
	if ierr != nil {
		return errors.Is(ierr, unix.ENODEV)
	}
	return int(ifr.Uint32()) != p.ifindex
}

// ifaceUp reports whether the socket's interface is administratively up
// (SIOCGIFFLAGS on the packet socket, in its network namespace).
func (p *packetConn) ifaceUp(c *packet.Conn) bool {
	rc, err := c.SyscallConn()
	if err != nil {
		return false
	}
	ifr, err := unix.NewIfreq(p.cfg.Interface)
	if err != nil {
		return false
	}
	var ierr error
	if err := rc.Control(func(fd uintptr) { ierr = unix.IoctlIfreq(int(fd), unix.SIOCGIFFLAGS, ifr) }); err != nil || ierr != nil {
		return false
	}
	return ifr.Uint16()&unix.IFF_UP != 0
}

// reopen waits for the interface to exist again and replaces the socket.
func (p *packetConn) reopen(ctx context.Context) error {
	p.env.log.Warn("interface gone; waiting for it to come back", "interface", p.cfg.Interface)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		nc, idx, err := p.listenInNetns()
		if err != nil {
			continue
		}
		p.mu.Lock()
		old := p.c
		p.c, p.ifindex = nc, idx
		p.kernelDropped = 0
		p.mu.Unlock()
		old.Close()
		p.env.log.Info("interface back", "interface", p.cfg.Interface)
		return nil
	}
}

// Receive hands the frames of each ring block to deliver in batches of up
// to batchSize. Frames longer than MaxData are counted as oversize drops,
// packets the kernel dropped on a full ring as kernel_overflow.
func (p *packetConn) Receive(ctx context.Context, deliver func([]Frame)) error {
	batch := make([]Frame, batchSize)
	// A watcher expires the read deadline when the interface disappears,
	// so a receiver waiting on a dead socket wakes up and reopens.
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go func() {
		t := time.NewTicker(linkCheckInterval)
		defer t.Stop()
		for {
			select {
			case <-watchCtx.Done():
				return
			case <-t.C:
				if c := p.conn(); p.linkGone(c) {
					_ = c.SetReadDeadline(time.Unix(0, 1))
				}
			}
		}
	}()
	for {
		c := p.conn()
		b, err := c.ReadBlock(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, os.ErrDeadlineExceeded) || linkDown(err) {
				_ = c.SetReadDeadline(time.Time{})
				if !p.linkGone(c) {
					continue
				}
				if err := p.reopen(ctx); err != nil {
					return err
				}
				continue
			}
			return fmt.Errorf("read %s: %w", p.cfg.Interface, err)
		}
		k, oversize := 0, 0
		for {
			pk, ok := b.Next()
			if !ok {
				break
			}
			if pk.Type == packet.Outgoing {
				continue
			}
			if pk.Length > MaxData || len(pk.Data) < pk.Length {
				oversize++
				continue
			}
			f := &batch[k]
			f.Kind, f.ID, f.Flags, f.Addr = KindEthernet, 0, 0, 0
			f.Len = uint16(copy(f.Data[:], pk.Data))
			f.Time = pk.Timestamp.UnixNano()
			k++
			if k == len(batch) {
				deliver(batch[:k])
				k = 0
			}
		}
		b.Release()
		if k > 0 {
			deliver(batch[:k])
		}
		if oversize > 0 {
			p.env.drop(ReasonOversize, oversize)
		}
		if st, err := c.Stats(); err == nil && st.Drops > p.kernelDropped {
			p.env.drop(ReasonKernel, int(st.Drops-p.kernelDropped))
			p.kernelDropped = st.Drops
		}
	}
}

// Send writes the frames in batches of up to batchSize with one
// sendmmsg(2) each. Other frame kinds are unsupported drops; frames longer
// than the interface MTU allows are oversize drops; a down or vanished
// interface makes the rest of the batch link_down drops.
func (p *packetConn) Send(ctx context.Context, frames []Frame) (int, error) {
	c := p.conn()
	sent := 0
	for sent < len(frames) {
		k := 0
		for ; sent+k < len(frames) && k < batchSize; k++ {
			if f := &frames[sent+k]; f.Kind != KindEthernet || f.Len < 14 {
				break
			}
		}
		if k == 0 {
			f := &frames[sent]
			if f.Kind != KindEthernet {
				return sent, &DropError{Reason: ReasonUnsupported, One: true, Err: fmt.Errorf("%s frame cannot be written to Ethernet interface %s", f.Kind, p.cfg.Interface)}
			}
			return sent, &DropError{Reason: ReasonMalformed, One: true, Err: fmt.Errorf("Ethernet frame of %d bytes (less than a header)", f.Len)}
		}
		n, err := p.tx.write(c, frames[sent:sent+k])
		if err != nil && n == 0 && errors.Is(err, unix.ENETDOWN) && p.ifaceUp(c) {
			// The interface went down and came back: the socket still
			// held the ENETDOWN the kernel recorded then, and this
			// send reported (and cleared) it. Send again.
			n, err = p.tx.write(c, frames[sent:sent+k])
		}
		sent += n
		if err != nil {
			err = fmt.Errorf("write %s: %w", p.cfg.Interface, err)
			switch {
			case errors.Is(err, unix.EMSGSIZE):
				return sent, &DropError{Reason: ReasonOversize, One: true, Err: err}
			case linkDown(err):
				return sent, &DropError{Reason: ReasonLinkDown, Err: err}
			}
			return sent, &DropError{Reason: ReasonWriteError, One: true, Err: err}
		}
	}
	return sent, nil
}

func (p *packetConn) Close() error {
	if p.netns >= 0 {
		unix.Close(p.netns)
		p.netns = -1
	}
	return p.conn().Close()
}
