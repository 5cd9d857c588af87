//go:build linux

package packet

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/mdlayher/socket"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Conn is an AF_PACKET socket bound to one interface or to all of them.
// Reads wait on the Go runtime network poller, never in a blocking system
// call, so they honour deadlines and contexts and Close interrupts them.
//
// Reading is meant for one goroutine at a time (reads are serialised);
// writing, Stats and the setters may be called concurrently with a read.
type Conn struct {
	c        *socket.Conn
	ifindex  int
	protocol uint16
	typ      Type
	keepVLAN bool
	local    *Addr

	rmu    sync.Mutex // serialises readers and protects ring and watch
	ring   *ring
	rc     syscall.RawConn    // the socket's runtime poller handle
	ready  func(uintptr) bool // ring wait callback, built once
	watch  ctxWatch           // the context the last ring wait watched
	closed atomic.Bool

	// RingConfig.WaitOnThread (conn_wait_linux.go): the read deadline
	// (Unix ns, 0 none) and the poll(2) callback, built once.
	onThread     bool
	readDeadline atomic.Int64
	poll         threadPoll

	smu   sync.Mutex
	stats Stats
}

// Listen opens an AF_PACKET socket on ifi, or on every interface when ifi
// is nil, configured by cfg (nil means defaults, see Config).
//
// The socket is created with protocol 0 (it receives nothing) and is only
// bound once the filter and the ring are in place, so no packet escapes the
// filter and no packet lands in the plain receive queue of a ring socket.
func Listen(ifi *net.Interface, cfg *Config) (*Conn, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	var typ int
	switch cfg.Type {
	case Raw:
		typ = unix.SOCK_RAW
	case Datagram:
		typ = unix.SOCK_DGRAM
	default:
		return nil, fmt.Errorf("packet: listen: invalid Config.Type %d", int(cfg.Type))
	}
	proto := cfg.Protocol
	if proto == 0 {
		proto = ProtocolAll
	}
	ifindex := 0
	if ifi != nil {
		if ifi.Index <= 0 {
			return nil, fmt.Errorf("packet: listen: interface %q has invalid index %d", ifi.Name, ifi.Index)
		}
		ifindex = ifi.Index
	}
	sc, err := socket.Socket(unix.AF_PACKET, typ, 0, "packet", nil)
	if err != nil {
		return nil, opError("socket", ifi, err)
	}
	c := &Conn{c: sc, ifindex: ifindex, protocol: proto, typ: cfg.Type, keepVLAN: cfg.KeepVLAN}
	if err := c.setup(ifi, cfg); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Conn) setup(ifi *net.Interface, cfg *Config) error {
	if len(cfg.Filter) > 0 {
		if err := c.c.SetBPF(cfg.Filter); err != nil {
			return opError("attach filter", ifi, err)
		}
	}
	if cfg.IgnoreOutgoing {
		if err := c.c.SetsockoptInt(unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1); err != nil {
			return opError("setsockopt PACKET_IGNORE_OUTGOING", ifi, err)
		}
	}
	if cfg.QdiscBypass {
		if err := c.c.SetsockoptInt(unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1); err != nil {
			return opError("setsockopt PACKET_QDISC_BYPASS", ifi, err)
		}
	}
	if cfg.Ring != nil {
		r, err := newRing(c.c, cfg.Ring)
		if err != nil {
			return opError("rx ring", ifi, err)
		}
		c.ring = r
		rc, err := c.c.SyscallConn()
		if err != nil {
			return opError("rx ring", ifi, err)
		}
		c.rc = rc
		c.ready = func(uintptr) bool { return r.ready() }
		if cfg.Ring.WaitOnThread {
			c.onThread = true
			c.poll.init()
		}
	} else {
		if err := c.c.SetsockoptInt(unix.SOL_PACKET, unix.PACKET_AUXDATA, 1); err != nil {
			return opError("setsockopt PACKET_AUXDATA", ifi, err)
		}
		if err := c.c.SetsockoptInt(unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
			return opError("setsockopt SO_TIMESTAMPNS", ifi, err)
		}
		if cfg.ReadBuffer > 0 {
			// SO_RCVBUFFORCE passes net.core.rmem_max with CAP_NET_ADMIN;
			// without it, SO_RCVBUF (capped at rmem_max).
			if err := c.c.SetsockoptInt(unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, cfg.ReadBuffer); err != nil {
				if err := c.c.SetReadBuffer(cfg.ReadBuffer); err != nil {
					return opError("setsockopt SO_RCVBUF", ifi, err)
				}
			}
		}
	}
	bindProto := htons(c.protocol)
	if cfg.SendOnly {
		bindProto = 0
	}
	if err := c.c.Bind(&unix.SockaddrLinklayer{Protocol: bindProto, Ifindex: c.ifindex}); err != nil {
		return opError("bind", ifi, err)
	}
	sa, err := c.c.Getsockname()
	if err != nil {
		return opError("getsockname", ifi, err)
	}
	c.local = &Addr{Interface: c.ifindex, Protocol: c.protocol}
	if ll, ok := sa.(*unix.SockaddrLinklayer); ok && int(ll.Halen) <= len(ll.Addr) {
		c.local.HardwareAddr = append(net.HardwareAddr(nil), ll.Addr[:ll.Halen]...)
	}
	if cfg.Promiscuous && c.ifindex != 0 {
		if err := c.SetPromiscuous(true); err != nil {
			return err
		}
	}
	if cfg.Fanout != nil {
		if err := c.joinFanout(cfg.Fanout); err != nil {
			return opError("fanout", ifi, err)
		}
	}
	return nil
}

