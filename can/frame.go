package can

import (
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"

	einride "go.einride.tech/can"
)

// Sizes of the kernel's frame structures (linux/can.h).
const (
	// MTU is sizeof(struct can_frame): a classic CAN frame on the wire
	// between a socket and the kernel.
	MTU = 16
	// FDMTU is sizeof(struct canfd_frame).
	FDMTU = 72
	// MaxLen is the payload limit of a classic CAN frame.
	MaxLen = 8
	// FDMaxLen is the payload limit of a CAN FD frame.
	FDMaxLen = 64
	// MaxRawDLC is the largest raw DLC a classic frame may carry in Len8DLC.
	MaxRawDLC = 15
)

// FDFlags are the flags of a CAN FD frame (struct canfd_frame.flags).
type FDFlags uint8

// CAN FD frame flags.
const (
	// BRS is the bit rate switch: the data phase runs at the data bitrate.
	BRS FDFlags = 0x01
	// ESI is the error state indicator of the transmitting node.
	ESI FDFlags = 0x02
	// FDF marks a CAN FD frame (set by the kernel on received FD frames).
	FDF FDFlags = 0x04
)

// String returns the flags as "BRS|ESI|FDF" (or "0").
func (fl FDFlags) String() string {
	if fl == 0 {
		return "0"
	}
	s := ""
	for _, n := range []struct {
		f FDFlags
		s string
	}{{BRS, "BRS"}, {ESI, "ESI"}, {FDF, "FDF"}} {
		if fl&n.f != 0 {
			if s != "" {
				s += "|"
			}
			s += n.s
			fl &^= n.f
		}
	}
	if fl != 0 {
		if s != "" {
			s += "|"
		}
		s += fmt.Sprintf("%#x", uint8(fl))
	}
	return s
}

// Frame is a classic CAN 2.0 frame, the kernel's 16-byte struct can_frame.
// Convert it to and from go.einride.tech/can's Frame with Einride and
// FromEinride to use that module's DBC tooling.
type Frame struct {
	// ID is the identifier without flag bits: 11 bits, or 29 bits when
	// Extended. For error frames it holds the error class bits.
	ID uint32
	// Extended marks a 29-bit identifier (CAN_EFF_FLAG).
	Extended bool
	// Remote marks a remote transmission request (CAN_RTR_FLAG).
	Remote bool
	// Error marks an error frame (CAN_ERR_FLAG); see ParseError.
	Error bool
	// Len is the payload length, 0..8 (for remote frames the requested length).
	Len uint8
	// Len8DLC is the raw DLC 9..15 of a frame with Len 8, or 0.
	Len8DLC uint8
	// Data is the payload; bytes beyond Len are zero on frames from the kernel.
	Data [MaxLen]byte
}

// FDFrame is a frame of either kind: a CAN FD frame (the kernel's 72-byte
// struct canfd_frame) or a classic frame, which it carries with its Remote
// bit and raw DLC. It is the unit of fieldgate's CAN I/O. A frame is sent as
// CAN FD when IsFD reports true.
type FDFrame struct {
	// ID is the identifier without flag bits (see Frame.ID).
	ID uint32
	// Extended marks a 29-bit identifier.
	Extended bool
	// Remote marks a remote request; classic frames only.
	Remote bool
	// Error marks an error frame.
	Error bool
	// Len is the payload length: 0..8 for classic frames, 0..64 for FD
	// frames (on the bus only the lengths of ValidFDLen exist).
	Len uint8
	// Flags are the CAN FD flags BRS, ESI and FDF.
	Flags FDFlags
	// Len8DLC is the raw DLC 9..15 of a classic frame with Len 8, or 0.
	Len8DLC uint8
	// Data is the payload.
	Data [FDMaxLen]byte
}

var (
	_ encoding.BinaryMarshaler   = Frame{}
	_ encoding.BinaryUnmarshaler = (*Frame)(nil)
	_ encoding.BinaryAppender    = Frame{}
	_ encoding.BinaryMarshaler   = FDFrame{}
	_ encoding.BinaryUnmarshaler = (*FDFrame)(nil)
	_ encoding.BinaryAppender    = FDFrame{}
)

// Errors returned by frame validation and decoding; match with errors.Is.
var (
	ErrFrameSize = errors.New("can: frame is neither 16 (can_frame) nor 72 (canfd_frame) bytes")
	ErrFrameLen  = errors.New("can: payload length out of range")
	ErrFrameID   = errors.New("can: identifier out of range")
)

// CANID returns the kernel's raw can_id: the identifier with the EFF, RTR and
// ERR flag bits.
func (f *Frame) CANID() uint32 { return rawID(f.ID, f.Extended, f.Remote, f.Error) }

// SetCANID sets ID, Extended, Remote and Error from a raw can_id.
func (f *Frame) SetCANID(id uint32) { f.ID, f.Extended, f.Remote, f.Error = splitID(id) }

// CANID returns the kernel's raw can_id (see Frame.CANID).
func (f *FDFrame) CANID() uint32 { return rawID(f.ID, f.Extended, f.Remote, f.Error) }

