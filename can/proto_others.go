//go:build !linux

package can

import (
	"context"
	"time"
)

// ISOTPConn is an ISO-TP socket (Linux only).
type ISOTPConn struct{}

// DialISOTP is not supported on this platform.
func DialISOTP(iface string, rx, tx uint32, cfg *ISOTPConfig) (*ISOTPConn, error) {
	return nil, errNotSupported
}

// ReadPDU is not supported on this platform.
func (c *ISOTPConn) ReadPDU(ctx context.Context, b []byte) (int, error) { return 0, errNotSupported }

// WritePDU is not supported on this platform.
func (c *ISOTPConn) WritePDU(ctx context.Context, b []byte) error { return errNotSupported }

// Read is not supported on this platform.
func (c *ISOTPConn) Read(b []byte) (int, error) { return 0, errNotSupported }

// Write is not supported on this platform.
func (c *ISOTPConn) Write(b []byte) (int, error) { return 0, errNotSupported }

// Close is a no-op on this platform.
func (c *ISOTPConn) Close() error { return nil }

// Timestamp is not supported on this platform.
func (c *ISOTPConn) Timestamp() (time.Time, error) { return time.Time{}, errNotSupported }

// BCMConn is a BCM socket (Linux only).
type BCMConn struct{}

// DialBCM is not supported on this platform.
func DialBCM(iface string) (*BCMConn, error) { return nil, errNotSupported }

// WriteMsg is not supported on this platform.
func (c *BCMConn) WriteMsg(ctx context.Context, m *BCMMsg) error { return errNotSupported }

// ReadMsg is not supported on this platform.
func (c *BCMConn) ReadMsg(ctx context.Context) (*BCMMsg, error) { return nil, errNotSupported }

// TxSetup is not supported on this platform.
func (c *BCMConn) TxSetup(ctx context.Context, id uint32, count uint32, ival1, ival2 time.Duration, extra BCMFlags, frames ...FDFrame) error {
	return errNotSupported
}

// TxSend is not supported on this platform.
func (c *BCMConn) TxSend(ctx context.Context, f FDFrame) error { return errNotSupported }

// RxSetup is not supported on this platform.
func (c *BCMConn) RxSetup(ctx context.Context, id uint32, timeout, throttle time.Duration, extra BCMFlags, masks ...FDFrame) error {
	return errNotSupported
}

// Close is a no-op on this platform.
func (c *BCMConn) Close() error { return nil }

// Timestamp is not supported on this platform.
func (c *BCMConn) Timestamp() (time.Time, error) { return time.Time{}, errNotSupported }

// J1939Conn is a J1939 socket (Linux only).
type J1939Conn struct{}

// ListenJ1939 is not supported on this platform.
func ListenJ1939(iface string, cfg *J1939Config) (*J1939Conn, error) { return nil, errNotSupported }

// Rebind is not supported on this platform.
func (c *J1939Conn) Rebind(local J1939Addr) error { return errNotSupported }

// WriteTo is not supported on this platform.
func (c *J1939Conn) WriteTo(ctx context.Context, data []byte, dst J1939Addr) error {
	return errNotSupported
}

// ReadFrom is not supported on this platform.
func (c *J1939Conn) ReadFrom(ctx context.Context, b []byte) (int, J1939Addr, J1939Meta, error) {
	return 0, J1939Addr{}, J1939Meta{}, errNotSupported
}

// ReadEvent is not supported on this platform.
func (c *J1939Conn) ReadEvent(ctx context.Context) (J1939Event, error) {
	return J1939Event{}, errNotSupported
}

// Close is a no-op on this platform.
func (c *J1939Conn) Close() error { return nil }
