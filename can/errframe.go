package can

import (
	"fmt"
	"strings"
)

// ErrClass is the set of error classes in an error frame's can_id
// (linux/can/error.h). It is also the type of the raw socket's error mask.
type ErrClass uint32

// Error classes (CAN_ERR_*).
const (
	ErrTxTimeout  ErrClass = 0x001 // TX timeout (by netdevice driver)
	ErrLostArb    ErrClass = 0x002 // lost arbitration, bit in Data[0]
	ErrCtrl       ErrClass = 0x004 // controller problems, Data[1]
	ErrProt       ErrClass = 0x008 // protocol violations, Data[2..3]
	ErrTrx        ErrClass = 0x010 // transceiver status, Data[4]
	ErrAck        ErrClass = 0x020 // received no ACK on transmission
	ErrBusOff     ErrClass = 0x040 // bus off
	ErrBusError   ErrClass = 0x080 // bus error (may flood!)
	ErrRestarted  ErrClass = 0x100 // controller restarted
	ErrCnt        ErrClass = 0x200 // TX/RX error counters in Data[6..7]
	ErrMaskAll    ErrClass = ErrClass(ErrMask)
	errClassKnown          = 0x3FF
)

var errClassNames = []string{
	"tx-timeout", "lost-arbitration", "controller-problem", "protocol-violation",
	"transceiver-status", "no-acknowledgement-on-tx", "bus-off", "bus-error",
	"restarted-after-bus-off", "error-counters",
}

// String lists the classes, comma-separated, in can-utils' wording.
func (c ErrClass) String() string {
	return bitNames(uint32(c), errClassNames)
}

// CtrlStatus is the controller problem byte (Data[1], CAN_ERR_CRTL_*).
type CtrlStatus uint8

// Controller problems.
const (
	CtrlRxOverflow CtrlStatus = 0x01
	CtrlTxOverflow CtrlStatus = 0x02
	CtrlRxWarning  CtrlStatus = 0x04
	CtrlTxWarning  CtrlStatus = 0x08
	CtrlRxPassive  CtrlStatus = 0x10
	CtrlTxPassive  CtrlStatus = 0x20
	CtrlActive     CtrlStatus = 0x40 // recovered to error active state
)

var ctrlNames = []string{
	"rx-overflow", "tx-overflow", "rx-error-warning", "tx-error-warning",
	"rx-error-passive", "tx-error-passive", "back-to-error-active",
}

// String lists the problems, comma-separated.
func (c CtrlStatus) String() string { return bitNames(uint32(c), ctrlNames) }

// ProtType is the protocol violation type byte (Data[2], CAN_ERR_PROT_*).
type ProtType uint8

// Protocol violation types.
const (
	ProtBit      ProtType = 0x01
	ProtForm     ProtType = 0x02
	ProtStuff    ProtType = 0x04
	ProtBit0     ProtType = 0x08
	ProtBit1     ProtType = 0x10
	ProtOverload ProtType = 0x20
	ProtActive   ProtType = 0x40
	ProtTx       ProtType = 0x80
)

var protTypeNames = []string{
	"single-bit-error", "frame-format-error", "bit-stuffing-error", "tx-dominant-bit-error",
	"tx-recessive-bit-error", "bus-overload", "active-error-announcement", "error-on-tx",
}

// String lists the violation types, comma-separated.
func (p ProtType) String() string { return bitNames(uint32(p), protTypeNames) }

// ProtLocation is the protocol violation location byte (Data[3], CAN_ERR_PROT_LOC_*).
type ProtLocation uint8

var protLocNames = [32]string{
	"unspecified", "unspecified", "id.28-to-id.21", "start-of-frame",
	"bit-srtr", "bit-ide", "id.20-to-id.18", "id.17-to-id.13",
	"crc-sequence", "reserved-bit-0", "data-field", "data-length-code",
	"bit-rtr", "reserved-bit-1", "id.4-to-id.0", "id.12-to-id.5",
	"unspecified", "active-error-flag", "intermission", "tolerate-dominant-bits",
	"unspecified", "unspecified", "passive-error-flag", "error-delimiter",
	"crc-delimiter", "acknowledge-slot", "end-of-frame", "acknowledge-delimiter",
	"overload-flag", "unspecified", "unspecified", "unspecified",
}

// String names the location in the frame.
func (l ProtLocation) String() string {
	if int(l) < len(protLocNames) {
		return protLocNames[l]
	}
	return fmt.Sprintf("location-%#x", uint8(l))
}

// TrxStatus is the transceiver status byte (Data[4], CAN_ERR_TRX_*): the low
// nibble describes CANH, the high nibble CANL.
type TrxStatus uint8

// String describes the CANH and CANL wire states.
func (t TrxStatus) String() string {
	if t == 0 {
		return "unspecified"
	}
	h := map[uint8]string{0x4: "no-wire", 0x5: "short-to-bat", 0x6: "short-to-vcc", 0x7: "short-to-gnd"}
	l := map[uint8]string{0x4: "no-wire", 0x5: "short-to-bat", 0x6: "short-to-vcc", 0x7: "short-to-gnd", 0x8: "short-to-canh"}
	var parts []string
	if s, ok := h[uint8(t)&0xF]; ok {
		parts = append(parts, "canh-"+s)
	} else if t&0xF != 0 {
		parts = append(parts, fmt.Sprintf("canh-%#x", uint8(t)&0xF))
	}
	if s, ok := l[uint8(t)>>4]; ok {
		parts = append(parts, "canl-"+s)
	} else if t>>4 != 0 {
		parts = append(parts, fmt.Sprintf("canl-%#x", uint8(t)>>4))
	}
	return strings.Join(parts, ",")
}

