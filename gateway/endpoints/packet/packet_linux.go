//go:build linux

package packet

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
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/internal/ifstate"
	afpacket "github.com/fieldgate/fieldgate/packet"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// packetConn is a packet endpoint: raw Ethernet frames of one interface
// through an AF_PACKET socket of the packet package (afpacket). Frames are
// received in batches from a TPACKET_V3 ring (one wakeup per ring block, no
// system call and no allocation per frame) behind the endpoint's tcpdump filter
// (classic BPF in the kernel); frames this host transmits on the interface,
// those the gateway itself writes included, are never received
// (PACKET_IGNORE_OUTGOING, and the outgoing packet type skipped), so a
// bridge between two interfaces does not loop. Frames are written in
// batches with sendmmsg(2) on the same socket (mmsg_linux.go).
type packetConn struct {
	cfg *Config
	env *endpoint.Env

	mu            sync.Mutex // guards c replacement
	c             *afpacket.Conn
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

var (
	_ endpoint.Transceiver = (*packetConn)(nil)
	_ endpoint.ReceiveGate = (*packetConn)(nil)
)

// filterFor returns the classic BPF program the socket needs: one that
// accepts nothing ("ret #0", BPF_RET|BPF_K) when idle, else the endpoint's
// compiled filter (nil: none).
func filterFor(cfg *Config, idle bool) ([]bpf.RawInstruction, error) {
	if idle {
		return []bpf.RawInstruction{{Op: unix.BPF_RET | unix.BPF_K, K: 0}}, nil
	}
	if cfg.Filter == "" {
		return nil, nil
	}
	// Validated by the configuration already; compiled again here because
	// the program is not part of the configuration.
	return afpacket.AssembleFilter(cfg.Filter, nil)
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

func listenPacket(cfg *Config, idle bool) (*afpacket.Conn, int, error) {
	ifi, err := net.InterfaceByName(cfg.Interface)
	if err != nil {
		return nil, 0, fmt.Errorf("interface %q: %w (ip link show lists the interfaces)", cfg.Interface, err)
	}
	if len(ifi.HardwareAddr) != 6 {
		return nil, 0, fmt.Errorf("interface %q is not an Ethernet interface (hardware address %q)", cfg.Interface, ifi.HardwareAddr)
	}
	pc := &afpacket.Config{
		Promiscuous:    cfg.Promiscuous,
		IgnoreOutgoing: true,
		Ring: &afpacket.RingConfig{
			BlockSize:     int(cfg.Ring.BlockSize),
			BlockCount:    cfg.Ring.Blocks,
			RetireTimeout: cfg.Ring.Timeout,
		},
	}
	if pc.Filter, err = filterFor(cfg, idle); err != nil {
		return nil, 0, err
	}
	c, err := afpacket.Listen(ifi, pc)
	if err != nil {
		return nil, 0, err
	}
	return c, ifi.Index, nil
}

func open(ctx context.Context, ec *config.Endpoint, e *endpoint.Env) (endpoint.Transceiver, error) {
	cfg := ec.Settings.(*Config)
	c, idx, err := listenPacket(cfg, false)
	if err != nil {
		return nil, err
	}
	ns, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		ns = -1
	}
	return &packetConn{cfg: cfg, env: e, c: c, ifindex: idx, netns: ns, tx: newPacketTx(endpoint.BatchSize)}, nil
}

// listenInNetns runs listenPacket on a thread in the endpoint's network
// namespace. The thread stays locked and exits with its goroutine, so it
// never returns to the pool in another namespace.
func (p *packetConn) listenInNetns() (*afpacket.Conn, int, error) {
	if p.netns < 0 {
		return listenPacket(p.cfg, p.idle.Load())
	}
	type result struct {
		c   *afpacket.Conn
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

func (p *packetConn) conn() *afpacket.Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.c
}

// linkGone reports whether the interface the socket is bound to no longer
// exists under the endpoint's name with the same index (it was deleted,
// or deleted and re-created). The lookup is an SIOCGIFINDEX ioctl on the
// packet socket itself, so it asks the socket's network namespace.
func (p *packetConn) linkGone(c *afpacket.Conn) bool {
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
func (p *packetConn) ifaceUp(c *afpacket.Conn) bool {
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
	p.env.Log.Warn("interface gone; waiting for it to come back", "interface", p.cfg.Interface)
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
		p.env.Log.Info("interface back", "interface", p.cfg.Interface)
		return nil
	}
}

// Receive hands the frames of each ring block to deliver in batches of up
// to endpoint.BatchSize. Frames longer than frame.MaxData are counted as
// oversize drops, packets the kernel dropped on a full ring as
// kernel_overflow.
func (p *packetConn) Receive(ctx context.Context, deliver func([]frame.Frame)) error {
	batch := make([]frame.Frame, endpoint.BatchSize)
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
			if errors.Is(err, os.ErrDeadlineExceeded) || ifstate.LinkDown(err) {
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
			if pk.Type == afpacket.Outgoing {
				continue
			}
			if pk.Length > frame.MaxData || len(pk.Data) < pk.Length {
				oversize++
				continue
			}
			f := &batch[k]
			f.Type, f.ID, f.Flags, f.Addr = frame.Ethernet, 0, 0, 0
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
			p.env.Drop(endpoint.ReasonOversize, oversize)
		}
		if st, err := c.Stats(); err == nil && st.Drops > p.kernelDropped {
			p.env.Drop(endpoint.ReasonKernel, int(st.Drops-p.kernelDropped))
			p.kernelDropped = st.Drops
		}
	}
}

// Send writes the frames in batches of up to endpoint.BatchSize with one
// sendmmsg(2) each. Other frame kinds are unsupported drops; frames longer
// than the interface MTU allows are oversize drops; a down or vanished
// interface makes the rest of the batch link_down drops.
func (p *packetConn) Send(ctx context.Context, frames []frame.Frame) (int, error) {
	c := p.conn()
	sent := 0
	for sent < len(frames) {
		k := 0
		for ; sent+k < len(frames) && k < endpoint.BatchSize; k++ {
			if f := &frames[sent+k]; f.Type != frame.Ethernet || f.Len < 14 {
				break
			}
		}
		if k == 0 {
			f := &frames[sent]
			if f.Type != frame.Ethernet {
				return sent, &endpoint.DropError{Reason: endpoint.ReasonUnsupported, One: true, Err: fmt.Errorf("%s frame cannot be written to Ethernet interface %s", f.Type, p.cfg.Interface)}
			}
			return sent, &endpoint.DropError{Reason: endpoint.ReasonMalformed, One: true, Err: fmt.Errorf("Ethernet frame of %d bytes (less than a header)", f.Len)}
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
				return sent, &endpoint.DropError{Reason: endpoint.ReasonOversize, One: true, Err: err}
			case ifstate.LinkDown(err):
				return sent, &endpoint.DropError{Reason: endpoint.ReasonLinkDown, Err: err}
			}
			return sent, &endpoint.DropError{Reason: endpoint.ReasonWriteError, One: true, Err: err}
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
