//go:build linux

package bluetooth

import (
	"context"
	"fmt"
	"sync"

	"github.com/fieldgate/fieldgate/core"
	"golang.org/x/sys/unix"
)

// HCI is an HCI socket bound to one controller (or to none) on one
// channel. Read and write methods are safe for concurrent use; Command
// calls are serialised.
type HCI struct {
	s   *core.Socket
	dev uint16
	ch  uint16
	mu  sync.Mutex // one Command at a time (it swaps the filter)
}

// OpenHCI opens an HCI socket on controller dev (0 for hci0, DevNone for
// none) and the channel cfg names (raw by default). A raw socket gets
// cfg.Filter, or AllEvents. The user channel needs the controller down;
// the monitor and control channels need dev to be DevNone.
func OpenHCI(dev int, cfg *HCIConfig) (*HCI, error) {
	ch, err := cfg.channel()
	if err != nil {
		return nil, err
	}
	if dev < 0 || dev > DevNone {
		return nil, fmt.Errorf("bluetooth: open hci%d: device index out of range (0 to 65535)", dev)
	}
	s, err := newSocket(unix.SOCK_RAW, unix.BTPROTO_HCI)
	if err != nil {
		return nil, fmt.Errorf("bluetooth: open hci%d: %w", dev, err)
	}
	h := &HCI{s: s, dev: uint16(dev), ch: ch}
	addr := core.HCIAddr{Device: h.dev, Channel: ch}
	if err := s.Bind(addr); err != nil {
		s.Close()
		return nil, fmt.Errorf("bluetooth: open %v: %w", addr, err)
	}
	if ch == ChannelRaw {
		f := AllEvents()
		if cfg != nil && cfg.Filter != nil {
			f = *cfg.Filter
		}
		if err := h.SetFilter(f); err != nil {
			s.Close()
			return nil, err
		}
	}
	return h, nil
}

// Device returns the controller index the socket is bound to.
func (h *HCI) Device() int { return int(h.dev) }

// Socket returns the underlying socket (for options and ioctls this type
// does not wrap).
func (h *HCI) Socket() *core.Socket { return h.s }

// Close closes the socket.
func (h *HCI) Close() error { return h.s.Close() }

// SetFilter installs a raw socket's receive filter (HCI_FILTER).
func (h *HCI) SetFilter(f Filter) error {
	b, _ := f.MarshalBinary()
	if err := h.s.SetsockoptBytes(unix.SOL_HCI, core.HCI_FILTER, b); err != nil {
		return fmt.Errorf("bluetooth: hci%d: set HCI_FILTER: %w", h.dev, err)
	}
	return nil
}

// Filter returns the raw socket's receive filter as the kernel holds it.
func (h *HCI) Filter() (Filter, error) {
	b, err := h.s.GetsockoptBytes(unix.SOL_HCI, core.HCI_FILTER, SizeofFilter)
	if err != nil {
		return Filter{}, fmt.Errorf("bluetooth: hci%d: get HCI_FILTER: %w", h.dev, err)
	}
	var f Filter
	if err := f.UnmarshalBinary(b); err != nil {
		return Filter{}, fmt.Errorf("bluetooth: hci%d: get HCI_FILTER: %w", h.dev, err)
	}
	return f, nil
}

// ReadPacket reads one packet into b: on the raw and user channels an
// indicator byte and the packet (see ParsePacket), on the monitor channel
// a monitor header and payload (see ParseMonitor).
func (h *HCI) ReadPacket(ctx context.Context, b []byte) (int, error) {
	n, err := h.s.RecvIntoContext(ctx, b, 0)
	if err != nil {
		return n, fmt.Errorf("bluetooth: hci%d: read: %w", h.dev, err)
	}
	return n, nil
}

// WritePacket writes one packet (indicator byte first) to the controller.
func (h *HCI) WritePacket(ctx context.Context, b []byte) error {
	if _, err := h.s.SendContext(ctx, b, 0); err != nil {
		return fmt.Errorf("bluetooth: hci%d: write: %w", h.dev, err)
	}
	return nil
}