// LocalAddr returns the bound interface, hardware address and protocol.
func (c *Conn) LocalAddr() net.Addr { return c.local }

// Close closes the socket and unmaps the ring. Blocks handed out by
// ReadBlock become invalid: release them before closing. A read blocked in
// another goroutine returns an error wrapping os.ErrClosed.
func (c *Conn) Close() error {
	c.closed.Store(true)
	err := c.c.Close()
	c.rmu.Lock()
	c.unwatch()
	if c.ring != nil {
		if uerr := c.ring.unmap(); err == nil {
			err = uerr
		}
	}
	c.rmu.Unlock()
	return err
}

// SetDeadline sets the read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	c.storeReadDeadline(t)
	return c.c.SetDeadline(t)
}

// SetReadDeadline sets the deadline for ReadPacket and ReadBlock.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.storeReadDeadline(t)
	return c.c.SetReadDeadline(t)
}

// SetWriteDeadline sets the deadline for WriteTo.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.c.SetWriteDeadline(t) }

// SyscallConn gives access to the file descriptor, for options this
// package does not wrap.
func (c *Conn) SyscallConn() (syscall.RawConn, error) { return c.c.SyscallConn() }

// SetBPF attaches a classic BPF filter, replacing any previous one.
// Packets already queued or in the ring were not filtered: set
// Config.Filter to filter from the first packet.
func (c *Conn) SetBPF(filter []bpf.RawInstruction) error {
	if err := c.c.SetBPF(filter); err != nil {
		return c.opError("attach filter", err)
	}
	return nil
}

// RemoveBPF detaches the filter.
func (c *Conn) RemoveBPF() error {
	if err := c.c.RemoveBPF(); err != nil {
		return c.opError("detach filter", err)
	}
	return nil
}

// SetPromiscuous enables or disables promiscuous mode through a packet
// membership, which the kernel reference-counts and removes when the
// socket closes.
func (c *Conn) SetPromiscuous(enable bool) error {
	return c.membership(unix.PACKET_MR_PROMISC, nil, enable, "promiscuous")
}

// JoinMulticast adds a link-layer multicast address to the interface's
// filter for the life of the socket.
func (c *Conn) JoinMulticast(addr net.HardwareAddr) error {
	return c.membership(unix.PACKET_MR_MULTICAST, addr, true, "join multicast")
}

