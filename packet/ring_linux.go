//go:build linux

package packet

import (
	"encoding/binary"
	"fmt"
	"net"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/mdlayher/socket"
	"golang.org/x/sys/unix"
)

// Ring defaults (see RingConfig).
const (
	defaultBlockSize     = 256 << 10
	defaultBlockCount    = 32
	defaultFrameSize     = 2048
	defaultRetireTimeout = 10 * time.Millisecond

	// Layout of struct tpacket_block_desc (linux/if_packet.h).
	bdStatus     = 8  // hdr.bh1.block_status
	bdNumPkts    = 12 // hdr.bh1.num_pkts
	bdFirstPkt   = 16 // hdr.bh1.offset_to_first_pkt
	bdBlockLen   = 20 // hdr.bh1.blk_len
	bdSeq        = 24 // hdr.bh1.seq_num
	bdHeaderSize = 48

	// Layout of struct tpacket3_hdr, followed by a struct sockaddr_ll at
	// TPACKET_ALIGN(sizeof(struct tpacket3_hdr)) = 48.
	t3NextOffset = 0
	t3Sec        = 4
	t3Nsec       = 8
	t3Snaplen    = 12
	t3Len        = 16
	t3Status     = 20
	t3Mac        = 24
	t3VLANTCI    = 32
	t3VLANTPID   = 36
	t3SLL        = 48
	t3HdrLen     = t3SLL + 20 // TPACKET3_HDRLEN
)

// ring is a mapped TPACKET_V3 receive ring.
type ring struct {
	mem        []byte
	blockSize  int
	blockCount int
	next       int  // the block the kernel fills next, in order
	held       bool // block is out with the caller
	block      Block
}

// block is the Linux state of a Block.
type block struct {
	r         *ring
	c         *Conn
	mem       []byte
	count     int
	remaining int
	off       int
	seq       uint64
}