// Command sends command op with params on a raw socket and waits until ctx
// is done for its Command Complete or Command Status event. It returns the
// return parameters after the status byte (nil for a command the
// controller answered with a successful Command Status: its result comes
// later in another event). A non-zero status is a *StatusError. Command
// narrows the socket's filter to that opcode while it waits and then puts
// the previous filter back.
func (h *HCI) Command(ctx context.Context, op Opcode, params []byte) ([]byte, error) {
	if h.ch != ChannelRaw {
		return nil, fmt.Errorf("bluetooth: hci%d: command %v: only on the raw channel (socket is on channel %d)", h.dev, op, h.ch)
	}
	pkt, err := Command{Opcode: op, Params: params}.MarshalBinary()
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	old, err := h.Filter()
	if err != nil {
		return nil, err
	}
	var f Filter
	f.SetType(EventPacket)
	f.SetEvent(EvtCommandComplete)
	f.SetEvent(EvtCommandStatus)
	f.Opcode = op
	if err := h.SetFilter(f); err != nil {
		return nil, err
	}
	defer h.SetFilter(old)
	if err := h.WritePacket(ctx, pkt); err != nil {
		return nil, fmt.Errorf("bluetooth: hci%d: command %v: %w", h.dev, op, err)
	}
	buf := make([]byte, 1+2+255)
	for {
		n, err := h.s.RecvIntoContext(ctx, buf, 0)
		if err != nil {
			return nil, fmt.Errorf("bluetooth: hci%d: command %v: %w", h.dev, op, err)
		}
		p, err := ParsePacket(buf[:n])
		if err != nil {
			continue
		}
		e, err := p.Event()
		if err != nil {
			continue
		}
		switch e.Code {
		case EvtCommandComplete:
			cc, err := e.CommandComplete()
			if err != nil || cc.Opcode != op {
				continue
			}
			if len(cc.Return) == 0 {
				return nil, nil
			}
			if cc.Return[0] != 0 {
				return nil, fmt.Errorf("bluetooth: hci%d: %w", h.dev, &StatusError{Opcode: op, Status: cc.Return[0]})
			}
			return append([]byte(nil), cc.Return[1:]...), nil
		case EvtCommandStatus:
			cs, err := e.CommandStatus()
			if err != nil || cs.Opcode != op {
				continue
			}
			if cs.Status != 0 {
				return nil, fmt.Errorf("bluetooth: hci%d: %w", h.dev, &StatusError{Opcode: op, Status: cs.Status})
			}
			return nil, nil
		}
	}
}

// ReadBDAddr asks the controller for its address (HCI_Read_BD_ADDR).
func (h *HCI) ReadBDAddr(ctx context.Context) (core.BDAddr, error) {
	r, err := h.Command(ctx, OpReadBDAddr, nil)
	if err != nil {
		return core.BDAddr{}, err
	}
	a, err := parseBDAddr(r)
	if err != nil {
		return a, fmt.Errorf("bluetooth: hci%d: %v: %w", h.dev, OpReadBDAddr, err)
	}
	return a, nil
}

// ReadLocalVersion asks the controller for its HCI and LMP versions and
// manufacturer (HCI_Read_Local_Version_Information).
func (h *HCI) ReadLocalVersion(ctx context.Context) (LocalVersion, error) {
	r, err := h.Command(ctx, OpReadLocalVersion, nil)
	if err != nil {
		return LocalVersion{}, err
	}
	v, err := parseLocalVersion(r)
	if err != nil {
		return v, fmt.Errorf("bluetooth: hci%d: %v: %w", h.dev, OpReadLocalVersion, err)
	}
	return v, nil
}

// ReadLocalName asks the controller for its name (HCI_Read_Local_Name:
// 248 bytes, NUL-terminated when shorter).
func (h *HCI) ReadLocalName(ctx context.Context) (string, error) {
	r, err := h.Command(ctx, OpReadLocalName, nil)
	if err != nil {
		return "", err
	}
	return cString(r), nil
}

// WriteLocalName sets the controller's name (HCI_Write_Local_Name; at most
// 248 bytes of UTF-8).
func (h *HCI) WriteLocalName(ctx context.Context, name string) error {
	if len(name) > 248 {
		return fmt.Errorf("bluetooth: hci%d: local name of %d bytes, at most 248", h.dev, len(name))
	}
	p := make([]byte, 248)
	copy(p, name)
	_, err := h.Command(ctx, OpWriteLocalName, p)
	return err
}
