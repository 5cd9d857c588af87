package socketcand

import (
	"fmt"
	"strconv"
)

// MaxPDU is the largest ISO-TP PDU socketcand carries (ISOTPLEN, the
// 12-bit length of classic ISO 15765-2).
const MaxPDU = 4095

// ISO-TP option flags of isotpconf (linux/can/isotp.h, CAN_ISOTP_*).
const (
	ISOTPListenMode   = 0x001
	ISOTPExtendAddr   = 0x002
	ISOTPTxPadding    = 0x004
	ISOTPRxPadding    = 0x008
	ISOTPChkPadLen    = 0x010
	ISOTPChkPadData   = 0x020
	ISOTPHalfDuplex   = 0x040
	ISOTPForceTxSTmin = 0x080
	ISOTPForceRxSTmin = 0x100
	ISOTPRxExtAddr    = 0x200
	// ISOTPKnownFlags are the flags socketcand documents; others are
	// refused (they change the socket in ways a remote client must not,
	// e.g. CAN_ISOTP_WAIT_TX_DONE blocking the server).
	ISOTPKnownFlags = 0x3FF
)

// ISOTPConf is a parsed "isotpconf tx_id rx_id flags blocksize stmin
// [wftmax txpad_content rxpad_content ext_address rx_ext_address]".
type ISOTPConf struct {
	TxID, RxID uint32 // Linux can_id values, EFF flag (bit 31) for 8-digit IDs
	Flags      uint32 // CAN_ISOTP_* flags
	BlockSize  uint8  // decimal in the protocol, 0..15
	STmin      uint8  // hex
	WFTmax     uint8  // decimal
	TxPad      uint8  // hex, used with ISOTPTxPadding
	RxPad      uint8  // hex, used with ISOTPRxPadding
	ExtAddr    uint8  // hex, used with ISOTPExtendAddr
	RxExtAddr  uint8  // hex, used with ISOTPRxExtAddr
	// Items is how many fields were given (5..10), as socketcand counts them.
	Items int
}

// ParseISOTPID parses an isotpconf CAN ID the way socketcand does: 8 hex
// digits are an extended (29-bit) identifier, fewer a standard one, which
// must then fit 11 bits.
func ParseISOTPID(b []byte) (uint32, error) {
	if len(b) == 0 || len(b) > 8 {
		return 0, fmt.Errorf("%w: can id %q (3 or 8 hex digits)", ErrSyntax, b)
	}
	v, err := strconv.ParseUint(string(b), 16, 32)
	if err != nil {
		return 0, fmt.Errorf("%w: can id %q (3 or 8 hex digits)", ErrSyntax, b)
	}
	if len(b) == 8 {
		if v > 0x1FFFFFFF {
			return 0, fmt.Errorf("%w: extended can id %q above 1FFFFFFF", ErrSyntax, b)
		}
		return uint32(v) | 0x80000000, nil
	}
	if v > 0x7FF {
		return 0, fmt.Errorf("%w: standard can id %q above 7FF (write 8 digits for an extended id)", ErrSyntax, b)
	}
	return uint32(v), nil
}

func parseField(b []byte, name string, base int, max uint64) (uint64, error) {
	if len(b) == 0 || len(b) > 8 {
		return 0, fmt.Errorf("%w: %s %q", ErrSyntax, name, b)
	}
	v, err := strconv.ParseUint(string(b), base, 32)
	if err != nil || v > max {
		kind := "decimal"
		if base == 16 {
			kind = "hex"
		}
		return 0, fmt.Errorf("%w: %s %q (%s, 0..%d)", ErrSyntax, name, b, kind, max)
	}
	return v, nil
}

