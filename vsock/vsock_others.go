//go:build !linux

package vsock

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"time"
)

// errNotSupported matches errors.ErrUnsupported.
var errNotSupported = fmt.Errorf("vsock: not supported on %s: %w", runtime.GOOS, errors.ErrUnsupported)

// Conn is a connected VM socket (Linux only).
type Conn struct{}

// Read is not supported on this platform.
func (c *Conn) Read(b []byte) (int, error) { return 0, errNotSupported }

// Write is not supported on this platform.
func (c *Conn) Write(b []byte) (int, error) { return 0, errNotSupported }

// Close is not supported on this platform.
func (c *Conn) Close() error { return errNotSupported }

// CloseRead is not supported on this platform.
func (c *Conn) CloseRead() error { return errNotSupported }

// CloseWrite is not supported on this platform.
func (c *Conn) CloseWrite() error { return errNotSupported }

// LocalAddr is not supported on this platform.
func (c *Conn) LocalAddr() net.Addr { return nil }

// RemoteAddr is not supported on this platform.
func (c *Conn) RemoteAddr() net.Addr { return nil }

// SetDeadline is not supported on this platform.
func (c *Conn) SetDeadline(t time.Time) error { return errNotSupported }

// SetReadDeadline is not supported on this platform.
func (c *Conn) SetReadDeadline(t time.Time) error { return errNotSupported }

// SetWriteDeadline is not supported on this platform.
func (c *Conn) SetWriteDeadline(t time.Time) error { return errNotSupported }

// BufferSize is not supported on this platform.
func (c *Conn) BufferSize() (uint64, error) { return 0, errNotSupported }

var _ net.Conn = (*Conn)(nil)

// Listener accepts VM socket connections (Linux only).
type Listener struct{}

var _ net.Listener = (*Listener)(nil)

// Listen is not supported on this platform.
func Listen(cid, port uint32, cfg *Config) (*Listener, error) { return nil, errNotSupported }

// Accept is not supported on this platform.
func (l *Listener) Accept() (net.Conn, error) { return nil, errNotSupported }

// AcceptContext is not supported on this platform.
func (l *Listener) AcceptContext(ctx context.Context) (*Conn, error) { return nil, errNotSupported }

// Addr is not supported on this platform.
func (l *Listener) Addr() net.Addr { return nil }

// Port is not supported on this platform.
func (l *Listener) Port() uint32 { return 0 }

// SetDeadline is not supported on this platform.
func (l *Listener) SetDeadline(t time.Time) error { return errNotSupported }

// Close is not supported on this platform.
func (l *Listener) Close() error { return errNotSupported }

// Dial is not supported on this platform.
func Dial(ctx context.Context, cid, port uint32, cfg *Config) (*Conn, error) {
	return nil, errNotSupported
}

// LocalCID is not supported on this platform.
func LocalCID() (uint32, error) { return 0, errNotSupported }