// SetCANID sets ID, Extended, Remote and Error from a raw can_id.
func (f *FDFrame) SetCANID(id uint32) { f.ID, f.Extended, f.Remote, f.Error = splitID(id) }

func rawID(id uint32, ext, rtr, errf bool) uint32 {
	switch {
	case errf:
		id = id&ErrMask | ErrFlag
		if ext {
			id |= EFFFlag
		}
	case ext:
		id = id&EFFMask | EFFFlag
	default:
		id &= SFFMask
	}
	if rtr {
		id |= RTRFlag
	}
	return id
}

func splitID(id uint32) (uint32, bool, bool, bool) {
	switch {
	case id&ErrFlag != 0:
		return id & ErrMask, id&EFFFlag != 0, id&RTRFlag != 0, true
	case id&EFFFlag != 0:
		return id & EFFMask, true, id&RTRFlag != 0, false
	default:
		return id & SFFMask, false, id&RTRFlag != 0, false
	}
}

// IsFD reports whether f is a CAN FD frame: the FDF, BRS or ESI flag is set
// or the payload exceeds 8 bytes. Other frames are classic.
func (f *FDFrame) IsFD() bool { return f.Flags&(FDF|BRS|ESI) != 0 || f.Len > MaxLen }

// Payload returns the Len valid bytes of Data (nil for remote frames).
func (f *FDFrame) Payload() []byte {
	if f.Remote {
		return nil
	}
	return f.Data[:min(int(f.Len), FDMaxLen)]
}

// Payload returns the Len valid bytes of Data (nil for remote frames).
func (f *Frame) Payload() []byte {
	if f.Remote {
		return nil
	}
	return f.Data[:min(int(f.Len), MaxLen)]
}

// DLC returns the data length code on the bus: Len8DLC when set, the length
// for other classic frames and LenToDLC(Len) for FD frames.
func (f *FDFrame) DLC() uint8 {
	if !f.IsFD() {
		if f.Len == MaxLen && f.Len8DLC > MaxLen && f.Len8DLC <= MaxRawDLC {
			return f.Len8DLC
		}
		return f.Len
	}
	return LenToDLC(int(f.Len))
}

// Validate reports whether f is a frame the kernel accepts: identifier
// range, payload length for its kind, Remote and Len8DLC only on classic
// frames.
func (f *FDFrame) Validate() error {
	switch {
	case f.Error && f.ID > ErrMask, f.Extended && f.ID > EFFMask, !f.Extended && !f.Error && f.ID > SFFMask:
		return fmt.Errorf("%w: %#x (extended %v)", ErrFrameID, f.ID, f.Extended)
	case f.IsFD() && f.Len > FDMaxLen:
		return fmt.Errorf("%w: %d > %d", ErrFrameLen, f.Len, FDMaxLen)
	case f.IsFD() && f.Remote:
		return errors.New("can: CAN FD frames have no remote request")
	case f.Len8DLC != 0 && (f.IsFD() || f.Len != MaxLen || f.Len8DLC <= MaxLen || f.Len8DLC > MaxRawDLC):
		return fmt.Errorf("%w: raw DLC %d needs a classic frame of length 8 and a value 9..15", ErrFrameLen, f.Len8DLC)
	}
	return nil
}

// Validate reports whether f is a classic frame the kernel accepts.
func (f *Frame) Validate() error {
	fd := f.FD()
	if f.Len > MaxLen {
		return fmt.Errorf("%w: %d > %d", ErrFrameLen, f.Len, MaxLen)
	}
	return fd.Validate()
}

// FD returns f as an FDFrame (still a classic frame: IsFD reports false).
func (f Frame) FD() FDFrame {
	fd := FDFrame{ID: f.ID, Extended: f.Extended, Remote: f.Remote, Error: f.Error, Len: f.Len, Len8DLC: f.Len8DLC}
	copy(fd.Data[:MaxLen], f.Data[:])
	return fd
}

// Classic returns f as a classic Frame; ok is false when f is a CAN FD frame.
func (f *FDFrame) Classic() (c Frame, ok bool) {
	if f.IsFD() {
		return Frame{}, false
	}
	c = Frame{ID: f.ID, Extended: f.Extended, Remote: f.Remote, Error: f.Error, Len: f.Len, Len8DLC: f.Len8DLC}
	copy(c.Data[:], f.Data[:MaxLen])
	return c, true
}

// Einride converts f to go.einride.tech/can's Frame, whose DBC tooling
// (pkg/dbc, pkg/descriptor) decodes signals. Error and Len8DLC do not exist
// there and are dropped.
func (f Frame) Einride() einride.Frame {
	return einride.Frame{
		ID:         f.ID,
		Length:     f.Len,
		Data:       einride.Data(f.Data),
		IsRemote:   f.Remote,
		IsExtended: f.Extended,
	}
}

