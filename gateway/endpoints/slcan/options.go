package slcan

import (
	"fmt"
	"strings"
	"time"

	"github.com/fieldgate/fieldgate/can/slcan"
	"github.com/fieldgate/fieldgate/gateway/config"
)

// A Role says which side of the SLCAN protocol fieldgate speaks.
type Role string

// Roles.
const (
	// Host drives an adapter: it sends the open sequence and frames, and
	// reads frames, status and acknowledgements.
	Host Role = "host"
	// Device answers as an adapter does, for a program that drives one
	// (Linux's slcand and slcan driver, python-can, SavvyCAN).
	Device Role = "device"
)

// Options are the protocol settings of an SLCAN endpoint, whatever its
// transport. A kind that carries SLCAN over a transport of its own (an
// RFCOMM socket) decodes them with DecodeOptions and opens with Open.
type Options struct {
	Role Role
	// Host: the CAN bit rate (S0..S8), or BTR (SJA1000 BTR0 BTR1 as four
	// hex digits, the s command); neither leaves the adapter's setting.
	Bitrate int
	BTR     string
	// Host: open listen-only (L instead of O): nothing is sent.
	ListenOnly bool
	// Host: turn the adapter's timestamps on (Z1).
	Timestamps bool
	// FD carries CAN FD frames (d/D/b/B lines).
	FD bool
	// Host: poll the status flags (F) this often; 0 never.
	StatusInterval time.Duration
	// Host: how long the adapter may take to answer a command of the open
	// sequence.
	CommandTimeout time.Duration
	// ErrorFrames: host: deliver the adapter's status and state reports as
	// CAN error frames (they are counted and logged either way).
	ErrorFrames bool
	// Reconnect is the backoff between attempts to open the device,
	// connect, or run the open sequence again.
	Reconnect config.Backoff
}

// Traits: role host is a bus of this host (an adapter on a serial line:
// its frames are trusted, frames from remote sources reach it only
// through a route's allow list); read-only when listen-only. Role device
// is a peer program that may be anywhere (a pty any local user may open,
// a TCP client): its frames reach a bus only through allow.
func (o *Options) Traits() config.Traits {
	carries := config.CarriesCAN
	if o.FD {
		carries |= config.CarriesCANFD
	}
	if o.Role == Device {
		return config.Traits{Carries: carries, Direction: config.ReadWrite, Trust: config.TrustRemote}
	}
	dir := config.ReadWrite
	if o.ListenOnly {
		dir = config.ReadOnly
	}
	return config.Traits{Carries: carries, Direction: dir, Trust: config.TrustBus}
}

// Defaults.
const (
	DefaultStatusInterval = time.Second
	DefaultCommandTimeout = 2 * time.Second
)

// OptionFields documents the fields DecodeOptions reads, in this order.
var OptionFields = []config.Field{
	{Name: "role", Doc: "`host` (drive an adapter: a bus of this host) or `device` (look like an adapter to slcand, python-can, SavvyCAN: an untrusted peer) (required)"},
	{Name: "bitrate", Doc: "host: CAN bit rate set with `S0`–`S8` (10000, 20000, 50000, 100000, 125000, 250000, 500000, 800000, 1000000); unset keeps the adapter's"},
	{Name: "btr", Doc: "host: SJA1000 bit timing registers BTR0 BTR1 as 4 hex digits, set with `s` (instead of bitrate)"},
	{Name: "listen_only", Default: "false", Doc: "host: open with `L` (listen-only) instead of `O`; the endpoint then only reads"},
	{Name: "timestamps", Default: "false", Doc: "host: turn the adapter's timestamps on (`Z1`); they are checked, the frame time is the host's receive time"},
	{Name: "fd", Default: "false", Doc: "carry CAN FD frames (`d`/`D`/`b`/`B` lines, CANable 2 and compatible); off: FD frames are dropped as unsupported"},
	{Name: "status_interval", Default: "1s", Doc: "host: poll the adapter's status flags (`F`) this often; `0s` never"},
	{Name: "command_timeout", Default: "2s", Doc: "host: how long the adapter may take to answer a command of the open sequence"},
	{Name: "error_frames", Default: "true", Doc: "host: deliver status (`F`) and state (`sSRRRTTT`) reports as CAN error frames (counted and logged either way)"},
	{Name: "reconnect", Default: "{min: 100ms, max: 5s}", Doc: "backoff between attempts to open, connect or run the open sequence again"},
}

// DecodeOptions reads the fields of OptionFields. Host-only fields on a
// device are errors.
func DecodeOptions(o *config.Object) Options {
	var r Options
	if !o.Has("role") {
		o.Missing("role", "host (drive an adapter: a bus) or device (look like an adapter to slcand, python-can)")
	}
	r.Role = Role(o.OneOf("role", string(Host), string(Host), string(Device)))
	if r.Role == Device {
		for _, k := range []string{"bitrate", "btr", "listen_only", "timestamps", "status_interval", "command_timeout", "error_frames"} {
			if o.Has(k) {
				o.Errorf(o.Get(k), o.Field(k), "the program that opens the device sets these", "%s applies to role: host only", k)
			}
		}
	}
	if o.Has("bitrate") && r.Role == Host {
		n := o.Get("bitrate")
		r.Bitrate = int(o.Uint("bitrate", 0, 0, 1_000_000))
		if _, ok := slcan.BitrateCode(r.Bitrate); !ok && r.Bitrate != 0 {
			var rates []string
			for _, b := range slcan.Bitrates {
				rates = append(rates, fmt.Sprint(b))
			}
			o.Errorf(n, o.Field("bitrate"), "one of "+strings.Join(rates, ", ")+", or btr: for other rates", "no S command sets %d bit/s", r.Bitrate)
		}
	}
	if o.Has("btr") && r.Role == Host {
		n := o.Get("btr")
		r.BTR = o.Str("btr", "")
		if len(r.BTR) != 4 || strings.Trim(r.BTR, "0123456789abcdefABCDEF") != "" {
			o.Errorf(n, o.Field("btr"), "BTR0 and BTR1 as 4 hex digits, e.g. 031C for 125 kbit/s at 16 MHz", "invalid btr %q", r.BTR)
		}
		if o.Has("bitrate") {
			o.Errorf(n, o.Field("btr"), "give bitrate or btr", "bitrate and btr both set")
		}
	}
	if r.Role == Host {
		r.ListenOnly = o.Bool("listen_only", false)
		r.Timestamps = o.Bool("timestamps", false)
	}
	r.FD = o.Bool("fd", false)
	r.StatusInterval = DefaultStatusInterval
	r.CommandTimeout = DefaultCommandTimeout
	r.ErrorFrames = true
	if r.Role == Host {
		r.StatusInterval = o.Duration("status_interval", DefaultStatusInterval, 0, time.Hour)
		if r.StatusInterval > 0 && r.StatusInterval < 10*time.Millisecond {
			o.Errorf(o.Get("status_interval"), o.Field("status_interval"), "at least 10ms, or 0s for never", "status_interval %v too short", r.StatusInterval)
		}
		r.CommandTimeout = o.Duration("command_timeout", DefaultCommandTimeout, 10*time.Millisecond, time.Minute)
		r.ErrorFrames = o.Bool("error_frames", true)
	}
	r.Reconnect = o.Backoff()
	return r
}