// LeaveMulticast removes a membership added with JoinMulticast.
func (c *Conn) LeaveMulticast(addr net.HardwareAddr) error {
	return c.membership(unix.PACKET_MR_MULTICAST, addr, false, "leave multicast")
}

// SetAllMulticast enables or disables reception of all multicast frames.
func (c *Conn) SetAllMulticast(enable bool) error {
	return c.membership(unix.PACKET_MR_ALLMULTI, nil, enable, "all multicast")
}

func (c *Conn) membership(typ uint16, addr net.HardwareAddr, add bool, op string) error {
	if c.ifindex == 0 {
		return c.opError(op, errors.New("needs a socket bound to one interface"))
	}
	mreq := unix.PacketMreq{Ifindex: int32(c.ifindex), Type: typ}
	if len(addr) > len(mreq.Address) {
		return c.opError(op, fmt.Errorf("hardware address %s longer than %d bytes", addr, len(mreq.Address)))
	}
	mreq.Alen = uint16(len(addr))
	copy(mreq.Address[:], addr)
	opt := unix.PACKET_ADD_MEMBERSHIP
	if !add {
		opt = unix.PACKET_DROP_MEMBERSHIP
	}
	if err := c.c.SetsockoptPacketMreq(unix.SOL_PACKET, opt, &mreq); err != nil {
		return c.opError(op, err)
	}
	return nil
}

// Stats returns the cumulative counters. The kernel zeroes its counters
// on every read; Conn adds each read to running totals.
func (c *Conn) Stats() (Stats, error) {
	c.smu.Lock()
	defer c.smu.Unlock()
	st, err := c.c.GetsockoptTpacketStatsV3(unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return c.stats, c.opError("getsockopt PACKET_STATISTICS", err)
	}
	// Without a V3 ring the kernel writes a tpacket_stats (8 bytes) and
	// leaves Freeze_q_cnt zero.
	c.stats.Packets += uint64(st.Packets)
	c.stats.Drops += uint64(st.Drops)
	c.stats.FreezeQueueCount += uint64(st.Freeze_q_cnt)
	return c.stats, nil
}

// WriteTo transmits one frame with sendto(2). For a Raw socket b is a
// complete link-layer frame and addr may be nil (the bound interface); for
// a Datagram socket addr must be an *Addr with the destination hardware
// address and the protocol. WriteTo on a socket bound to all interfaces
// needs an *Addr naming the interface.
func (c *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	sa := unix.SockaddrLinklayer{Ifindex: c.ifindex, Protocol: htons(c.protocol)}
	if addr != nil {
		a, ok := addr.(*Addr)
		if !ok {
			return 0, c.opError("write", fmt.Errorf("address type %T is not *packet.Addr", addr))
		}
		if a.Interface != 0 {
			sa.Ifindex = a.Interface
		}
		if a.Protocol != 0 {
			sa.Protocol = htons(a.Protocol)
		}
		if len(a.HardwareAddr) > len(sa.Addr) {
			return 0, c.opError("write", fmt.Errorf("hardware address %s longer than %d bytes", a.HardwareAddr, len(sa.Addr)))
		}
		sa.Halen = uint8(len(a.HardwareAddr))
		copy(sa.Addr[:], a.HardwareAddr)
	}
	if sa.Ifindex == 0 {
		return 0, c.opError("write", errors.New("no interface: socket bound to all interfaces needs an *Addr with Interface"))
	}
	if err := c.c.Sendto(context.Background(), b, 0, &sa); err != nil {
		return 0, c.opError("write", err)
	}
	return len(b), nil
}

// Write transmits one frame on the bound interface (see WriteTo).
func (c *Conn) Write(b []byte) (int, error) { return c.WriteTo(b, nil) }

