package packet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"golang.org/x/net/bpf"
)

// Type is the kind of packet socket: Raw frames start at the link-layer
// header, Datagram ("cooked") frames start at the network header with the
// link-layer header removed by the kernel.
type Type int

// Socket types. The zero value means Raw.
const (
	Raw Type = iota
	Datagram
)

// String returns "raw" or "datagram".
func (t Type) String() string {
	switch t {
	case Raw:
		return "raw"
	case Datagram:
		return "datagram"
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// Protocol values for Config.Protocol (host byte order; the package converts
// them to network byte order for the kernel).
const (
	// ProtocolAll receives every protocol (ETH_P_ALL). It is the default.
	ProtocolAll uint16 = 0x0003
	// ProtocolCAN receives classic CAN frames (ETH_P_CAN).
	ProtocolCAN uint16 = 0x000c
	// ProtocolCANFD receives CAN FD frames (ETH_P_CANFD).
	ProtocolCANFD uint16 = 0x000d
)

// Config configures Listen. A nil *Config means raw socket, every protocol,
// no ring (one recvmsg per packet), no filter, no fanout.
type Config struct {
	// Type is Raw (default) or Datagram.
	Type Type
	// Protocol is the ethertype to receive, in host byte order; 0 means
	// ProtocolAll. Frames this host sends are delivered only to
	// ProtocolAll sockets (the kernel's transmit tap), so a socket bound to
	// one protocol sees received frames only.
	Protocol uint16
	// Promiscuous puts the interface into promiscuous mode for the life of
	// the Conn (PACKET_MR_PROMISC: the kernel undoes it when the socket
	// closes, so a crash never leaves the interface promiscuous). Ignored
	// when listening on all interfaces.
	Promiscuous bool
	// Filter is a classic BPF program attached before the socket is bound,
	// so no unfiltered packet is ever queued. Build one with
	// golang.org/x/net/bpf.Assemble or with CompileFilter from a tcpdump
	// expression.
	Filter []bpf.RawInstruction
	// Ring, when not nil, maps a TPACKET_V3 receive ring: the kernel fills
	// blocks of packets that the Conn hands out without a system call per
	// packet. See RingConfig for the sizes.
	Ring *RingConfig
	// Fanout, when not nil, joins a PACKET_FANOUT group after binding so
	// that several sockets (in this or other processes) share the traffic.
	Fanout *FanoutConfig
	// IgnoreOutgoing drops packets this host transmits on the interface
	// (PACKET_IGNORE_OUTGOING, Linux 4.20+); by default they are received
	// with PacketType Outgoing.
	IgnoreOutgoing bool
	// KeepVLAN, when false (the default), reinserts the 802.1Q/802.1ad tag
	// the kernel stripped from a received frame (reported through
	// PACKET_AUXDATA or the ring header) into the frame, as tcpdump does,
	// so the bytes are the bytes on the wire. When true frames come as the
	// kernel delivers them and Packet.VLAN carries the tag.
	KeepVLAN bool
	// QdiscBypass makes transmitted frames skip the qdisc layer
	// (PACKET_QDISC_BYPASS): faster, but no traffic shaping and no
	// backpressure from the driver queue.
	QdiscBypass bool
	// SendOnly binds the socket with protocol 0, so it receives nothing
	// and nothing queues up on a socket used only for WriteTo.
	SendOnly bool
	// ReadBuffer sets the receive buffer (bytes) of ring-less sockets:
	// SO_RCVBUFFORCE when the process has CAP_NET_ADMIN, else SO_RCVBUF
	// (capped by net.core.rmem_max); 0 keeps the system default.
	ReadBuffer int
}

// RingConfig sizes a TPACKET_V3 receive ring. The kernel fills one block at
// a time with variable-length frames and hands the block to user space when
// it is full or when RetireTimeout expires, whichever is first. Zero fields
// take the defaults noted.
type RingConfig struct {
	// BlockSize is the size of one block in bytes, a multiple of the page
	// size (default 256 KiB).
	BlockSize int
	// BlockCount is the number of blocks (default 32). At low rates the
	// kernel retires a block every RetireTimeout, so BlockCount times
	// RetireTimeout is how long the reader may be descheduled before the
	// ring is full: prefer many smaller blocks to a few large ones.
	BlockCount int
	// FrameSize is tp_frame_size: a multiple of 16, at least 68, at most
	// BlockSize (default 2048). TPACKET_V3 packs frames of any length
	// back to back in a block, so it does not truncate packets; the
	// kernel checks it and derives tp_frame_nr from it.
	FrameSize int
	// RetireTimeout is how long the kernel waits before handing over a
	// partially filled block (default 10 ms; the kernel works in whole
	// milliseconds). It bounds the latency of a lightly loaded capture.
	RetireTimeout time.Duration
	// WaitOnThread makes ReadBlock wait for a block in poll(2), holding
	// its OS thread (not a GOMAXPROCS slot), instead of parking on the
	// runtime poller. It is for fanout members read by goroutines of one
	// process that do CPU-bound work per packet: in BenchmarkCapture/work
	// (BENCHMARKS.md) two such readers took 1.23-1.25 times the packets
	// of one socket without drops when they waited on threads, and 1.00
	// times when they parked on the runtime poller, which woke them one
	// at a time on one thread. A waiting reader checks its context, the
	// read deadline and Close at least every 10 ms.
	WaitOnThread bool
}

// PacketType is the sll_pkttype of a received packet: who the packet was
// addressed to.
type PacketType uint8

// Packet types (linux/if_packet.h).
const (
	Host      PacketType = 0 // addressed to this host
	Broadcast PacketType = 1 // link-layer broadcast
	Multicast PacketType = 2 // link-layer multicast
	OtherHost PacketType = 3 // addressed to another host (promiscuous)
	Outgoing  PacketType = 4 // sent by this host
	Loopback  PacketType = 5 // looped back (PACKET_LOOPBACK)
	User      PacketType = 6 // to user space (PACKET_USER)
	Kernel    PacketType = 7 // to kernel space (PACKET_KERNEL)
)

// String names the packet type as tcpdump's "inbound"/"outbound" logic and
// packet(7) do.
func (t PacketType) String() string {
	switch t {
	case Host:
		return "host"
	case Broadcast:
		return "broadcast"
	case Multicast:
		return "multicast"
	case OtherHost:
		return "otherhost"
	case Outgoing:
		return "outgoing"
	case Loopback:
		return "loopback"
	case User:
		return "user"
	case Kernel:
		return "kernel"
	}
	return fmt.Sprintf("PacketType(%d)", uint8(t))
}

// VLAN is an 802.1Q/802.1ad tag the kernel removed from a received frame.
type VLAN struct {
	// TPID is the tag protocol identifier (0x8100 for 802.1Q, 0x88a8 for
	// 802.1ad).
	TPID uint16
	// TCI is the tag control information: priority (3 bits), DEI (1 bit)
	// and VLAN ID (12 bits).
	TCI uint16
}

// ID returns the 12-bit VLAN identifier.
func (v VLAN) ID() uint16 { return v.TCI & 0x0fff }

// Packet is one received frame and its metadata.
type Packet struct {
	// Data is the frame as captured (at most the snap length). For
	// packets from Block.Next it points into the ring and is only valid
	// until Block.Release; for ReadPacket it is a prefix of the caller's
	// buffer.
	Data []byte
	// Length is the frame's length on the wire; it exceeds len(Data) when
	// the frame was truncated (ring frame size or caller's buffer), and
	// includes a reinserted VLAN tag.
	Length int
	// Timestamp is the kernel's receive time, nanosecond resolution.
	Timestamp time.Time
	// Interface is the index of the interface the packet was seen on.
	Interface int
	// Protocol is the ethertype from the sockaddr_ll, host byte order.
	Protocol uint16
	// HardwareType is the interface's ARPHRD_* type (1 Ethernet, 280 CAN,
	// 772 loopback, ...).
	HardwareType uint16
	// Type is who the packet was addressed to.
	Type PacketType
	// Addr is the link-layer source address.
	Addr net.HardwareAddr
	// VLAN is the tag the kernel stripped, when HasVLAN is true. Unless
	// Config.KeepVLAN is set it has also been reinserted into Data.
	VLAN VLAN
	// HasVLAN reports that VLAN is valid.
	HasVLAN bool
}

// Addr is the link-layer address of a packet socket: an interface and an
// optional hardware address. It implements net.Addr.
type Addr struct {
	// Interface is the interface index (0 = all interfaces, only valid for
	// binding).
	Interface int
	// HardwareAddr is the link-layer address.
	HardwareAddr net.HardwareAddr
	// Protocol is the ethertype in host byte order.
	Protocol uint16
}

var _ net.Addr = (*Addr)(nil)

// Network returns "packet".
func (a *Addr) Network() string { return "packet" }

// String returns the hardware address and interface index.
func (a *Addr) String() string {
	if a == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%s%%%d", a.HardwareAddr, a.Interface)
}

// Stats are a socket's counters since it was opened. The kernel resets its
// counters every time they are read; Conn keeps the running totals so
// every call returns cumulative values.
type Stats struct {
	// Packets is the number of packets the socket received, including
	// those it dropped.
	Packets uint64
	// Drops is the number of packets dropped because the receive queue or
	// ring was full.
	Drops uint64
	// FreezeQueueCount is the number of times the ring was full (all
	// blocks owned by user space) with TPACKET_V3.
	FreezeQueueCount uint64
}

// Errors.
var (
	// ErrNoRing is returned by ReadBlock on a Conn without a ring.
	ErrNoRing = errors.New("packet: no receive ring configured")
	// ErrBlockOutstanding is returned by ReadBlock when the previous Block
	// has not been released.
	ErrBlockOutstanding = errors.New("packet: previous block not released")
)

// connAPI lists the methods every Conn has on every platform; it exists for
// the compile-time assertion below.
type connAPI interface {
	ReadPacket(ctx context.Context, b []byte) (Packet, error)
	ReadBlock(ctx context.Context) (*Block, error)
	WriteTo(b []byte, addr net.Addr) (int, error)
	WriteBatch(frames [][]byte) (int, error)
	Stats() (Stats, error)
	Close() error
}

var _ connAPI = (*Conn)(nil)