// FromEinride converts go.einride.tech/can's Frame to a Frame.
func FromEinride(e einride.Frame) Frame {
	return Frame{ID: e.ID, Extended: e.IsExtended, Remote: e.IsRemote, Len: e.Length, Data: [8]byte(e.Data)}
}

// MarshalBinary returns the 16-byte struct can_frame (can_id in host byte order).
func (f Frame) MarshalBinary() ([]byte, error) { return f.AppendBinary(make([]byte, 0, MTU)) }

// AppendBinary appends the 16-byte struct can_frame to b.
func (f Frame) AppendBinary(b []byte) ([]byte, error) {
	if err := f.Validate(); err != nil {
		return b, err
	}
	fd := f.FD()
	b = append(b, make([]byte, MTU)...)
	fd.putClassic(b[len(b)-MTU:])
	return b, nil
}

// UnmarshalBinary decodes a 16-byte struct can_frame.
func (f *Frame) UnmarshalBinary(b []byte) error {
	if len(b) != MTU {
		return fmt.Errorf("%w: can_frame needs %d bytes, got %d", ErrFrameSize, MTU, len(b))
	}
	var fd FDFrame
	if err := fd.UnmarshalBinary(b); err != nil {
		return err
	}
	*f, _ = fd.Classic()
	return nil
}

// MarshalBinary returns the kernel layout of f: a 72-byte struct canfd_frame
// when IsFD, otherwise a 16-byte struct can_frame.
func (f FDFrame) MarshalBinary() ([]byte, error) { return f.AppendBinary(make([]byte, 0, FDMTU)) }

// AppendBinary appends the kernel layout of f to b (see MarshalBinary).
func (f FDFrame) AppendBinary(b []byte) ([]byte, error) {
	if err := f.Validate(); err != nil {
		return b, err
	}
	n := f.Size()
	b = append(b, make([]byte, n)...)
	f.Put(b[len(b)-n:])
	return b, nil
}

// Size returns the length of f's kernel layout: FDMTU or MTU.
func (f *FDFrame) Size() int {
	if f.IsFD() {
		return FDMTU
	}
	return MTU
}

// Put writes f's kernel layout into b, which must hold Size() bytes, and
// returns the number of bytes written. It does not validate f; the kernel
// rejects what it does not accept. Put does not allocate.
func (f *FDFrame) Put(b []byte) int {
	if f.IsFD() {
		f.putFD(b[:FDMTU])
		return FDMTU
	}
	f.putClassic(b[:MTU])
	return MTU
}

func (f *FDFrame) putClassic(b []byte) {
	binary.NativeEndian.PutUint32(b[0:4], f.CANID())
	n := min(f.Len, MaxLen)
	b[4] = f.Len // can_dlc / len
	b[5] = 0     // __pad
	b[6] = 0     // __res0
	b[7] = 0
	if f.Len == MaxLen && f.Len8DLC > MaxLen && f.Len8DLC <= MaxRawDLC {
		b[7] = f.Len8DLC
	}
	copy(b[8:16], f.Data[:n])
	clear(b[8+n : 16])
}

func (f *FDFrame) putFD(b []byte) {
	binary.NativeEndian.PutUint32(b[0:4], f.CANID())
	n := min(f.Len, FDMaxLen)
	b[4] = f.Len
	b[5] = uint8(f.Flags | FDF)
	b[6] = 0
	b[7] = 0
	copy(b[8:72], f.Data[:n])
	clear(b[8+n : 72])
}

// UnmarshalBinary decodes a 16-byte struct can_frame or a 72-byte struct
// canfd_frame; a canfd_frame gets the FDF flag.
func (f *FDFrame) UnmarshalBinary(b []byte) error {
	switch len(b) {
	case MTU:
		if b[4] > MaxLen {
			return fmt.Errorf("%w: can_frame len %d > %d", ErrFrameLen, b[4], MaxLen)
		}
	case FDMTU:
		if b[4] > FDMaxLen {
			return fmt.Errorf("%w: canfd_frame len %d > %d", ErrFrameLen, b[4], FDMaxLen)
		}
	default:
		return fmt.Errorf("%w: got %d bytes", ErrFrameSize, len(b))
	}
	f.decode(b)
	return nil
}

// decode fills f from a can_frame or canfd_frame whose size and length the
// caller has checked. Data beyond Len is zeroed, so equal frames compare
// equal. It does not allocate.
func (f *FDFrame) decode(b []byte) {
	f.SetCANID(binary.NativeEndian.Uint32(b[0:4]))
	f.Len = b[4]
	f.Len8DLC = 0
	f.Flags = 0
	if len(b) == MTU {
		if f.Len == MaxLen && b[7] > MaxLen && b[7] <= MaxRawDLC {
			f.Len8DLC = b[7]
		}
		n := copy(f.Data[:], b[8:8+min(f.Len, MaxLen)])
		clear(f.Data[n:])
		return
	}
	f.Flags = FDFlags(b[5]) | FDF
	n := copy(f.Data[:], b[8:8+min(f.Len, FDMaxLen)])
	clear(f.Data[n:])
}
