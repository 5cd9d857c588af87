package packet

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// FanoutMode selects how a PACKET_FANOUT group spreads packets over its
// member sockets.
type FanoutMode uint16

// Fanout modes (linux/if_packet.h).
const (
	// FanoutHash sends all packets of one flow (the kernel's flow hash)
	// to the same socket.
	FanoutHash FanoutMode = 0
	// FanoutLB round-robins packets over the sockets.
	FanoutLB FanoutMode = 1
	// FanoutCPU picks the socket by the CPU that received the packet.
	FanoutCPU FanoutMode = 2
	// FanoutRollover fills one socket and moves on when its queue is full.
	FanoutRollover FanoutMode = 3
	// FanoutRandom picks a socket at random.
	FanoutRandom FanoutMode = 4
	// FanoutQM picks the socket by the packet's receive queue mapping.
	FanoutQM FanoutMode = 5
	// FanoutCBPF runs FanoutConfig.Filter; its return value is the socket
	// index.
	FanoutCBPF FanoutMode = 6
	// FanoutEBPF runs the eBPF program FanoutConfig.EBPFProgram.
	FanoutEBPF FanoutMode = 7
)

// String returns the mode's name as ParseFanoutMode accepts it.
func (m FanoutMode) String() string {
	switch m {
	case FanoutHash:
		return "hash"
	case FanoutLB:
		return "lb"
	case FanoutCPU:
		return "cpu"
	case FanoutRollover:
		return "rollover"
	case FanoutRandom:
		return "random"
	case FanoutQM:
		return "qm"
	case FanoutCBPF:
		return "cbpf"
	case FanoutEBPF:
		return "ebpf"
	}
	return fmt.Sprintf("FanoutMode(%d)", uint16(m))
}

// ParseFanoutMode parses a mode name: hash, lb, cpu, rollover, random, qm,
// cbpf or ebpf.
func ParseFanoutMode(s string) (FanoutMode, error) {
	for m := FanoutHash; m <= FanoutEBPF; m++ {
		if m.String() == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("packet: unknown fanout mode %q (want hash, lb, cpu, rollover, random, qm, cbpf or ebpf)", s)
}

// FanoutConfig joins a socket to a PACKET_FANOUT group. All members of a
// group must use the same Group, Mode and flags, and must be bound to the
// same interface and protocol.
type FanoutConfig struct {
	// Group is the group id, unique per network namespace; prefer non-zero
	// ids (see Conn.FanoutGroup). Ignored with UniqueID.
	Group uint16
	// Mode is the spreading algorithm.
	Mode FanoutMode
	// Rollover moves a packet to another socket when the chosen one is
	// full instead of dropping it (PACKET_FANOUT_FLAG_ROLLOVER).
	Rollover bool
	// Defrag reassembles IP fragments before hashing so all fragments of a
	// datagram reach the same socket (PACKET_FANOUT_FLAG_DEFRAG).
	Defrag bool
	// UniqueID lets the kernel choose an unused group id; read it back with
	// Conn.FanoutGroup (PACKET_FANOUT_FLAG_UNIQUEID, Linux 4.19+).
	UniqueID bool
	// IgnoreOutgoing leaves this host's outgoing packets out of the group
	// (PACKET_FANOUT_FLAG_IGNORE_OUTGOING, Linux 5.1+).
	IgnoreOutgoing bool
	// MaxMembers raises the group's member limit above the default 256
	// (struct fanout_args, Linux 5.13+). 0 keeps the default and uses the
	// int form of the option that every kernel since 3.1 accepts; on a
	// kernel that rejects fanout_args a MaxMembers <= 256 falls back to the
	// int form, a larger one is an error.
	MaxMembers uint32
	// Filter is the classic BPF program for FanoutCBPF: its return value
	// modulo the member count selects the socket. Unlike a socket filter
	// it runs before the link-layer header is pushed back: offset 0 is the
	// network header (the IP header for IP over Ethernet).
	Filter []bpf.RawInstruction
	// EBPFProgram is the file descriptor of a BPF_PROG_TYPE_SOCKET_FILTER
	// program for FanoutEBPF (loaded with bpf(2), e.g. by cilium/ebpf).
	// As with Filter, its return value modulo the member count selects
	// the socket (members numbered in the order they joined) and the
	// packet starts at the network header (LD_ABS offsets and
	// __sk_buff.len count from there). The program belongs to the group:
	// each member that sets it replaces it for all. The kernel holds its
	// own reference, so the descriptor may be closed after Listen.
	EBPFProgram int
}

// Fanout flag bits in the upper byte of the type field.
const (
	fanoutFlagRollover       = 0x1000
	fanoutFlagUniqueID       = 0x2000
	fanoutFlagIgnoreOutgoing = 0x4000
	fanoutFlagDefrag         = 0x8000
	fanoutDefaultMax         = 256
)

// typeFlags returns the u16 type_flags field.
func (f *FanoutConfig) typeFlags() (uint16, error) {
	if f.Mode > FanoutEBPF {
		return 0, fmt.Errorf("FanoutConfig.Mode %d: unknown mode", uint16(f.Mode))
	}
	if f.Mode == FanoutCBPF && len(f.Filter) == 0 {
		return 0, fmt.Errorf("FanoutConfig.Filter: mode cbpf needs a program")
	}
	if f.Mode == FanoutEBPF && f.EBPFProgram <= 0 {
		return 0, fmt.Errorf("FanoutConfig.EBPFProgram %d: mode ebpf needs a program fd", f.EBPFProgram)
	}
	v := uint16(f.Mode)
	if f.Rollover {
		v |= fanoutFlagRollover
	}
	if f.Defrag {
		v |= fanoutFlagDefrag
	}
	if f.UniqueID {
		v |= fanoutFlagUniqueID
	}
	if f.IgnoreOutgoing {
		v |= fanoutFlagIgnoreOutgoing
	}
	return v, nil
}
