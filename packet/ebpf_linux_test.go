//go:build linux

package packet

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"runtime"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ebpfInsn is one eBPF instruction (struct bpf_insn): opcode, dst and src
// register nibbles, offset, immediate.
type ebpfInsn struct {
	op       uint8
	dst, src uint8
	off      int16
	imm      int32
}

// eBPF opcodes built from x/sys/unix constants.
const (
	ebpfMovX   = unix.BPF_ALU64 | unix.BPF_MOV | unix.BPF_X // dst = src
	ebpfAndK   = unix.BPF_ALU64 | unix.BPF_AND | unix.BPF_K // dst &= imm
	ebpfModK   = unix.BPF_ALU64 | unix.BPF_MOD | unix.BPF_K // dst %= imm
	ebpfLdAbsB = unix.BPF_LD | unix.BPF_ABS | unix.BPF_B    // r0 = skb byte at imm (needs r6 = ctx)
	ebpfLdxW   = unix.BPF_LDX | unix.BPF_MEM | unix.BPF_W   // dst = *(u32 *)(src + off)
	ebpfExit   = unix.BPF_JMP | unix.BPF_EXIT               // return r0
)

// encodeEBPF lays out instructions as the kernel reads them (host byte
// order; the register byte is dst in the low nibble, src in the high one
// on little-endian hosts).
func encodeEBPF(prog []ebpfInsn) []byte {
	out := make([]byte, 0, 8*len(prog))
	for _, in := range prog {
		regs := in.dst&0xf | in.src<<4
		if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 { // big endian
			regs = in.dst<<4 | in.src&0xf
		}
		out = append(out, in.op, regs)
		out = binary.NativeEndian.AppendUint16(out, uint16(in.off))
		out = binary.NativeEndian.AppendUint32(out, uint32(in.imm))
	}
	return out
}

// bpfProgLoadAttr is the BPF_PROG_LOAD part of union bpf_attr, padded: the
// kernel requires the bytes it does not know to be zero.
type bpfProgLoadAttr struct {
	progType    uint32
	insnCnt     uint32
	insns       uint64
	license     uint64
	logLevel    uint32
	logSize     uint32
	logBuf      uint64
	kernVersion uint32
	progFlags   uint32
	progName    [16]byte
	_           [64]byte
}

// loadSocketFilter loads a BPF_PROG_TYPE_SOCKET_FILTER program with
// bpf(2) and returns its file descriptor. On failure the error carries the
// errno and the verifier's log.
func loadSocketFilter(name string, prog []ebpfInsn) (int, error) {
	code := encodeEBPF(prog)
	license := []byte("GPL\x00")
	logBuf := make([]byte, 64<<10)
	attr := bpfProgLoadAttr{
		progType: unix.BPF_PROG_TYPE_SOCKET_FILTER,
		insnCnt:  uint32(len(prog)),
		insns:    uint64(uintptr(unsafe.Pointer(&code[0]))),
		license:  uint64(uintptr(unsafe.Pointer(&license[0]))),
		logLevel: 1,
		logSize:  uint32(len(logBuf)),
		logBuf:   uint64(uintptr(unsafe.Pointer(&logBuf[0]))),
	}
	// Object names allow only [A-Za-z0-9_.]: anything else is EINVAL.
	copy(attr.progName[:15], strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return '_'
		}
		return r
	}, name))
	fd, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_LOAD, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	// The kernel has read the buffers by now; keep them alive until here.
	runtime.KeepAlive(code)
	runtime.KeepAlive(license)
	runtime.KeepAlive(logBuf)
	if errno != 0 {
		vlog := logBuf
		if i := bytes.IndexByte(vlog, 0); i >= 0 {
			vlog = vlog[:i]
		}
		return -1, fmt.Errorf("bpf(BPF_PROG_LOAD, socket filter %q): %w (verifier log: %q)", name, errno, vlog)
	}
	unix.CloseOnExec(int(fd))
	return int(fd), nil
}
