//go:build linux

package packet

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// joinFanout sets PACKET_FANOUT, then the program for cbpf/ebpf modes.
func (c *Conn) joinFanout(f *FanoutConfig) error {
	tf, err := f.typeFlags()
	if err != nil {
		return err
	}
	group := f.Group
	if f.UniqueID {
		group = 0
	}
	if f.MaxMembers == 0 {
		err = c.c.SetsockoptInt(unix.SOL_PACKET, unix.PACKET_FANOUT, int(uint32(group)|uint32(tf)<<16))
	} else {
		// struct fanout_args { u16 id; u16 type_flags; u32 max_num_members; }
		var args [8]byte
		binary.NativeEndian.PutUint16(args[0:], group)
		binary.NativeEndian.PutUint16(args[2:], tf)
		binary.NativeEndian.PutUint32(args[4:], f.MaxMembers)
		err = c.c.SetsockoptBytes(unix.SOL_PACKET, unix.PACKET_FANOUT, args[:])
		if errors.Is(err, unix.EINVAL) && f.MaxMembers <= fanoutDefaultMax {
			// Kernels before 5.13 only take the 4-byte int form.
			err = c.c.SetsockoptInt(unix.SOL_PACKET, unix.PACKET_FANOUT, int(uint32(group)|uint32(tf)<<16))
		}
	}
	if err != nil {
		return fmt.Errorf("setsockopt PACKET_FANOUT group %d mode %s: %w", group, f.Mode, err)
	}
	switch f.Mode {
	case FanoutCBPF:
		if err := c.setFanoutCBPF(f); err != nil {
			return err
		}
	case FanoutEBPF:
		if err := c.c.SetsockoptInt(unix.SOL_PACKET, unix.PACKET_FANOUT_DATA, f.EBPFProgram); err != nil {
			return fmt.Errorf("setsockopt PACKET_FANOUT_DATA (ebpf fd %d): %w", f.EBPFProgram, err)
		}
	}
	return nil
}

func (c *Conn) setFanoutCBPF(f *FanoutConfig) error {
	prog := make([]unix.SockFilter, len(f.Filter))
	for i, ins := range f.Filter {
		prog[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if err := c.c.SetsockoptSockFprog(unix.SOL_PACKET, unix.PACKET_FANOUT_DATA, &fprog); err != nil {
		return fmt.Errorf("setsockopt PACKET_FANOUT_DATA (cbpf, %d instructions): %w", len(prog), err)
	}
	return nil
}

// FanoutGroup returns the fanout group id and mode the socket belongs to
// (useful with FanoutConfig.UniqueID), or ok false when it is in none.
// The kernel reports "no group" as 0, the same value as group 0 in hash
// mode without flags: use non-zero group ids.
func (c *Conn) FanoutGroup() (group uint16, mode FanoutMode, ok bool, err error) {
	v, err := c.c.GetsockoptInt(unix.SOL_PACKET, unix.PACKET_FANOUT)
	if err != nil {
		return 0, 0, false, c.opError("getsockopt PACKET_FANOUT", err)
	}
	if v == 0 {
		return 0, 0, false, nil
	}
	return uint16(v), FanoutMode(uint16(v>>16) & 0xff), true, nil
}
