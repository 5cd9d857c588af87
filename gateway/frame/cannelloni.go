package frame

import (
	"github.com/fieldgate/fieldgate/gateway/cannelloni"
)

// AppendCannelloni appends the cannelloni encoding of a CAN or CAN FD frame.
func AppendCannelloni(b []byte, f *Frame) []byte {
	b = append(b, byte(f.ID>>24), byte(f.ID>>16), byte(f.ID>>8), byte(f.ID))
	if f.Type == CANFD {
		b = append(b, byte(f.Len)|cannelloni.FDFlag, f.Flags)
		return append(b, f.Data[:f.Len]...)
	}
	b = append(b, byte(f.Len))
	if f.ID&CANRTRFlag != 0 {
		return b
	}
	return append(b, f.Data[:f.Len]...)
}

// CannelloniLen returns the encoded size of f.
func CannelloniLen(f *Frame) int {
	switch {
	case f.Type == CANFD:
		return 6 + int(f.Len)
	case f.ID&CANRTRFlag != 0:
		return 5
	}
	return 5 + int(f.Len)
}

// FromCannelloni fills f from a decoded wire frame.
func FromCannelloni(f *Frame, c *cannelloni.Frame) {
	f.ID, f.Len, f.Flags, f.Time, f.Addr = c.ID, uint16(c.Len), c.Flags, 0, 0
	f.Type = CAN
	if c.FD {
		f.Type = CANFD
	}
	copy(f.Data[:c.Len], c.Data[:c.Len])
}
