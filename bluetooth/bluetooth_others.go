//go:build !linux

package bluetooth

import (
	"context"
	"fmt"
	"net"
	"runtime"

	"github.com/fieldgate/fieldgate/core"
)

var errNotSupported = fmt.Errorf("bluetooth: not supported on %s", runtime.GOOS)

// HCI is an HCI socket (Linux only).
type HCI struct{}

// OpenHCI is not supported on this platform.
func OpenHCI(dev int, cfg *HCIConfig) (*HCI, error) { return nil, errNotSupported }

// Device is not supported on this platform.
func (h *HCI) Device() int { return -1 }

// Socket is not supported on this platform.
func (h *HCI) Socket() *core.Socket { return nil }

// Close is not supported on this platform.
func (h *HCI) Close() error { return errNotSupported }

// SetFilter is not supported on this platform.
func (h *HCI) SetFilter(f Filter) error { return errNotSupported }

// Filter is not supported on this platform.
func (h *HCI) Filter() (Filter, error) { return Filter{}, errNotSupported }

// ReadPacket is not supported on this platform.
func (h *HCI) ReadPacket(ctx context.Context, b []byte) (int, error) { return 0, errNotSupported }

// WritePacket is not supported on this platform.
func (h *HCI) WritePacket(ctx context.Context, b []byte) error { return errNotSupported }

// Command is not supported on this platform.
func (h *HCI) Command(ctx context.Context, op Opcode, params []byte) ([]byte, error) {
	return nil, errNotSupported
}

// ReadBDAddr is not supported on this platform.
func (h *HCI) ReadBDAddr(ctx context.Context) (core.BDAddr, error) {
	return core.BDAddr{}, errNotSupported
}

// ReadLocalVersion is not supported on this platform.
func (h *HCI) ReadLocalVersion(ctx context.Context) (LocalVersion, error) {
	return LocalVersion{}, errNotSupported
}

// ReadLocalName is not supported on this platform.
func (h *HCI) ReadLocalName(ctx context.Context) (string, error) { return "", errNotSupported }

// WriteLocalName is not supported on this platform.
func (h *HCI) WriteLocalName(ctx context.Context, name string) error { return errNotSupported }

// Monitor reads the HCI monitor channel (Linux only).
type Monitor struct{}

// OpenMonitor is not supported on this platform.
func OpenMonitor() (*Monitor, error) { return nil, errNotSupported }

// Next is not supported on this platform.
func (m *Monitor) Next(ctx context.Context) (MonitorPacket, error) {
	return MonitorPacket{}, errNotSupported
}

// Socket is not supported on this platform.
func (m *Monitor) Socket() *core.Socket { return nil }

// Close is not supported on this platform.
func (m *Monitor) Close() error { return errNotSupported }

// Devices is not supported on this platform.
func Devices() ([]DeviceInfo, error) { return nil, errNotSupported }

// Device is not supported on this platform.
func Device(id int) (DeviceInfo, error) { return DeviceInfo{}, errNotSupported }

// DeviceUp is not supported on this platform.
func DeviceUp(id int) error { return errNotSupported }

// DeviceDown is not supported on this platform.
func DeviceDown(id int) error { return errNotSupported }

// SetScan is not supported on this platform.
func SetScan(id int, scan Scan) error { return errNotSupported }

// GetL2CAPOptions is not supported on this platform.
func GetL2CAPOptions(s *core.Socket) (L2CAPOptions, error) { return L2CAPOptions{}, errNotSupported }

// SetL2CAPOptions is not supported on this platform.
func SetL2CAPOptions(s *core.Socket, o L2CAPOptions) error { return errNotSupported }

// GetSecurity is not supported on this platform.
func GetSecurity(s *core.Socket) (Security, error) { return Security{}, errNotSupported }

// SetSecurity is not supported on this platform.
func SetSecurity(s *core.Socket, level SecurityLevel) error { return errNotSupported }

// Conn is a connected L2CAP or RFCOMM socket (Linux only).
type Conn struct{ net.Conn }

// Socket is not supported on this platform.
func (c *Conn) Socket() *core.Socket { return nil }

// L2CAPOptions is not supported on this platform.
func (c *Conn) L2CAPOptions() (L2CAPOptions, error) { return L2CAPOptions{}, errNotSupported }

// Security is not supported on this platform.
func (c *Conn) Security() (Security, error) { return Security{}, errNotSupported }

// Listener accepts L2CAP or RFCOMM connections (Linux only).
type Listener struct{}

// ListenL2CAP is not supported on this platform.
func ListenL2CAP(addr core.L2CAPAddr, cfg *Config) (*Listener, error) { return nil, errNotSupported }

// ListenRFCOMM is not supported on this platform.
func ListenRFCOMM(addr core.RFCOMMAddr, cfg *Config) (*Listener, error) {
	return nil, errNotSupported
}

// Accept is not supported on this platform.
func (l *Listener) Accept() (net.Conn, error) { return nil, errNotSupported }

// AcceptContext is not supported on this platform.
func (l *Listener) AcceptContext(ctx context.Context) (*Conn, error) { return nil, errNotSupported }

// Addr is not supported on this platform.
func (l *Listener) Addr() net.Addr { return nil }

// Socket is not supported on this platform.
func (l *Listener) Socket() *core.Socket { return nil }

// Close is not supported on this platform.
func (l *Listener) Close() error { return errNotSupported }

// DialL2CAP is not supported on this platform.
func DialL2CAP(ctx context.Context, addr core.L2CAPAddr, cfg *Config) (*Conn, error) {
	return nil, errNotSupported
}

// DialRFCOMM is not supported on this platform.
func DialRFCOMM(ctx context.Context, addr core.RFCOMMAddr, cfg *Config) (*Conn, error) {
	return nil, errNotSupported
}
