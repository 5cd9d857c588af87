package netlinkfam

import (
	"encoding"
	"errors"
	"fmt"
	"strings"
)

// IFLA_CAN_* attribute types (linux/can/netlink.h), carried inside
// IFLA_LINKINFO/IFLA_INFO_DATA of a link whose kind is "can" (and read-only
// parts for vcan/vxcan, which report none of them).
const (
	iflaCANBitTiming          = 1
	iflaCANBitTimingConst     = 2
	iflaCANClock              = 3
	iflaCANState              = 4
	iflaCANCtrlMode           = 5
	iflaCANRestartMs          = 6
	iflaCANRestart            = 7
	iflaCANBerrCounter        = 8
	iflaCANDataBitTiming      = 9
	iflaCANDataBitTimingConst = 10
	iflaCANTermination        = 11
	iflaCANTerminationConst   = 12
	iflaCANBitrateConst       = 13
	iflaCANDataBitrateConst   = 14
	iflaCANBitrateMax         = 15
	iflaCANTDC                = 16
	iflaCANCtrlModeExt        = 17

	iflaCANCtrlModeSupported = 1 // inside IFLA_CAN_CTRLMODE_EXT

	// Inside IFLA_CAN_TDC (transmitter delay compensation, CAN FD).
	iflaCANTDCTDCVMin = 1
	iflaCANTDCTDCVMax = 2
	iflaCANTDCTDCOMin = 3
	iflaCANTDCTDCOMax = 4
	iflaCANTDCTDCFMin = 5
	iflaCANTDCTDCFMax = 6
	iflaCANTDCTDCV    = 7
	iflaCANTDCTDCO    = 8
	iflaCANTDCTDCF    = 9
)

// TDC is a CAN FD controller's transmitter delay compensation (IFLA_CAN_TDC):
// its limits and, when set, the current values, all in minimum time quanta.
// Zero means "not reported".
type TDC struct {
	TDCVMin, TDCVMax uint32 // transmitter delay value limits
	TDCOMin, TDCOMax uint32 // offset limits
	TDCFMin, TDCFMax uint32 // filter window limits
	TDCV, TDCO, TDCF uint32 // current value, offset, filter window
}

// TDCConfig sets transmitter delay compensation values (`ip link set DEV
// type can tdcv N tdco N tdcf N`); nil fields are not sent. Select the mode
// with CtrlModeTDCAuto or CtrlModeTDCManual.
type TDCConfig struct {
	TDCV, TDCO, TDCF *uint32
}

var (
	_ encoding.TextMarshaler = CANState(0)
	_ encoding.TextMarshaler = CtrlMode(0)
	_ encoding.TextMarshaler = OperState(0)
	_ fmt.Stringer           = CANState(0)
)

// Sizes of the kernel structures carried by the attributes above.
const (
	sizeofBitTiming      = 32 // struct can_bittiming: 8 x u32
	sizeofBitTimingConst = 48 // struct can_bittiming_const: char name[16] + 8 x u32
	sizeofCtrlMode       = 8  // struct can_ctrlmode: mask u32, flags u32
	sizeofBerrCounter    = 4  // struct can_berr_counter: txerr u16, rxerr u16
	sizeofDeviceStats    = 24 // struct can_device_stats: 6 x u32
)

// BitTiming is struct can_bittiming. To request a bit rate, set Bitrate and
// optionally SamplePoint and SJW and let the kernel compute the rest; to
// request an exact timing set TQ, PropSeg, PhaseSeg1, PhaseSeg2 and SJW
// (Bitrate zero). When read back, every field is filled in by the driver.
type BitTiming struct {
	Bitrate     uint32 // bit/s
	SamplePoint uint32 // in tenths of a percent: 875 means 87.5 %
	TQ          uint32 // time quantum in nanoseconds
	PropSeg     uint32 // propagation segment in TQ
	PhaseSeg1   uint32 // phase buffer segment 1 in TQ
	PhaseSeg2   uint32 // phase buffer segment 2 in TQ
	SJW         uint32 // synchronisation jump width in TQ
	BRP         uint32 // bit-rate prescaler
}