// ReadPacket reads the next packet and copies it into b; the returned
// Packet's Data and Addr alias b (Addr aliases the ring for ring sockets
// and must be copied if kept). A frame longer than b is truncated and
// Packet.Length reports its full length. With a ring it takes packets from
// the current block and waits for the next block when it is used up;
// without a ring it is one recvmsg(2).
func (c *Conn) ReadPacket(ctx context.Context, b []byte) (Packet, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.ring != nil {
		return c.readRingPacket(ctx, b)
	}
	return c.recvPacket(ctx, b)
}

func (c *Conn) readRingPacket(ctx context.Context, b []byte) (Packet, error) {
	r := c.ring
	for {
		if r.mem == nil {
			return Packet{}, c.opError("read", os.ErrClosed)
		}
		if r.held && r.block.remaining > 0 {
			p, _ := r.block.Next()
			n := copy(b, p.Data)
			p.Data = b[:n]
			if r.block.remaining == 0 {
				r.block.Release()
			}
			return p, nil
		}
		if r.held {
			r.block.Release()
		}
		if _, err := c.waitBlock(ctx); err != nil {
			return Packet{}, err
		}
	}
}

// ReadBlock waits for the kernel to hand over the next ring block and
// returns it for zero-copy iteration with Block.Next. The Block and every
// Packet.Data from it stay valid until Block.Release, which returns the
// block to the kernel: release promptly, the kernel drops packets when
// every block is held by user space. Only one Block is outstanding at a
// time; ReadBlock returns ErrBlockOutstanding otherwise.
func (c *Conn) ReadBlock(ctx context.Context) (*Block, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.ring == nil {
		return nil, c.opError("read block", ErrNoRing)
	}
	if c.ring.mem == nil {
		return nil, c.opError("read block", os.ErrClosed)
	}
	if c.ring.held {
		return nil, c.opError("read block", ErrBlockOutstanding)
	}
	return c.waitBlock(ctx)
}

// waitBlock returns the next block, parking on the runtime poller until
// the kernel hands it over. The kernel signals the socket (sk_data_ready)
// each time it retires a block, which wakes the poller's edge-triggered
// epoll; checking the block status inside the poller's read callback
// closes the race between the check and the wait.
//
// A block that is already there is taken without touching the poller.
// The wait itself does not allocate: the callback is built once per Conn
// and the poller is used through syscall.RawConn directly. A cancelable
// context is watched with context.AfterFunc, which expires the read
// deadline when the context ends; the watch is registered once and kept
// for the following waits on the same context (a capture loop passes the
// same one every time), and replaced when a wait comes with another. A
// context that ends between two waits leaves the read deadline expired
// until the next ring read clears it: do not combine SetReadDeadline with
// cancelable contexts on one Conn.
func (c *Conn) waitBlock(ctx context.Context) (*Block, error) {
	r := c.ring
	if r.ready() {
		r.take(c)
		return &r.block, nil
	}
	if c.onThread {
		return c.waitBlockOnThread(ctx)
	}
	if err := ctx.Err(); err != nil {
		if ctx.Done() == c.watch.done {
			c.unwatch() // it may have fired between two waits
		}
		return nil, c.opError("read", err)
	}
	if done := ctx.Done(); done != c.watch.done {
		c.unwatch()
		if done != nil {
			c.watchContext(ctx)
		}
	}
	if err := c.rc.Read(c.ready); err != nil {
		if cerr := ctx.Err(); cerr != nil {
			// The context ended: the deadline was ours.
			c.unwatch()
			return nil, c.opError("read", cerr)
		}
		if c.closed.Load() {
			return nil, c.opError("read", os.ErrClosed)
		}
		return nil, c.opError("read", err)
	}
	r.take(c)
	return &r.block, nil
}

// ctxWatch is a registered context.AfterFunc that expires the read
// deadline when the context of a ring wait ends.
type ctxWatch struct {
	done  <-chan struct{} // the watched context's Done channel
	stop  func() bool
	fired chan struct{} // closed once the deadline has been set
}

