package bluetooth

import (
	"encoding/binary"
	"fmt"
)

// L2CAP socket option names (SOL_L2CAP) and BT_SECURITY's value size.
const (
	L2CAPOptionsOpt = 1 // L2CAP_OPTIONS: struct l2cap_options
	L2CAPConnInfo   = 2 // L2CAP_CONNINFO: struct l2cap_conninfo

	// SizeofL2CAPOptions is sizeof(struct l2cap_options).
	SizeofL2CAPOptions = 12
	// SizeofSecurity is sizeof(struct bt_security).
	SizeofSecurity = 2
)

// L2CAP channel modes (L2CAPOptions.Mode).
const (
	L2CAPModeBasic     = 0x00
	L2CAPModeERTM      = 0x03
	L2CAPModeStreaming = 0x04
)

// L2CAPOptions is struct l2cap_options (the L2CAP_OPTIONS socket option,
// BR/EDR channels): host byte order fields.
type L2CAPOptions struct {
	OMTU, IMTU uint16 // outgoing and incoming MTU
	FlushTO    uint16 // flush timeout
	Mode       uint8  // L2CAPMode*
	FCS        uint8
	MaxTx      uint8
	TxWinSize  uint16
}

// MarshalBinary encodes struct l2cap_options.
func (o L2CAPOptions) MarshalBinary() ([]byte, error) {
	b := make([]byte, SizeofL2CAPOptions)
	ne := binary.NativeEndian
	ne.PutUint16(b, o.OMTU)
	ne.PutUint16(b[2:], o.IMTU)
	ne.PutUint16(b[4:], o.FlushTO)
	b[6], b[7], b[8] = o.Mode, o.FCS, o.MaxTx
	ne.PutUint16(b[10:], o.TxWinSize)
	return b, nil
}

// UnmarshalBinary decodes struct l2cap_options.
func (o *L2CAPOptions) UnmarshalBinary(b []byte) error {
	if len(b) < SizeofL2CAPOptions {
		return fmt.Errorf("%w: l2cap_options of %d bytes, want %d", ErrShort, len(b), SizeofL2CAPOptions)
	}
	ne := binary.NativeEndian
	*o = L2CAPOptions{OMTU: ne.Uint16(b), IMTU: ne.Uint16(b[2:]), FlushTO: ne.Uint16(b[4:]), Mode: b[6], FCS: b[7], MaxTx: b[8], TxWinSize: ne.Uint16(b[10:])}
	return nil
}

// SecurityLevel is a BT_SECURITY level.
type SecurityLevel uint8

// Security levels (BT_SECURITY_*). The kernel refuses SecuritySDP as a
// setting; it is what SDP channels run at.
const (
	SecuritySDP    SecurityLevel = 0
	SecurityLow    SecurityLevel = 1 // no authentication with legacy pairing (the default)
	SecurityMedium SecurityLevel = 2 // authentication
	SecurityHigh   SecurityLevel = 3 // authentication with MITM protection, encryption
	SecurityFIPS   SecurityLevel = 4 // as high, with FIPS-approved algorithms (Secure Connections)
)

// Security is struct bt_security (SOL_BLUETOOTH, BT_SECURITY).
type Security struct {
	Level SecurityLevel
	// KeySize is the encryption key size (read only; 0 when not encrypted).
	KeySize uint8
}