// BitTimingConst is struct can_bittiming_const: the limits of the
// controller's bit-timing registers.
type BitTimingConst struct {
	Name     string // driver name, e.g. "sja1000"
	TSeg1Min uint32
	TSeg1Max uint32
	TSeg2Min uint32
	TSeg2Max uint32
	SJWMax   uint32
	BRPMin   uint32
	BRPMax   uint32
	BRPInc   uint32
}

// CtrlMode is a set of CAN_CTRLMODE_* controller mode bits.
type CtrlMode uint32

// Controller modes (linux/can/netlink.h).
const (
	CtrlModeLoopback      CtrlMode = 0x01  // loopback mode
	CtrlModeListenOnly    CtrlMode = 0x02  // listen-only mode
	CtrlMode3Samples      CtrlMode = 0x04  // triple sampling mode
	CtrlModeOneShot       CtrlMode = 0x08  // one-shot mode: no retransmission
	CtrlModeBerrReporting CtrlMode = 0x10  // bus-error reporting
	CtrlModeFD            CtrlMode = 0x20  // CAN FD mode
	CtrlModePresumeAck    CtrlMode = 0x40  // ignore missing CAN ACKs
	CtrlModeFDNonISO      CtrlMode = 0x80  // CAN FD in non-ISO (Bosch) mode
	CtrlModeCCLen8DLC     CtrlMode = 0x100 // classic CAN DLC 9..15 option
	CtrlModeTDCAuto       CtrlMode = 0x200 // transceiver delay compensation, automatic
	CtrlModeTDCManual     CtrlMode = 0x400 // transceiver delay compensation, manual
)

// ctrlModeNames lists the modes in bit order with the names iproute2 uses:
// the option name for `ip link set ... type can NAME on|off` and the label
// `ip -d link show` prints.
var ctrlModeNames = []struct {
	mode   CtrlMode
	option string
	label  string
}{
	{CtrlModeLoopback, "loopback", "LOOPBACK"},
	{CtrlModeListenOnly, "listen-only", "LISTEN-ONLY"},
	{CtrlMode3Samples, "triple-sampling", "TRIPLE-SAMPLING"},
	{CtrlModeOneShot, "one-shot", "ONE-SHOT"},
	{CtrlModeBerrReporting, "berr-reporting", "BERR-REPORTING"},
	{CtrlModeFD, "fd", "FD"},
	{CtrlModeFDNonISO, "fd-non-iso", "FD-NON-ISO"},
	{CtrlModePresumeAck, "presume-ack", "PRESUME-ACK"},
	{CtrlModeCCLen8DLC, "cc-len8-dlc", "CC-LEN8-DLC"},
	{CtrlModeTDCAuto, "tdc-auto", "TDC-AUTO"},
	{CtrlModeTDCManual, "tdc-manual", "TDC-MANUAL"},
}

// CtrlModeByName returns the mode for an iproute2 option name such as
// "listen-only" or "one-shot".
func CtrlModeByName(name string) (CtrlMode, bool) {
	for _, n := range ctrlModeNames {
		if n.option == name {
			return n.mode, true
		}
	}
	return 0, false
}

// CtrlModeNames returns the iproute2 option names of all known modes.
func CtrlModeNames() []string {
	s := make([]string, len(ctrlModeNames))
	for i, n := range ctrlModeNames {
		s[i] = n.option
	}
	return s
}

// String returns the modes as `ip -d link show` prints them, e.g.
// "LOOPBACK,ONE-SHOT"; unknown bits are printed as hex.
func (m CtrlMode) String() string {
	var parts []string
	for _, n := range ctrlModeNames {
		if m&n.mode != 0 {
			parts = append(parts, n.label)
			m &^= n.mode
		}
	}
	if m != 0 {
		parts = append(parts, fmt.Sprintf("%#x", uint32(m)))
	}
	return strings.Join(parts, ",")
}

// CANState is the controller's error state (enum can_state).
type CANState uint32

// Controller error states.
const (
	CANStateErrorActive  CANState = 0 // RX/TX error count < 96
	CANStateErrorWarning CANState = 1 // RX/TX error count < 128
	CANStateErrorPassive CANState = 2 // RX/TX error count < 256
	CANStateBusOff       CANState = 3 // RX/TX error count >= 256
	CANStateStopped      CANState = 4 // device is stopped
	CANStateSleeping     CANState = 5 // device is sleeping
)