// ParseISOTPConf parses the arguments of isotpconf. It applies socketcand's
// rules (the optional fields a flag needs must be given) and refuses what
// socketcand would pass to the kernel unchecked: IDs out of range, equal tx
// and rx IDs, block sizes above 15, unknown flags, surplus fields.
func ParseISOTPConf(args [][]byte) (ISOTPConf, error) {
	var c ISOTPConf
	if len(args) < 5 || len(args) > 10 {
		return c, fmt.Errorf("%w: isotpconf needs 5 to 10 fields (tx_id rx_id flags blocksize stmin [wftmax txpad rxpad ext_addr rx_ext_addr]), got %d", ErrSyntax, len(args))
	}
	c.Items = len(args)
	var err error
	if c.TxID, err = ParseISOTPID(args[0]); err != nil {
		return c, fmt.Errorf("tx_id: %w", err)
	}
	if c.RxID, err = ParseISOTPID(args[1]); err != nil {
		return c, fmt.Errorf("rx_id: %w", err)
	}
	if c.TxID == c.RxID {
		return c, fmt.Errorf("%w: tx_id equals rx_id", ErrSyntax)
	}
	fl, err := parseField(args[2], "flags", 16, 0xFFFFFFFF)
	if err != nil {
		return c, err
	}
	if fl&^ISOTPKnownFlags != 0 {
		return c, fmt.Errorf("%w: flags %q: unsupported bits %#x (known: 0x001..0x200)", ErrSyntax, args[2], fl&^ISOTPKnownFlags)
	}
	c.Flags = uint32(fl)
	fields := []struct {
		dst  *uint8
		name string
		base int
		max  uint64
	}{
		{&c.BlockSize, "blocksize", 10, 15},
		{&c.STmin, "stmin", 16, 0xFF},
		{&c.WFTmax, "wftmax", 10, 0xFF},
		{&c.TxPad, "txpad_content", 16, 0xFF},
		{&c.RxPad, "rxpad_content", 16, 0xFF},
		{&c.ExtAddr, "ext_address", 16, 0xFF},
		{&c.RxExtAddr, "rx_ext_address", 16, 0xFF},
	}
	for i, a := range args[3:] {
		f := fields[i]
		v, err := parseField(a, f.name, f.base, f.max)
		if err != nil {
			return c, err
		}
		*f.dst = uint8(v)
	}
	for _, need := range []struct {
		flag  uint32
		items int
		field string
	}{
		{ISOTPRxExtAddr, 10, "rx_ext_address"},
		{ISOTPExtendAddr, 9, "ext_address"},
		{ISOTPRxPadding, 8, "rxpad_content"},
		{ISOTPTxPadding, 7, "txpad_content"},
	} {
		if c.Flags&need.flag != 0 && c.Items < need.items {
			return c, fmt.Errorf("%w: flag %#x needs the %s field", ErrSyntax, need.flag, need.field)
		}
	}
	if c.Flags&ISOTPRxExtAddr != 0 && c.Flags&ISOTPExtendAddr == 0 {
		return c, fmt.Errorf("%w: flag 0x200 (rx_ext_address) needs flag 0x002 (extended addressing)", ErrSyntax)
	}
	return c, nil
}

// ParseSendPDU decodes the argument of "sendpdu HEX" (contiguous hex
// digits, two per byte, either case) into dst and returns the PDU length.
func ParseSendPDU(args [][]byte, dst []byte) (int, error) {
	if len(args) != 1 {
		return 0, fmt.Errorf("%w: sendpdu takes one field of contiguous hex digits, got %d fields", ErrSyntax, len(args))
	}
	h := args[0]
	if len(h)%2 != 0 {
		return 0, fmt.Errorf("%w: sendpdu: odd number of hex digits (%d)", ErrSyntax, len(h))
	}
	n := len(h) / 2
	if n > MaxPDU || n > len(dst) {
		return 0, fmt.Errorf("%w: sendpdu: %d-byte PDU, at most %d", ErrSyntax, n, min(MaxPDU, len(dst)))
	}
	for i := range n {
		hi, ok1 := unhex(h[2*i])
		lo, ok2 := unhex(h[2*i+1])
		if !ok1 || !ok2 {
			return 0, fmt.Errorf("%w: sendpdu: %q at digit %d is not hex", ErrSyntax, h[2*i:2*i+2], 2*i)
		}
		dst[i] = hi<<4 | lo
	}
	return n, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// AppendPDU appends a received PDU "< pdu SEC.USEC HEX >" (upper-case hex
// digits without separators, as socketcand sends it).
func AppendPDU(b []byte, sec, usec int64, data []byte) []byte {
	b = append(b, "< pdu "...)
	b = appendTime(b, sec, usec)
	b = append(b, ' ')
	for _, c := range data {
		b = append(b, hexUpper[c>>4], hexUpper[c&0xF])
	}
	return append(b, " >"...)
}
