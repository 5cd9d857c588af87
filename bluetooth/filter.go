package bluetooth

import (
	"encoding/binary"
	"fmt"
)

// SizeofFilter is the size of struct hci_ufilter, the HCI_FILTER socket
// option's value: u32 type mask, u32 event mask[2], le16 opcode, padded to
// 16 bytes.
const SizeofFilter = 16

// Filter is a raw HCI socket's receive filter (HCI_FILTER). A fresh raw
// socket's filter passes nothing; OpenHCI installs one that passes every
// event unless the Config says otherwise.
type Filter struct {
	// TypeMask has bit t set to pass packets of type t (VendorPacket is
	// bit 0, as in the kernel and BlueZ's hci_filter_set_ptype).
	TypeMask uint32
	// EventMask has bit e set to pass event code e (0 to 63).
	EventMask [2]uint32
	// Opcode, when non-zero, passes only the Command Complete and Command
	// Status events of that command (other events pass per EventMask).
	Opcode Opcode
}

// typeBit is the kernel's bit for a packet type (HCI_FLT_TYPE_BITS = 31,
// vendor packets on bit 0).
func typeBit(t PacketType) uint {
	if t == VendorPacket {
		return 0
	}
	return uint(t) & 31
}

// SetType passes packets of type t.
func (f *Filter) SetType(t PacketType) { f.TypeMask |= 1 << typeBit(t) }

// HasType reports whether packets of type t pass.
func (f *Filter) HasType(t PacketType) bool { return f.TypeMask&(1<<typeBit(t)) != 0 }

// SetEvent passes event code e (only the low 6 bits count, HCI_FLT_EVENT_BITS).
func (f *Filter) SetEvent(e uint8) { f.EventMask[(e&63)>>5] |= 1 << (e & 31) }

// HasEvent reports whether event code e passes.
func (f *Filter) HasEvent(e uint8) bool { return f.EventMask[(e&63)>>5]&(1<<(e&31)) != 0 }

// AllEvents returns a filter passing every event packet and nothing else.
func AllEvents() Filter {
	var f Filter
	f.SetType(EventPacket)
	f.EventMask = [2]uint32{^uint32(0), ^uint32(0)}
	return f
}

// AppendBinary appends struct hci_ufilter: the masks in host byte order
// (they are __u32 in the kernel's uapi), the opcode little endian.
func (f Filter) AppendBinary(b []byte) ([]byte, error) {
	ne := binary.NativeEndian
	b = ne.AppendUint32(b, f.TypeMask)
	b = ne.AppendUint32(b, f.EventMask[0])
	b = ne.AppendUint32(b, f.EventMask[1])
	b = binary.LittleEndian.AppendUint16(b, uint16(f.Opcode))
	return append(b, 0, 0), nil
}

// MarshalBinary returns struct hci_ufilter (SizeofFilter bytes).
func (f Filter) MarshalBinary() ([]byte, error) { return f.AppendBinary(make([]byte, 0, SizeofFilter)) }

// UnmarshalBinary decodes struct hci_ufilter; 14 bytes (without the
// padding) are enough, as for the kernel.
func (f *Filter) UnmarshalBinary(b []byte) error {
	if len(b) < 14 {
		return fmt.Errorf("%w: hci_ufilter of %d bytes, want 14 or 16", ErrShort, len(b))
	}
	ne := binary.NativeEndian
	*f = Filter{
		TypeMask:  ne.Uint32(b),
		EventMask: [2]uint32{ne.Uint32(b[4:]), ne.Uint32(b[8:])},
		Opcode:    Opcode(binary.LittleEndian.Uint16(b[12:])),
	}
	return nil
}