// String returns the state as `ip -d link show` prints it, e.g. "BUS-OFF".
func (s CANState) String() string {
	switch s {
	case CANStateErrorActive:
		return "ERROR-ACTIVE"
	case CANStateErrorWarning:
		return "ERROR-WARNING"
	case CANStateErrorPassive:
		return "ERROR-PASSIVE"
	case CANStateBusOff:
		return "BUS-OFF"
	case CANStateStopped:
		return "STOPPED"
	case CANStateSleeping:
		return "SLEEPING"
	}
	return fmt.Sprintf("CANState(%d)", uint32(s))
}

// BerrCounter is struct can_berr_counter: the controller's transmit and
// receive error counters.
type BerrCounter struct {
	TxErr uint16
	RxErr uint16
}

// DeviceStats is struct can_device_stats, the CAN-specific counters a driver
// reports in IFLA_INFO_XSTATS (`ip -s -d link show` prints them as
// "re-started bus-errors arbit-lost error-warn error-pass bus-off").
type DeviceStats struct {
	BusError        uint32
	ErrorWarning    uint32
	ErrorPassive    uint32
	BusOff          uint32
	ArbitrationLost uint32
	Restarts        uint32
}

// CANInfo is what the kernel reports about a CAN controller in
// IFLA_INFO_DATA. Pointer fields are nil when the driver did not report the
// attribute (vcan and vxcan report none; software-only drivers report no bit
// timing).
type CANInfo struct {
	BitTiming          *BitTiming
	BitTimingConst     *BitTimingConst
	DataBitTiming      *BitTiming // CAN FD data phase
	DataBitTimingConst *BitTimingConst
	ClockHz            uint32 // controller clock (IFLA_CAN_CLOCK), 0 if not reported
	State              CANState
	HasState           bool     // IFLA_CAN_STATE was present
	CtrlMode           CtrlMode // modes currently set
	CtrlModeSupported  CtrlMode // modes the driver supports (IFLA_CAN_CTRLMODE_EXT), 0 if not reported
	RestartMs          uint32   // automatic restart delay after bus-off; 0 = manual restart only
	BerrCounter        *BerrCounter
	Termination        uint16   // ohms, 0 = off or not supported
	TerminationConst   []uint16 // supported termination values
	BitrateConst       []uint32 // fixed bit rates a controller supports
	DataBitrateConst   []uint32
	BitrateMax         uint32       // highest bit rate the transceiver supports, 0 if not reported
	TDC                *TDC         // CAN FD transmitter delay compensation, nil if not reported
	Stats              *DeviceStats // from IFLA_INFO_XSTATS
}

// errShort builds the error for an attribute whose payload has the wrong size.
func errAttrLen(name string, got, want int) error {
	return fmt.Errorf("%s: payload is %d bytes, want %d", name, got, want)
}

// DecodeCANInfo decodes the payload of IFLA_INFO_DATA of a CAN link (a
// sequence of IFLA_CAN_* attributes). Unknown attributes are ignored so that
// newer kernels keep working; known attributes with a wrong size are errors.
func DecodeCANInfo(b []byte) (*CANInfo, error) {
	as, err := parseAttrs(b)
	if err != nil {
		return nil, fmt.Errorf("netlinkfam: decode IFLA_INFO_DATA: %w", err)
	}
	var ci CANInfo
	for _, a := range as {
		if err := ci.decodeAttr(a); err != nil {
			return nil, fmt.Errorf("netlinkfam: decode IFLA_INFO_DATA: %w", err)
		}
	}
	return &ci, nil
}

