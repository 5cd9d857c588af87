package frame

import (
	"github.com/fieldgate/fieldgate/can"
)

// ToCAN converts a gateway frame to the can package's frame.
func ToCAN(dst *can.FDFrame, f *Frame) {
	dst.SetCANID(f.ID)
	dst.Len = uint8(f.Len)
	dst.Len8DLC = 0
	dst.Flags = 0
	if f.Type == CANFD {
		dst.Flags = can.FDFlags(f.Flags&(CANFDBRS|CANFDESI)) | can.FDF
	}
	copy(dst.Data[:f.Len], f.Data[:f.Len])
}

// FromCAN fills f from a can package frame.
func FromCAN(f *Frame, src *can.FDFrame, fd bool) {
	f.ID = src.CANID()
	f.Len = uint16(src.Len)
	f.Type = CAN
	f.Flags = 0
	f.Addr = 0
	if fd || src.Flags&can.FDF != 0 {
		f.Type = CANFD
		f.Flags = uint8(src.Flags & (can.BRS | can.ESI))
	}
	copy(f.Data[:src.Len], src.Data[:src.Len])
}
