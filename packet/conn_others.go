//go:build !linux

package packet

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/net/bpf"
)

var errUnsupported = fmt.Errorf("packet: AF_PACKET sockets are not supported on %s", runtime.GOOS)

// Conn is an AF_PACKET socket; on this platform every method fails.
type Conn struct{}

type block struct{ count, remaining int }

// Listen is not supported on this platform.
func Listen(_ *net.Interface, _ *Config) (*Conn, error) { return nil, errUnsupported }

// LocalAddr returns nil.
func (*Conn) LocalAddr() net.Addr { return nil }

// Close is not supported on this platform.
func (*Conn) Close() error { return errUnsupported }

// SetDeadline is not supported on this platform.
func (*Conn) SetDeadline(time.Time) error { return errUnsupported }

// SetReadDeadline is not supported on this platform.
func (*Conn) SetReadDeadline(time.Time) error { return errUnsupported }

// SetWriteDeadline is not supported on this platform.
func (*Conn) SetWriteDeadline(time.Time) error { return errUnsupported }

// SyscallConn is not supported on this platform.
func (*Conn) SyscallConn() (syscall.RawConn, error) { return nil, errUnsupported }

// SetBPF is not supported on this platform.
func (*Conn) SetBPF([]bpf.RawInstruction) error { return errUnsupported }

// RemoveBPF is not supported on this platform.
func (*Conn) RemoveBPF() error { return errUnsupported }

// SetPromiscuous is not supported on this platform.
func (*Conn) SetPromiscuous(bool) error { return errUnsupported }

// JoinMulticast is not supported on this platform.
func (*Conn) JoinMulticast(net.HardwareAddr) error { return errUnsupported }

// LeaveMulticast is not supported on this platform.
func (*Conn) LeaveMulticast(net.HardwareAddr) error { return errUnsupported }

// SetAllMulticast is not supported on this platform.
func (*Conn) SetAllMulticast(bool) error { return errUnsupported }

// Stats is not supported on this platform.
func (*Conn) Stats() (Stats, error) { return Stats{}, errUnsupported }

// WriteTo is not supported on this platform.
func (*Conn) WriteTo([]byte, net.Addr) (int, error) { return 0, errUnsupported }

// Write is not supported on this platform.
func (*Conn) Write([]byte) (int, error) { return 0, errUnsupported }

// ReadPacket is not supported on this platform.
func (*Conn) ReadPacket(context.Context, []byte) (Packet, error) { return Packet{}, errUnsupported }

// ReadBlock is not supported on this platform.
func (*Conn) ReadBlock(context.Context) (*Block, error) { return nil, errUnsupported }

// FanoutGroup is not supported on this platform.
func (*Conn) FanoutGroup() (uint16, FanoutMode, bool, error) { return 0, 0, false, errUnsupported }

// Seq returns 0.
func (*Block) Seq() uint64 { return 0 }

// Next returns false.
func (*Block) Next() (Packet, bool) { return Packet{}, false }

// Release does nothing.
func (*Block) Release() {}

// WriteBatch is not supported on this platform.
func (*Conn) WriteBatch([][]byte) (int, error) { return 0, errUnsupported }