func (ci *CANInfo) decodeAttr(a attr) error {
	d := a.data
	switch a.typ {
	case iflaCANBitTiming, iflaCANDataBitTiming:
		name := "IFLA_CAN_BITTIMING"
		if a.typ == iflaCANDataBitTiming {
			name = "IFLA_CAN_DATA_BITTIMING"
		}
		if len(d) != sizeofBitTiming {
			return errAttrLen(name, len(d), sizeofBitTiming)
		}
		bt := decodeBitTiming(d)
		if a.typ == iflaCANBitTiming {
			ci.BitTiming = bt
		} else {
			ci.DataBitTiming = bt
		}
	case iflaCANBitTimingConst, iflaCANDataBitTimingConst:
		name := "IFLA_CAN_BITTIMING_CONST"
		if a.typ == iflaCANDataBitTimingConst {
			name = "IFLA_CAN_DATA_BITTIMING_CONST"
		}
		if len(d) != sizeofBitTimingConst {
			return errAttrLen(name, len(d), sizeofBitTimingConst)
		}
		btc := &BitTimingConst{
			Name:     cString(d[:16]),
			TSeg1Min: ne.Uint32(d[16:]),
			TSeg1Max: ne.Uint32(d[20:]),
			TSeg2Min: ne.Uint32(d[24:]),
			TSeg2Max: ne.Uint32(d[28:]),
			SJWMax:   ne.Uint32(d[32:]),
			BRPMin:   ne.Uint32(d[36:]),
			BRPMax:   ne.Uint32(d[40:]),
			BRPInc:   ne.Uint32(d[44:]),
		}
		if a.typ == iflaCANBitTimingConst {
			ci.BitTimingConst = btc
		} else {
			ci.DataBitTimingConst = btc
		}
	case iflaCANClock:
		if len(d) != 4 {
			return errAttrLen("IFLA_CAN_CLOCK", len(d), 4)
		}
		ci.ClockHz = ne.Uint32(d)
	case iflaCANState:
		if len(d) != 4 {
			return errAttrLen("IFLA_CAN_STATE", len(d), 4)
		}
		ci.State = CANState(ne.Uint32(d))
		ci.HasState = true
	case iflaCANCtrlMode:
		if len(d) != sizeofCtrlMode {
			return errAttrLen("IFLA_CAN_CTRLMODE", len(d), sizeofCtrlMode)
		}
		ci.CtrlMode = CtrlMode(ne.Uint32(d[4:])) // mask is not meaningful on read
	case iflaCANRestartMs:
		if len(d) != 4 {
			return errAttrLen("IFLA_CAN_RESTART_MS", len(d), 4)
		}
		ci.RestartMs = ne.Uint32(d)
	case iflaCANBerrCounter:
		if len(d) != sizeofBerrCounter {
			return errAttrLen("IFLA_CAN_BERR_COUNTER", len(d), sizeofBerrCounter)
		}
		ci.BerrCounter = &BerrCounter{TxErr: ne.Uint16(d), RxErr: ne.Uint16(d[2:])}
	case iflaCANTermination:
		if len(d) != 2 {
			return errAttrLen("IFLA_CAN_TERMINATION", len(d), 2)
		}
		ci.Termination = ne.Uint16(d)
	case iflaCANTerminationConst:
		if len(d)%2 != 0 {
			return fmt.Errorf("IFLA_CAN_TERMINATION_CONST: payload is %d bytes, not a multiple of 2", len(d))
		}
		ci.TerminationConst = make([]uint16, len(d)/2)
		for i := range ci.TerminationConst {
			ci.TerminationConst[i] = ne.Uint16(d[2*i:])
		}
	case iflaCANBitrateConst, iflaCANDataBitrateConst:
		if len(d)%4 != 0 {
			return fmt.Errorf("IFLA_CAN_(DATA_)BITRATE_CONST: payload is %d bytes, not a multiple of 4", len(d))
		}
		v := make([]uint32, len(d)/4)
		for i := range v {
			v[i] = ne.Uint32(d[4*i:])
		}
		if a.typ == iflaCANBitrateConst {
			ci.BitrateConst = v
		} else {
			ci.DataBitrateConst = v
		}
	case iflaCANBitrateMax:
		if len(d) != 4 {
			return errAttrLen("IFLA_CAN_BITRATE_MAX", len(d), 4)
		}
		ci.BitrateMax = ne.Uint32(d)
	case iflaCANTDC:
		nas, err := parseAttrs(d)
		if err != nil {
			return fmt.Errorf("IFLA_CAN_TDC: %w", err)
		}
		tdc := &TDC{}
		for _, na := range nas {
			var p *uint32
			switch na.typ {
			case iflaCANTDCTDCVMin:
				p = &tdc.TDCVMin
			case iflaCANTDCTDCVMax:
				p = &tdc.TDCVMax
			case iflaCANTDCTDCOMin:
				p = &tdc.TDCOMin
			case iflaCANTDCTDCOMax:
				p = &tdc.TDCOMax
			case iflaCANTDCTDCFMin:
				p = &tdc.TDCFMin
			case iflaCANTDCTDCFMax:
				p = &tdc.TDCFMax
			case iflaCANTDCTDCV:
				p = &tdc.TDCV
			case iflaCANTDCTDCO:
				p = &tdc.TDCO
			case iflaCANTDCTDCF:
				p = &tdc.TDCF
			default:
				continue
			}
			if len(na.data) != 4 {
				return fmt.Errorf("IFLA_CAN_TDC attribute %d: payload is %d bytes, want 4", na.typ, len(na.data))
			}
			*p = ne.Uint32(na.data)
		}
		ci.TDC = tdc
	case iflaCANCtrlModeExt:
		nas, err := parseAttrs(d)
		if err != nil {
			return fmt.Errorf("IFLA_CAN_CTRLMODE_EXT: %w", err)
		}
		for _, na := range nas {
			if na.typ != iflaCANCtrlModeSupported {
				continue
			}
			if len(na.data) != 4 {
				return errAttrLen("IFLA_CAN_CTRLMODE_SUPPORTED", len(na.data), 4)
			}
			ci.CtrlModeSupported = CtrlMode(ne.Uint32(na.data))
		}
	}
	return nil
}

