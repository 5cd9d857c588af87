package can

import (
	"fmt"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// Config is a can endpoint's settings.
type Config struct {
	Interface string
	FD        bool            // receive and send CAN FD frames
	Filters   []config.Filter // kernel receive filters
	ErrorMask uint32          // error classes to receive (CAN_ERR_MASK bits)
	Confirm   bool            // count frames never transmitted from the socket's own echoes
	// ReceiveBuffer is the socket receive buffer asked of the kernel, in
	// bytes (SO_RCVBUFFORCE, or SO_RCVBUF without CAP_NET_ADMIN); the
	// kernel grants twice that. 0 keeps the kernel's default
	// (net.core.rmem_default).
	ReceiveBuffer int64
}

// Receive buffer sizes.
const (
	// DefaultReceiveBuffer is asked of the kernel when receive_buffer is
	// not set: the kernel grants 16 MiB, which hold 21 846 queued frames
	// (measured in the rig, TestHILCANKernelDropsAtBurstEnd) and carry a
	// 20 000-frame cangen -g 0 burst through a can → can route without
	// loss (TestHILCANBurstDefaultConfig). The memory is charged only
	// while frames wait in the socket.
	DefaultReceiveBuffer = 8 << 20
	// MinReceiveBuffer and MaxReceiveBuffer bound receive_buffer (other
	// than 0).
	MinReceiveBuffer = 4 << 10
	MaxReceiveBuffer = 1 << 30
	// FrameCharge is what the kernel charges a CAN socket's receive
	// buffer per queued frame, classic or FD (the socket buffer's
	// truesize; measured on the rig's Debian 12 kernel).
	FrameCharge = 768
)

// BufferFrames returns how many frames a receive buffer the kernel granted
// (SO_RCVBUF as read back) holds: it queues a frame while less than the
// buffer is in use, so one more than fit exactly.
func BufferFrames(granted int64) int64 {
	if granted <= 0 {
		return 0
	}
	return (granted + FrameCharge - 1) / FrameCharge
}

var _ config.RawCAN = (*Config)(nil)

// Traits: a local CAN bus, CAN frames (and CAN FD with fd: true), both ways.
func (c *Config) Traits() config.Traits {
	carries := config.CarriesCAN
	if c.FD {
		carries |= config.CarriesCANFD
	}
	return config.Traits{Carries: carries, Trust: config.TrustBus, Interface: c.Interface}
}

// RawCAN: the endpoint is a raw socket on its interface; can-gw may forward
// for it when it has no socket filters.
func (c *Config) RawCAN() (iface string, fd, filtered bool) {
	return c.Interface, c.FD, len(c.Filters) > 0
}

var fields = []config.Field{
	{Name: "interface", Doc: "e.g. `can0`, `vcan0` (≤ 15 characters)"},
	{Name: "fd", Default: "false", Doc: "receive and send CAN FD frames"},
	{Name: "filters", Doc: "kernel receive filters: `\"123:7FF\"` (id:mask, hex), `\"123~7FF\"` (inverted), or `{id: 0x123, mask: 0x7FF, inverted: false}`; default all"},
	{Name: "error_mask", Default: "0", Doc: "CAN error classes to receive as error frames (`CAN_ERR_MASK` bits, e.g. `0x1FFFFFFF` for all)"},
	{Name: "confirm", Default: "false", Doc: "exact transmit accounting: frames still unconfirmed by their echo when the interface goes down are counted as `tx_lost`"},
	{Name: "receive_buffer", Default: "8MiB", Doc: "socket receive buffer asked of the kernel (`SO_RCVBUFFORCE` with CAP_NET_ADMIN, else `SO_RCVBUF`, capped at `net.core.rmem_max`); the kernel grants twice that and charges 768 bytes per queued frame, so 8MiB hold 21 846 frames; `0` keeps the kernel's default"},
}

func decode(o *config.Object) config.Settings {
	c := &Config{}
	c.Interface = o.Interface("the CAN interface name, e.g. can0 or vcan0")
	c.FD = o.Bool("fd", false)
	c.Filters = o.Filters("filters")
	c.ErrorMask = uint32(o.Uint("error_mask", 0, 0, 0x1FFFFFFF))
	c.Confirm = o.Bool("confirm", false)
	c.ReceiveBuffer = o.Size("receive_buffer", DefaultReceiveBuffer)
	if n, ok := o.Scalar("receive_buffer"); ok && c.ReceiveBuffer != 0 && (c.ReceiveBuffer < MinReceiveBuffer || c.ReceiveBuffer > MaxReceiveBuffer) {
		o.Errorf(n, o.Field("receive_buffer"), "0 (the kernel's default) or 4KiB to 1GiB, e.g. 8MiB",
			"receive buffer %d bytes is out of range", c.ReceiveBuffer)
		c.ReceiveBuffer = DefaultReceiveBuffer
	}
	return c
}

var _ config.HostChecker = (*Config)(nil)

// CheckHost warns when the interface is not present on this host, when
// the kernel will grant less receive buffer than asked (no CAP_NET_ADMIN),
// and when the receive buffer holds fewer frames than the endpoint's
// queue.
func (c *Config) CheckHost(h *config.Host) {
	h.Interface("interface", c.Interface)
	if c.ReceiveBuffer == 0 {
		return
	}
	granted := 2 * c.ReceiveBuffer
	if max, ok := rmemCap(); ok && c.ReceiveBuffer > max {
		granted = 2 * max
		h.Warnf("receive_buffer", "run the gateway with CAP_NET_ADMIN (the systemd unit grants it), or raise net.core.rmem_max",
			"without CAP_NET_ADMIN the kernel caps receive_buffer (%s) at net.core.rmem_max (%s): it will grant %s, about %d frames",
			sizeText(c.ReceiveBuffer), sizeText(max), sizeText(granted), BufferFrames(granted))
	}
	if q := h.Queue().Size; BufferFrames(granted) < int64(q) {
		need := (int64(q)*FrameCharge/2 + 1<<20 - 1) &^ (1<<20 - 1) // the kernel doubles it; whole MiB
		h.Warnf("receive_buffer", fmt.Sprintf("set receive_buffer to at least %s (%d bytes per frame, which the kernel doubles), or make the queue smaller", sizeText(need), FrameCharge/2),
			"the receive buffer (%s granted) holds about %d frames, fewer than queue.size (%d): a burst from %s longer than that is dropped by the kernel (kernel_overflow) whenever the gateway falls behind, before a queue of that size could absorb it",
			sizeText(granted), BufferFrames(granted), q, c.Interface)
	}
}

// rmemCap is hostRmemCap; tests replace it.
var rmemCap = hostRmemCap

// sizeText writes n bytes as the configuration would: 8MiB, 512KiB, 1000.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