// State is a CAN controller's fault confinement state.
type State int

// Controller states, in order of severity.
const (
	StateUnknown State = iota // the frame says nothing about the state
	StateActive               // error active
	StateWarning              // an error counter reached 96
	StatePassive              // an error counter reached 128
	StateBusOff               // the transmit counter passed 255
)

// String returns "error-active", "error-warning", "error-passive", "bus-off" or "unknown".
func (s State) String() string {
	switch s {
	case StateActive:
		return "error-active"
	case StateWarning:
		return "error-warning"
	case StatePassive:
		return "error-passive"
	case StateBusOff:
		return "bus-off"
	}
	return "unknown"
}

// ErrorFrame is a decoded CAN error frame: what the controller reported.
// It implements error, so a received error frame can be returned as one.
type ErrorFrame struct {
	Class       ErrClass
	LostArbBit  uint8        // with ErrLostArb: the bit where arbitration was lost (0 = unspecified)
	Ctrl        CtrlStatus   // with ErrCtrl
	Prot        ProtType     // with ErrProt
	Location    ProtLocation // with ErrProt
	Trx         TrxStatus    // with ErrTrx
	Controller  uint8        // Data[5]: controller-specific information
	TxErrors    uint8        // Data[6]: TX error counter (valid with ErrCnt or when non-zero)
	RxErrors    uint8        // Data[7]: RX error counter
	HasCounters bool         // ErrCnt is set or a counter is non-zero
}

// ParseError decodes f as an error frame. It fails when f is not one.
func ParseError(f *FDFrame) (*ErrorFrame, error) {
	if !f.Error {
		return nil, fmt.Errorf("can: frame %s is not an error frame", f)
	}
	d := f.Data[:MaxLen]
	e := &ErrorFrame{
		Class:      ErrClass(f.ID & ErrMask),
		LostArbBit: d[0],
		Ctrl:       CtrlStatus(d[1]),
		Prot:       ProtType(d[2]),
		Location:   ProtLocation(d[3]),
		Trx:        TrxStatus(d[4]),
		Controller: d[5],
		TxErrors:   d[6],
		RxErrors:   d[7],
	}
	e.HasCounters = e.Class&ErrCnt != 0 || d[6] != 0 || d[7] != 0
	return e, nil
}

// State derives the controller state the error frame reports.
func (e *ErrorFrame) State() State {
	switch {
	case e.Class&ErrBusOff != 0:
		return StateBusOff
	case e.Class&ErrCtrl != 0 && e.Ctrl&(CtrlRxPassive|CtrlTxPassive) != 0:
		return StatePassive
	case e.Class&ErrCtrl != 0 && e.Ctrl&(CtrlRxWarning|CtrlTxWarning) != 0:
		return StateWarning
	case e.Class&ErrCtrl != 0 && e.Ctrl&CtrlActive != 0, e.Class&ErrRestarted != 0:
		return StateActive
	case e.HasCounters:
		switch m := max(e.TxErrors, e.RxErrors); {
		case m >= 128:
			return StatePassive
		case m >= 96:
			return StateWarning
		default:
			return StateActive
		}
	}
	return StateUnknown
}

// Error describes the error frame in can-utils' vocabulary, for example
// "can error: controller-problem{rx-error-warning},error-counters{tx 0 rx 97} (state error-warning)".
func (e *ErrorFrame) Error() string {
	var b strings.Builder
	b.WriteString("can error: ")
	first := true
	for i, name := range errClassNames {
		bit := ErrClass(1) << i
		if e.Class&bit == 0 || bit == ErrCnt {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(name)
		switch bit {
		case ErrLostArb:
			fmt.Fprintf(&b, "{at bit %d}", e.LostArbBit)
		case ErrCtrl:
			fmt.Fprintf(&b, "{%s}", e.Ctrl)
		case ErrProt:
			fmt.Fprintf(&b, "{{%s}{%s}}", e.Prot, e.Location)
		case ErrTrx:
			fmt.Fprintf(&b, "{%s}", e.Trx)
		}
	}
	if unknown := e.Class &^ errClassKnown; unknown != 0 {
		if !first {
			b.WriteByte(',')
		}
		first = false
		fmt.Fprintf(&b, "class-%#x", uint32(unknown))
	}
	if e.HasCounters {
		if !first {
			b.WriteByte(',')
		}
		first = false
		fmt.Fprintf(&b, "error-counters{tx %d rx %d}", e.TxErrors, e.RxErrors)
	}
	if first {
		b.WriteString("no error class")
	}
	if s := e.State(); s != StateUnknown {
		fmt.Fprintf(&b, " (state %s)", s)
	}
	return b.String()
}

func bitNames(v uint32, names []string) string {
	if v == 0 {
		return "none"
	}
	var parts []string
	for i, n := range names {
		if v&(1<<i) != 0 {
			parts = append(parts, n)
			v &^= 1 << i
		}
	}
	if v != 0 {
		parts = append(parts, fmt.Sprintf("%#x", v))
	}
	return strings.Join(parts, ",")
}