func newRing(sc *socket.Conn, cfg *RingConfig) (*ring, error) {
	bs, bn, fs, tov := cfg.BlockSize, cfg.BlockCount, cfg.FrameSize, cfg.RetireTimeout
	if bs == 0 {
		bs = defaultBlockSize
	}
	if bn == 0 {
		bn = defaultBlockCount
	}
	if fs == 0 {
		fs = min(defaultFrameSize, bs)
	}
	if tov == 0 {
		tov = defaultRetireTimeout
	}
	page := unix.Getpagesize()
	switch {
	case bs <= 0 || bs%page != 0:
		return nil, fmt.Errorf("RingConfig.BlockSize %d: must be a positive multiple of the page size %d", bs, page)
	case bn <= 0:
		return nil, fmt.Errorf("RingConfig.BlockCount %d: must be positive", bn)
	case fs < t3HdrLen || fs%16 != 0 || fs > bs:
		return nil, fmt.Errorf("RingConfig.FrameSize %d: must be a multiple of 16 between %d and BlockSize %d", fs, t3HdrLen, bs)
	case tov < time.Millisecond || tov > time.Duration(^uint32(0))*time.Millisecond:
		return nil, fmt.Errorf("RingConfig.RetireTimeout %v: must be at least 1ms", tov)
	case int64(bs)*int64(bn) > 1<<34:
		return nil, fmt.Errorf("RingConfig: %d blocks of %d bytes is too large", bn, bs)
	}
	req := unix.TpacketReq3{
		Block_size:     uint32(bs),
		Block_nr:       uint32(bn),
		Frame_size:     uint32(fs),
		Frame_nr:       uint32(bs / fs * bn),
		Retire_blk_tov: uint32(tov / time.Millisecond),
	}
	if err := sc.SetsockoptInt(unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return nil, fmt.Errorf("setsockopt PACKET_VERSION: %w", err)
	}
	// Room in front of each frame to reinsert a VLAN tag in place.
	if err := sc.SetsockoptInt(unix.SOL_PACKET, unix.PACKET_RESERVE, vlanTagLen); err != nil {
		return nil, fmt.Errorf("setsockopt PACKET_RESERVE: %w", err)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	var mem []byte
	var serr error
	if err := rc.Control(func(fd uintptr) {
		if serr = unix.SetsockoptTpacketReq3(int(fd), unix.SOL_PACKET, unix.PACKET_RX_RING, &req); serr != nil {
			serr = fmt.Errorf("setsockopt PACKET_RX_RING (%d blocks of %d bytes, frame %d): %w", bn, bs, fs, serr)
			return
		}
		mem, serr = unix.Mmap(int(fd), 0, bs*bn, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		if serr != nil {
			serr = fmt.Errorf("mmap %d bytes: %w", bs*bn, serr)
		}
	}); err != nil {
		return nil, err
	}
	if serr != nil {
		return nil, serr
	}
	r := &ring{mem: mem, blockSize: bs, blockCount: bn}
	r.block.r = r
	return r, nil
}

func (r *ring) unmap() error {
	if r.mem == nil {
		return nil
	}
	err := unix.Munmap(r.mem)
	r.mem = nil
	r.held = false
	if err != nil {
		return fmt.Errorf("munmap ring: %w", err)
	}
	return nil
}

func (r *ring) status(i int) *uint32 {
	return (*uint32)(unsafe.Pointer(&r.mem[i*r.blockSize+bdStatus]))
}

// ready reports whether the kernel has handed the next block to user space.
func (r *ring) ready() bool {
	return atomic.LoadUint32(r.status(r.next))&tpStatusUser != 0
}

// take hands block r.next to the caller.
func (r *ring) take(c *Conn) {
	mem := r.mem[r.next*r.blockSize : (r.next+1)*r.blockSize]
	b := &r.block.block
	b.c = c
	b.mem = mem
	b.count = int(binary.NativeEndian.Uint32(mem[bdNumPkts:]))
	b.remaining = b.count
	b.off = int(binary.NativeEndian.Uint32(mem[bdFirstPkt:]))
	b.seq = binary.NativeEndian.Uint64(mem[bdSeq:])
	if b.off < bdHeaderSize || b.off >= len(mem) {
		b.remaining = 0 // corrupt descriptor: nothing to read safely
	}
	r.held = true
	r.next = (r.next + 1) % r.blockCount
}

// Seq returns the block's sequence number, which the kernel increments for
// every block it retires; a gap means blocks were skipped.
func (b *Block) Seq() uint64 { return b.seq }

// Next returns the next packet of the block, or false when the block is
// used up. Packet.Data and Packet.Addr point into the ring. Unless
// Config.KeepVLAN is set, a stripped VLAN tag is written back into the
// frame in place (the ring reserves room in front of each frame), so Data
// is the frame as it was on the wire.
func (b *Block) Next() (Packet, bool) {
	if b.remaining <= 0 || b.off+t3HdrLen > len(b.mem) {
		b.remaining = 0
		return Packet{}, false
	}
	h := b.mem[b.off:]
	ne := binary.NativeEndian
	next := int(ne.Uint32(h[t3NextOffset:]))
	snap := int(ne.Uint32(h[t3Snaplen:]))
	mac := int(ne.Uint16(h[t3Mac:]))
	status := ne.Uint32(h[t3Status:])
	if mac < t3HdrLen || mac+snap > len(h) {
		// The kernel never writes this; refuse rather than read outside
		// the frame.
		b.remaining = 0
		return Packet{}, false
	}
	sll := h[t3SLL:]
	halen := min(int(sll[11]), 8)
	p := Packet{
		Data:         h[mac : mac+snap],
		Length:       int(ne.Uint32(h[t3Len:])),
		Timestamp:    time.Unix(int64(ne.Uint32(h[t3Sec:])), int64(ne.Uint32(h[t3Nsec:]))),
		Protocol:     binary.BigEndian.Uint16(sll[2:]),
		Interface:    int(int32(ne.Uint32(sll[4:]))),
		HardwareType: ne.Uint16(sll[8:]),
		Type:         PacketType(sll[10]),
		Addr:         net.HardwareAddr(sll[12 : 12+halen : 12+halen]),
	}
	tci := uint16(ne.Uint32(h[t3VLANTCI:]))
	if vlanValid(status, tci) {
		p.HasVLAN = true
		p.VLAN = VLAN{TPID: vlanTPID(status, ne.Uint16(h[t3VLANTPID:])), TCI: tci}
		if b.c.restoreVLAN(p.HardwareType) && snap >= 12 && mac-vlanTagLen >= t3HdrLen {
			copy(h[mac-vlanTagLen:], h[mac:mac+12])
			putVLANTag(h[mac-vlanTagLen+12:], p.VLAN)
			p.Data = h[mac-vlanTagLen : mac+snap]
			p.Length += vlanTagLen
		}
	}
	b.remaining--
	if next == 0 {
		b.remaining = 0
	} else {
		b.off += next
	}
	return p, true
}

// Release hands the block back to the kernel. Packets from it must not be
// used afterwards. Release is idempotent.
func (b *Block) Release() {
	r := b.r
	if r == nil || !r.held || r.mem == nil {
		return
	}
	b.remaining = 0
	atomic.StoreUint32((*uint32)(unsafe.Pointer(&b.mem[bdStatus])), 0) // TP_STATUS_KERNEL
	r.held = false
}
