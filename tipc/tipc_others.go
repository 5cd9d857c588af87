//go:build !linux

package tipc

import (
	"context"
	"fmt"
	"net"
	"runtime"
)

var errNotSupported = fmt.Errorf("tipc: TIPC is not supported on %s", runtime.GOOS)

// Conn is a connectionless TIPC socket (Linux only).
type Conn struct{}

// ListenPacket is not supported on this platform.
func ListenPacket(cfg *Config, publish ...ServiceRange) (*Conn, error) { return nil, errNotSupported }

// Publish is not supported on this platform.
func (c *Conn) Publish(r ServiceRange) error { return errNotSupported }

// Withdraw is not supported on this platform.
func (c *Conn) Withdraw(r ServiceRange) error { return errNotSupported }

// ReadFrom is not supported on this platform.
func (c *Conn) ReadFrom(ctx context.Context, b []byte) (int, SocketID, error) {
	return 0, SocketID{}, errNotSupported
}

// WriteTo is not supported on this platform.
func (c *Conn) WriteTo(ctx context.Context, b []byte, svc Service) (int, error) {
	return 0, errNotSupported
}

// WriteToSocket is not supported on this platform.
func (c *Conn) WriteToSocket(ctx context.Context, b []byte, id SocketID) (int, error) {
	return 0, errNotSupported
}

// WriteToRange is not supported on this platform.
func (c *Conn) WriteToRange(ctx context.Context, b []byte, r ServiceRange) (int, error) {
	return 0, errNotSupported
}

// LocalID is not supported on this platform.
func (c *Conn) LocalID() (SocketID, error) { return SocketID{}, errNotSupported }

// Close is not supported on this platform.
func (c *Conn) Close() error { return errNotSupported }

// Listener accepts TIPC connections (Linux only).
type Listener struct{}

// Listen is not supported on this platform.
func Listen(r ServiceRange, cfg *Config) (*Listener, error) { return nil, errNotSupported }

// Accept is not supported on this platform.
func (l *Listener) Accept() (net.Conn, error) { return nil, errNotSupported }

// AcceptContext is not supported on this platform.
func (l *Listener) AcceptContext(ctx context.Context) (net.Conn, SocketID, error) {
	return nil, SocketID{}, errNotSupported
}

// Close is not supported on this platform.
func (l *Listener) Close() error { return errNotSupported }

// Addr is not supported on this platform.
func (l *Listener) Addr() net.Addr { return nil }

// Dial is not supported on this platform.
func Dial(ctx context.Context, svc Service, cfg *Config) (net.Conn, error) {
	return nil, errNotSupported
}

// Topology is a topology server connection (Linux only).
type Topology struct{}

// Subscribe is not supported on this platform.
func Subscribe(ctx context.Context, subs ...Subscription) (*Topology, error) {
	return nil, errNotSupported
}

// Add is not supported on this platform.
func (t *Topology) Add(ctx context.Context, sub Subscription) error { return errNotSupported }

// Cancel is not supported on this platform.
func (t *Topology) Cancel(ctx context.Context, sub Subscription) error { return errNotSupported }

// Next is not supported on this platform.
func (t *Topology) Next(ctx context.Context) (Event, error) { return Event{}, errNotSupported }

// Close is not supported on this platform.
func (t *Topology) Close() error { return errNotSupported }

// WaitService is not supported on this platform.
func WaitService(ctx context.Context, svc Service) (Event, error) { return Event{}, errNotSupported }

// NodeID is not supported on this platform.
func NodeID() (uint32, error) { return 0, errNotSupported }
