package gateway

import (
	"github.com/fieldgate/fieldgate/gateway/cannelloni"
)

// appendCannelloni appends the cannelloni encoding of a CAN or CAN FD frame.
func appendCannelloni(b []byte, f *Frame) []byte {
	b = append(b, byte(f.ID>>24), byte(f.ID>>16), byte(f.ID>>8), byte(f.ID))
	if f.Kind == KindCANFD {
		b = append(b, byte(f.Len)|cannelloni.FDFlag, f.Flags)
		return append(b, f.Data[:f.Len]...)
	}
	b = append(b, byte(f.Len))
	if f.ID&CANRTRFlag != 0 {
		return b
	}
	return append(b, f.Data[:f.Len]...)
}

// cannelloniLen returns the encoded size of f.
func cannelloniLen(f *Frame) int {
	switch {
	case f.Kind == KindCANFD:
		return 6 + int(f.Len)
	case f.ID&CANRTRFlag != 0:
		return 5
	}
	return 5 + int(f.Len)
}

// fromCannelloni fills f from a decoded wire frame.
func fromCannelloni(f *Frame, c *cannelloni.Frame) {
	f.ID, f.Len, f.Flags, f.Time, f.Addr = c.ID, uint16(c.Len), c.Flags, 0, 0
	f.Kind = KindCAN
	if c.FD {
		f.Kind = KindCANFD
	}
	copy(f.Data[:c.Len], c.Data[:c.Len])
}

// pduKind reports whether k travels as a fieldgate PDU (OpPDU datagrams,
// stream PDU records) rather than a cannelloni CAN frame.
func pduKind(k Kind) bool { return k == KindISOTP || k == KindJ1939 || k == KindEthernet }