func decodeBitTiming(d []byte) *BitTiming {
	return &BitTiming{
		Bitrate:     ne.Uint32(d[0:]),
		SamplePoint: ne.Uint32(d[4:]),
		TQ:          ne.Uint32(d[8:]),
		PropSeg:     ne.Uint32(d[12:]),
		PhaseSeg1:   ne.Uint32(d[16:]),
		PhaseSeg2:   ne.Uint32(d[20:]),
		SJW:         ne.Uint32(d[24:]),
		BRP:         ne.Uint32(d[28:]),
	}
}

func appendBitTiming(b []byte, bt *BitTiming) []byte {
	for _, v := range []uint32{bt.Bitrate, bt.SamplePoint, bt.TQ, bt.PropSeg, bt.PhaseSeg1, bt.PhaseSeg2, bt.SJW, bt.BRP} {
		b = ne.AppendUint32(b, v)
	}
	return b
}

// DecodeDeviceStats decodes struct can_device_stats from IFLA_INFO_XSTATS.
func DecodeDeviceStats(b []byte) (*DeviceStats, error) {
	if len(b) < sizeofDeviceStats {
		return nil, fmt.Errorf("netlinkfam: decode IFLA_INFO_XSTATS: %w", errAttrLen("can_device_stats", len(b), sizeofDeviceStats))
	}
	return &DeviceStats{
		BusError:        ne.Uint32(b[0:]),
		ErrorWarning:    ne.Uint32(b[4:]),
		ErrorPassive:    ne.Uint32(b[8:]),
		BusOff:          ne.Uint32(b[12:]),
		ArbitrationLost: ne.Uint32(b[16:]),
		Restarts:        ne.Uint32(b[20:]),
	}, nil
}

// CANConfig is a change to a CAN controller's settings, the equivalent of
// `ip link set DEV type can ...`. Nil and zero fields are left unchanged.
// Bit timing can only be changed while the link is down (the kernel answers
// EBUSY otherwise).
type CANConfig struct {
	// BitTiming sets the arbitration-phase timing: Bitrate [+ SamplePoint]
	// [+ SJW], or TQ + PropSeg + PhaseSeg1 + PhaseSeg2 [+ SJW].
	BitTiming *BitTiming
	// DataBitTiming sets the CAN FD data-phase timing, same rules.
	DataBitTiming *BitTiming
	// CtrlModeMask selects the modes to change; CtrlMode gives their new
	// values (a bit in the mask and not in CtrlMode switches the mode off).
	CtrlModeMask CtrlMode
	CtrlMode     CtrlMode
	// RestartMs sets the automatic restart delay after bus-off; a pointer to
	// 0 disables automatic restart.
	RestartMs *uint32
	// Restart requests a manual restart of a bus-off controller (the link
	// must be up and the controller bus-off, else the kernel says EINVAL/EBUSY).
	Restart bool
	// TDC sets CAN FD transmitter delay compensation values.
	TDC *TDCConfig
	// Termination sets the bus termination in ohms (one of the values the
	// driver reports in TerminationConst); a pointer to 0 switches it off.
	Termination *uint16
}

