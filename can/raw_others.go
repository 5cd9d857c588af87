//go:build !linux

package can

import (
	"context"
	"fmt"
	"runtime"
)

var errNotSupported = fmt.Errorf("can: SocketCAN is not supported on %s", runtime.GOOS)

// RawConn is a raw CAN socket (Linux only).
type RawConn struct{}

// ListenRaw opens a raw CAN socket; not supported on this platform.
func ListenRaw(iface string, cfg *RawConfig) (*RawConn, error) { return nil, errNotSupported }

// ReadBatch is not supported on this platform.
func (c *RawConn) ReadBatch(ctx context.Context, msgs []RecvMsg) (int, error) {
	return 0, errNotSupported
}

// WriteBatch is not supported on this platform.
func (c *RawConn) WriteBatch(ctx context.Context, frames []FDFrame) (int, error) {
	return 0, errNotSupported
}

// TryReadBatch is not supported on this platform.
func (c *RawConn) TryReadBatch(msgs []RecvMsg) (int, error) { return 0, errNotSupported }

// TryWriteBatch is not supported on this platform.
func (c *RawConn) TryWriteBatch(frames []FDFrame) (int, error) { return 0, errNotSupported }

// ReadFrame is not supported on this platform.
func (c *RawConn) ReadFrame(ctx context.Context, m *RecvMsg) error { return errNotSupported }

// WriteFrame is not supported on this platform.
func (c *RawConn) WriteFrame(ctx context.Context, f *FDFrame) error { return errNotSupported }

// SetFilters is not supported on this platform.
func (c *RawConn) SetFilters(fs []Filter) error { return errNotSupported }

// Filters is not supported on this platform.
func (c *RawConn) Filters() ([]Filter, error) { return nil, errNotSupported }

// RecvBuffer is not supported on this platform.
func (c *RawConn) RecvBuffer() (int, error) { return 0, errNotSupported }

// Dropped is always 0 on this platform.
func (c *RawConn) Dropped() uint64 { return 0 }

// DroppedNow is not supported on this platform.
func (c *RawConn) DroppedNow() (uint64, error) { return 0, errNotSupported }

// Close is a no-op on this platform.
func (c *RawConn) Close() error { return nil }

// Loopback is not supported on this platform.
func (c *RawConn) Loopback() (bool, error) { return false, errNotSupported }

// SetLoopback is not supported on this platform.
func (c *RawConn) SetLoopback(on bool) error { return errNotSupported }

// SetRecvOwnMsgs is not supported on this platform.
func (c *RawConn) SetRecvOwnMsgs(on bool) error { return errNotSupported }
