//go:build linux

package bluetooth

import (
	"context"
	"fmt"
	"sync"

	"github.com/fieldgate/fieldgate/core"
)

// Monitor reads the HCI monitor channel: every controller's commands,
// events and data, and controllers coming and going, as btmon sees them.
// On open the kernel first replays the controllers that exist (NewIndex,
// and OpenIndex and IndexInfo for those that are up). It needs
// CAP_NET_RAW.
type Monitor struct {
	h   *HCI
	mu  sync.Mutex
	buf []byte
}

// OpenMonitor opens the monitor channel.
func OpenMonitor() (*Monitor, error) {
	h, err := OpenHCI(DevNone, &HCIConfig{Channel: ChannelMonitor})
	if err != nil {
		return nil, fmt.Errorf("bluetooth: open monitor: %w", err)
	}
	return &Monitor{h: h, buf: make([]byte, SizeofMonitorHeader+0xffff)}, nil
}

// Next returns the next monitor packet, waiting until ctx is done. The
// packet's Data is its own copy.
func (m *Monitor) Next(ctx context.Context) (MonitorPacket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.h.s.RecvIntoContext(ctx, m.buf, 0)
	if err != nil {
		return MonitorPacket{}, fmt.Errorf("bluetooth: monitor: read: %w", err)
	}
	p, err := ParseMonitor(append([]byte(nil), m.buf[:n]...))
	if err != nil {
		return MonitorPacket{}, fmt.Errorf("bluetooth: monitor: %w", err)
	}
	return p, nil
}

// Socket returns the underlying socket.
func (m *Monitor) Socket() *core.Socket { return m.h.s }

// Close closes the monitor socket.
func (m *Monitor) Close() error { return m.h.Close() }