// errEmptyConfig is returned when a CANConfig would send nothing.
var errEmptyConfig = errors.New("netlinkfam: CAN config changes nothing")

func validateBitTiming(field string, bt *BitTiming) error {
	switch {
	case bt.Bitrate == 0 && bt.TQ == 0:
		return fmt.Errorf("netlinkfam: %s: set Bitrate, or TQ with PropSeg, PhaseSeg1 and PhaseSeg2", field)
	case bt.Bitrate != 0 && bt.TQ != 0:
		return fmt.Errorf("netlinkfam: %s: Bitrate and TQ are exclusive (bitrate %d, tq %d)", field, bt.Bitrate, bt.TQ)
	case bt.SamplePoint >= 1000:
		return fmt.Errorf("netlinkfam: %s.SamplePoint %d: want tenths of a percent below 1000 (875 = 87.5 %%)", field, bt.SamplePoint)
	case bt.TQ != 0 && (bt.PhaseSeg1 == 0 || bt.PhaseSeg2 == 0):
		return fmt.Errorf("netlinkfam: %s: TQ needs PhaseSeg1 and PhaseSeg2 (prop-seg %d phase-seg1 %d phase-seg2 %d)", field, bt.PropSeg, bt.PhaseSeg1, bt.PhaseSeg2)
	}
	return nil
}

// EncodeCANConfig returns the IFLA_INFO_DATA payload for cfg: IFLA_CAN_*
// attributes in the order iproute2 sends them (bit timing, data bit timing,
// control mode, TDC, restart-ms, restart, termination).
func EncodeCANConfig(cfg *CANConfig) ([]byte, error) {
	if cfg == nil {
		return nil, errEmptyConfig
	}
	var b []byte
	if bt := cfg.BitTiming; bt != nil {
		if err := validateBitTiming("BitTiming", bt); err != nil {
			return nil, err
		}
		b = appendAttr(b, iflaCANBitTiming, appendBitTiming(nil, bt))
	}
	if bt := cfg.DataBitTiming; bt != nil {
		if err := validateBitTiming("DataBitTiming", bt); err != nil {
			return nil, err
		}
		b = appendAttr(b, iflaCANDataBitTiming, appendBitTiming(nil, bt))
	}
	if cfg.CtrlMode&^cfg.CtrlModeMask != 0 {
		return nil, fmt.Errorf("netlinkfam: CtrlMode %s sets modes outside CtrlModeMask %s", cfg.CtrlMode, cfg.CtrlModeMask)
	}
	if cfg.CtrlModeMask != 0 {
		cm := ne.AppendUint32(nil, uint32(cfg.CtrlModeMask))
		cm = ne.AppendUint32(cm, uint32(cfg.CtrlMode))
		b = appendAttr(b, iflaCANCtrlMode, cm)
	}
	if t := cfg.TDC; t != nil && (t.TDCV != nil || t.TDCO != nil || t.TDCF != nil) {
		var off int
		b, off = beginNest(b, iflaCANTDC)
		for _, v := range []struct {
			typ uint16
			v   *uint32
		}{{iflaCANTDCTDCV, t.TDCV}, {iflaCANTDCTDCO, t.TDCO}, {iflaCANTDCTDCF, t.TDCF}} {
			if v.v != nil {
				b = appendU32Attr(b, v.typ, *v.v)
			}
		}
		b = endNest(b, off)
	}
	if cfg.RestartMs != nil {
		b = appendU32Attr(b, iflaCANRestartMs, *cfg.RestartMs)
	}
	if cfg.Restart {
		b = appendU32Attr(b, iflaCANRestart, 1)
	}
	if cfg.Termination != nil {
		b = appendU16Attr(b, iflaCANTermination, *cfg.Termination)
	}
	if len(b) == 0 {
		return nil, errEmptyConfig
	}
	return b, nil
}

// MarshalText returns the state's name, so that JSON shows "BUS-OFF".
func (s CANState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalText returns the modes as String does, so that JSON shows
// "LOOPBACK,ONE-SHOT".
func (m CtrlMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }
