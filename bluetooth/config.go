package bluetooth

import (
	"fmt"

	"github.com/fieldgate/fieldgate/core"
)

// HCI channels (the Channel of HCIConfig and core.HCIAddr).
const (
	ChannelRaw     = core.HCI_CHANNEL_RAW     // raw: commands and events alongside the kernel, filtered (HCI_FILTER)
	ChannelUser    = core.HCI_CHANNEL_USER    // user: exclusive access, the kernel stays off the controller (it must be down)
	ChannelMonitor = core.HCI_CHANNEL_MONITOR // monitor: every controller's traffic, read only (what btmon reads)
	ChannelControl = core.HCI_CHANNEL_CONTROL // control: the management interface (what bluetoothd and btmgmt speak)
)

// DevNone is HCI_DEV_NONE: no controller (monitor and control channels,
// or a raw socket used only for ioctls).
const DevNone = core.HCI_DEV_NONE

// HCIConfig tunes OpenHCI. A nil *HCIConfig means the defaults.
type HCIConfig struct {
	// Channel is the HCI channel: ChannelRaw (the default), ChannelUser,
	// ChannelMonitor or ChannelControl.
	Channel int
	// Filter, for the raw channel, is the receive filter to install; nil
	// installs AllEvents (every event, no data packets). The kernel's own
	// default for a raw socket passes nothing.
	Filter *Filter
}

func (c *HCIConfig) channel() (uint16, error) {
	if c == nil {
		return ChannelRaw, nil
	}
	switch c.Channel {
	case ChannelRaw, ChannelUser, ChannelMonitor, ChannelControl:
		if c.Filter != nil && c.Channel != ChannelRaw {
			return 0, fmt.Errorf("bluetooth: HCIConfig.Filter is for the raw channel only, not channel %d", c.Channel)
		}
		return uint16(c.Channel), nil
	}
	return 0, fmt.Errorf("bluetooth: HCIConfig.Channel %d: want ChannelRaw, ChannelUser, ChannelMonitor or ChannelControl", c.Channel)
}

// Config tunes L2CAP and RFCOMM sockets (Listen*, Dial*). A nil *Config
// means the defaults.
type Config struct {
	// Type is the socket type. L2CAP: core.SOCK_SEQPACKET (the default,
	// message boundaries kept, as l2test uses) or core.SOCK_STREAM.
	// RFCOMM: core.SOCK_STREAM only (the default).
	Type int
	// Local, for Dial, is the adapter to connect from; the zero value
	// (BDAddrAny) lets the kernel choose the route.
	Local core.BDAddr
	// Security is the BT_SECURITY level to require; zero keeps the
	// kernel's default (SecurityLow for L2CAP and RFCOMM).
	Security SecurityLevel
	// IMTU and OMTU, L2CAP only, are the incoming and outgoing MTU to
	// propose (L2CAP_OPTIONS); zero keeps the kernel's (672, the L2CAP
	// default MTU).
	IMTU, OMTU uint16
}

func (c *Config) typ(proto int) (int, error) {
	t := 0
	if c != nil {
		t = c.Type
	}
	switch {
	case t == 0 && proto == core.BTPROTO_L2CAP:
		return core.SOCK_SEQPACKET, nil
	case t == 0 || t == core.SOCK_STREAM:
		return core.SOCK_STREAM, nil
	case t == core.SOCK_SEQPACKET && proto == core.BTPROTO_L2CAP:
		return t, nil
	}
	if proto == core.BTPROTO_L2CAP {
		return 0, fmt.Errorf("bluetooth: Config.Type %s: want SOCK_SEQPACKET or SOCK_STREAM for L2CAP", core.Kind(t))
	}
	return 0, fmt.Errorf("bluetooth: Config.Type %s: want SOCK_STREAM for RFCOMM", core.Kind(t))
}

func (c *Config) validate(proto int) error {
	if c == nil {
		return nil
	}
	if c.Security > SecurityFIPS {
		return fmt.Errorf("bluetooth: Config.Security %d: want SecurityLow (1) to SecurityFIPS (4)", c.Security)
	}
	if proto != core.BTPROTO_L2CAP && (c.IMTU != 0 || c.OMTU != 0) {
		return fmt.Errorf("bluetooth: Config.IMTU/OMTU are L2CAP options")
	}
	if (c.IMTU != 0 && c.IMTU < 48) || (c.OMTU != 0 && c.OMTU < 48) {
		return fmt.Errorf("bluetooth: Config.IMTU %d, OMTU %d: the L2CAP minimum MTU is 48", c.IMTU, c.OMTU)
	}
	return nil
}
