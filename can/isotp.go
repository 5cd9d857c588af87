package can

import (
	"encoding/binary"
	"fmt"
	"time"
)

// ISOTPFlags are the CAN_ISOTP_OPTS flags (linux/can/isotp.h).
type ISOTPFlags uint32

// ISO-TP option flags.
const (
	ISOTPListenMode   ISOTPFlags = 0x0001 // listen only, send no flow control
	ISOTPExtendAddr   ISOTPFlags = 0x0002 // extended addressing (ExtAddr)
	ISOTPTxPadding    ISOTPFlags = 0x0004 // pad sent frames with TxPad
	ISOTPRxPadding    ISOTPFlags = 0x0008 // expect padded received frames
	ISOTPChkPadLen    ISOTPFlags = 0x0010 // check received padding length
	ISOTPChkPadData   ISOTPFlags = 0x0020 // check received padding content
	ISOTPHalfDuplex   ISOTPFlags = 0x0040 // half duplex error state handling
	ISOTPForceTxSTmin ISOTPFlags = 0x0080 // ignore the peer's STmin, use TxSTmin
	ISOTPForceRxSTmin ISOTPFlags = 0x0100 // drop consecutive frames faster than RxSTmin
	ISOTPRxExtAddr    ISOTPFlags = 0x0200 // separate receive extended address (RxExtAddr)
	ISOTPWaitTxDone   ISOTPFlags = 0x0400 // write blocks until the PDU is sent
	ISOTPSFBroadcast  ISOTPFlags = 0x0800 // 1-to-N single frames, no flow control
	ISOTPCFBroadcast  ISOTPFlags = 0x1000 // 1-to-N segmented transfer (kernel >= 5.19)
	ISOTPDynFCParms   ISOTPFlags = 0x2000 // dynamic flow control parameters (kernel >= 6.6)
)

// ISOTPConfig configures an ISO-TP socket. A nil *ISOTPConfig keeps every
// kernel default (normal addressing, no padding, BS 0, STmin 0).
type ISOTPConfig struct {
	// Flags are CAN_ISOTP_OPTS flags; the fields below add the flags they
	// need (setting ExtAddr adds ISOTPExtendAddr and so on).
	Flags ISOTPFlags
	// ListenMode only listens: no flow control frames are sent.
	ListenMode bool
	// ExtAddr enables extended addressing with this address byte.
	ExtAddr *uint8
	// RxExtAddr is a different extended address for received frames.
	RxExtAddr *uint8
	// TxPad pads sent frames to 8 bytes (FD: the next DLC) with this byte.
	TxPad *uint8
	// RxPad requires received frames padded with this byte (checked with
	// ISOTPChkPadLen/ISOTPChkPadData in Flags).
	RxPad *uint8
	// FrameTxTime is the gap between sent frames when the peer asks for
	// STmin 0 (frame_txtime); 0 keeps the kernel's default,
	// ISOTPFrameTxTimeZero asks for no gap (Linux 5.18+).
	FrameTxTime time.Duration

	// FlowControl sets the flow control this socket sends (CAN_ISOTP_RECV_FC).
	FlowControl *ISOTPFlowControl
	// TxSTmin forces the gap between sent consecutive frames
	// (CAN_ISOTP_TX_STMIN, with ISOTPForceTxSTmin).
	TxSTmin time.Duration
	// RxSTmin drops consecutive frames arriving faster than this
	// (CAN_ISOTP_RX_STMIN, with ISOTPForceRxSTmin).
	RxSTmin time.Duration
	// LinkLayer selects CAN FD (CAN_ISOTP_LL_OPTS).
	LinkLayer *ISOTPLinkLayer
}

// ISOTPFrameTxTimeZero is the FrameTxTime that sets no gap between sent
// frames (CAN_ISOTP_FRAME_TXTIME_ZERO, 0xFFFFFFFF), since a FrameTxTime of
// 0 keeps the kernel's default.
const ISOTPFrameTxTimeZero = time.Duration(0xFFFFFFFF)

// ISOTPFlowControl is struct can_isotp_fc_options: what this socket asks
// its peer for when receiving.
type ISOTPFlowControl struct {
	BlockSize uint8 // frames per block, 0 = unlimited
	STmin     uint8 // separation time code: 0x00-0x7F ms, 0xF1-0xF9 100-900 us
	WFTmax    uint8 // max wait frames, 0 = none
}

// ISOTPLinkLayer is struct can_isotp_ll_options.
type ISOTPLinkLayer struct {
	MTU     uint8   // MTU (16) for classic CAN, FDMTU (72) for CAN FD
	TxDL    uint8   // max payload per sent frame: 8, 12, 16, 20, 24, 32, 48, 64
	TxFlags FDFlags // flags for sent FD frames (BRS)
}

// optsBytes returns struct can_isotp_options (12 bytes).
func (c *ISOTPConfig) optsBytes() ([]byte, error) {
	fl := c.Flags
	b := make([]byte, 12)
	if c.ListenMode {
		fl |= ISOTPListenMode
	}
	if c.ExtAddr != nil {
		fl |= ISOTPExtendAddr
		b[8] = *c.ExtAddr
	}
	if c.TxPad != nil {
		fl |= ISOTPTxPadding
		b[9] = *c.TxPad
	}
	if c.RxPad != nil {
		fl |= ISOTPRxPadding
		b[10] = *c.RxPad
	}
	if c.RxExtAddr != nil {
		if c.ExtAddr == nil {
			return nil, fmt.Errorf("can: ISOTPConfig.RxExtAddr needs ExtAddr")
		}
		fl |= ISOTPRxExtAddr
		b[11] = *c.RxExtAddr
	}
	if c.TxSTmin != 0 {
		fl |= ISOTPForceTxSTmin
	}
	if c.RxSTmin != 0 {
		fl |= ISOTPForceRxSTmin
	}
	if c.FrameTxTime < 0 || c.FrameTxTime > ISOTPFrameTxTimeZero {
		return nil, fmt.Errorf("can: ISOTPConfig.FrameTxTime %v out of range", c.FrameTxTime)
	}
	binary.NativeEndian.PutUint32(b[0:4], uint32(fl))
	binary.NativeEndian.PutUint32(b[4:8], uint32(c.FrameTxTime.Nanoseconds()))
	return b, nil
}

// validate checks the config against the kernel's rules before any socket call.
func (c *ISOTPConfig) validate() error {
	if c.LinkLayer != nil {
		ll := c.LinkLayer
		if ll.MTU != MTU && ll.MTU != FDMTU {
			return fmt.Errorf("can: ISOTPLinkLayer.MTU %d: want 16 (classic) or 72 (CAN FD)", ll.MTU)
		}
		if !ValidFDLen(int(ll.TxDL)) || ll.TxDL < 8 || (ll.MTU == MTU && ll.TxDL != 8) {
			return fmt.Errorf("can: ISOTPLinkLayer.TxDL %d: want 8, 12, 16, 20, 24, 32, 48 or 64 (8 for MTU 16)", ll.TxDL)
		}
	}
	for _, d := range []struct {
		v    time.Duration
		name string
	}{{c.TxSTmin, "TxSTmin"}, {c.RxSTmin, "RxSTmin"}} {
		if d.v < 0 || d.v > time.Duration(^uint32(0)) {
			return fmt.Errorf("can: ISOTPConfig.%s %v out of range (0..4.29s)", d.name, d.v)
		}
	}
	return nil
}

// MaxISOTPPDU is the largest PDU of classic ISO 15765-2 (12-bit length).
const MaxISOTPPDU = 4095