func (c *Conn) watchContext(ctx context.Context) {
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = c.c.SetReadDeadline(time.Unix(0, 1))
		close(fired)
	})
	c.watch = ctxWatch{done: ctx.Done(), stop: stop, fired: fired}
}

// unwatch removes the context watch; if it has fired, it waits for the
// deadline to be set and clears it, so that the next wait is not cut
// short. Called with rmu held.
func (c *Conn) unwatch() {
	w := c.watch
	c.watch = ctxWatch{}
	if w.stop == nil || w.stop() {
		return
	}
	<-w.fired
	_ = c.c.SetReadDeadline(time.Time{})
}

// recvPacket is the ring-less read: recvmsg with PACKET_AUXDATA and
// SO_TIMESTAMPNS control messages.
func (c *Conn) recvPacket(ctx context.Context, b []byte) (Packet, error) {
	var oob [128]byte
	n, oobn, _, from, err := c.c.Recvmsg(ctx, b, oob[:], unix.MSG_TRUNC)
	if err != nil {
		return Packet{}, c.opError("read", err)
	}
	p := Packet{Length: n}
	if n > len(b) {
		n = len(b)
	}
	p.Data = b[:n]
	if ll, ok := from.(*unix.SockaddrLinklayer); ok {
		p.Interface = ll.Ifindex
		p.Protocol = ntohs(ll.Protocol)
		p.HardwareType = ll.Hatype
		p.Type = PacketType(ll.Pkttype)
		if int(ll.Halen) <= len(ll.Addr) {
			p.Addr = append(net.HardwareAddr(nil), ll.Addr[:ll.Halen]...)
		}
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return Packet{}, c.opError("read: control message", err)
	}
	var aux *unix.TpacketAuxdata
	for _, m := range msgs {
		switch {
		case m.Header.Level == unix.SOL_PACKET && m.Header.Type == unix.PACKET_AUXDATA &&
			len(m.Data) >= int(unsafe.Sizeof(unix.TpacketAuxdata{})):
			aux = (*unix.TpacketAuxdata)(unsafe.Pointer(&m.Data[0]))
		case m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SO_TIMESTAMPNS &&
			len(m.Data) >= 16:
			sec := int64(binary.NativeEndian.Uint64(m.Data[0:]))
			nsec := int64(binary.NativeEndian.Uint64(m.Data[8:]))
			p.Timestamp = time.Unix(sec, nsec)
		}
	}
	if p.Timestamp.IsZero() {
		p.Timestamp = time.Now()
	}
	if aux != nil && vlanValid(aux.Status, aux.Vlan_tci) {
		p.HasVLAN = true
		p.VLAN = VLAN{TPID: vlanTPID(aux.Status, aux.Vlan_tpid), TCI: aux.Vlan_tci}
		if c.restoreVLAN(p.HardwareType) {
			p.Length += vlanTagLen
			// Shift everything after the MAC addresses by 4 bytes, as far
			// as b allows, and write the tag in between.
			if len(p.Data) >= 2*6 {
				end := min(len(p.Data)+vlanTagLen, len(b))
				copy(b[2*6+vlanTagLen:end], b[2*6:len(p.Data)])
				putVLANTag(b[2*6:end], p.VLAN)
				p.Data = b[:end]
			}
		}
	}
	return p, nil
}

func (c *Conn) restoreVLAN(hatype uint16) bool {
	return !c.keepVLAN && c.typ == Raw && hatype == unix.ARPHRD_ETHER
}

// opError wraps err with the operation and the bound interface; the
// unix.Errno stays reachable with errors.Is.
func (c *Conn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "packet", Addr: c.local, Err: err}
}

func opError(op string, ifi *net.Interface, err error) error {
	a := &Addr{}
	if ifi != nil {
		a.Interface = ifi.Index
		a.HardwareAddr = ifi.HardwareAddr
		op = op + " " + ifi.Name
	}
	return &net.OpError{Op: op, Net: "packet", Addr: a, Err: err}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
func ntohs(v uint16) uint16 { return v<<8 | v>>8 }
