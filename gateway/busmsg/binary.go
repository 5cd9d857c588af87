package busmsg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/fieldgate/fieldgate/gateway/frame"
)

// The binary encoding, byte by byte (configs/README.md documents the same):
//
//	message header, 18 bytes
//	  0       version, 1
//	  1       frame count N, 1–255
//	  2–9     sequence number of the first frame, uint64 big-endian
//	  10–17   capture time of the first frame, int64 big-endian, ns since the Unix epoch
//	N records, each 13 bytes and the data
//	  0       frame type: 1 CAN, 2 CAN FD, 3 ISO-TP, 4 J1939, 5 Ethernet
//	  1       flags: CAN FD 0x01 BRS, 0x02 ESI; J1939 the destination address; else 0
//	  2       J1939 source address; else 0
//	  3–6     ID, uint32 big-endian: CAN/CAN FD/ISO-TP can_id with 0x80000000 EFF,
//	          0x40000000 RTR, 0x20000000 ERR; J1939 PGN; Ethernet 0
//	  7–10    capture time − the message's capture time, int32 big-endian, ns
//	  11–12   data length L, uint16 big-endian
//	  13…     L data bytes
//
// Nothing follows the last record. Frames of one message are consecutive
// frames of one source endpoint and one type, in order; their sequence
// numbers are the first frame's plus 0, 1, … N−1.
const (
	BinaryVersion   = 1
	BinaryHeaderLen = 18
	RecordHeaderLen = 13
	// MaxBatch is the most frames one binary message carries.
	MaxBatch = 255
)

// BeginBinary appends the header of a binary message whose first frame
// has sequence number seq and capture time t, with a frame count of 0;
// AppendBinary adds frames and counts them.
func BeginBinary(b []byte, seq uint64, t int64) []byte {
	b = append(b, BinaryVersion, 0)
	b = binary.BigEndian.AppendUint64(b, seq)
	return binary.BigEndian.AppendUint64(b, uint64(t))
}

// RecordLen returns the bytes frame f takes in a binary message.
func RecordLen(f *frame.Frame) int { return RecordHeaderLen + int(f.Len) }

// AppendBinary appends frame f to msg, a binary message begun at msg[0]
// with BeginBinary. It returns false, and msg unchanged, when the message
// already holds MaxBatch frames or f's capture time is more than about
// 2.1 s from the message's: f then begins a message of its own.
func AppendBinary(msg []byte, f *frame.Frame) ([]byte, bool) {
	if msg[1] == MaxBatch {
		return msg, false
	}
	d := f.Time - int64(binary.BigEndian.Uint64(msg[10:18]))
	if d < math.MinInt32 || d > math.MaxInt32 {
		return msg, false
	}
	msg[1]++
	n := len(msg)
	msg = slices.Grow(msg, RecordHeaderLen+int(f.Len))[:n+RecordHeaderLen+int(f.Len)]
	r := msg[n:]
	r[0], r[1], r[2] = byte(f.Type), f.Flags, f.Addr
	binary.BigEndian.PutUint32(r[3:], f.ID)
	binary.BigEndian.PutUint32(r[7:], uint32(int32(d)))
	binary.BigEndian.PutUint16(r[11:], f.Len)
	copy(r[RecordHeaderLen:], f.Data[:f.Len])
	return msg, true
}

// AppendBinaryBatch appends to msg (a binary message begun with
// BeginBinary at fs[0]'s capture time, holding no frames yet) the longest prefix of fs that one
// message carries: frames of fs[0]'s source and type, at most MaxBatch,
// within about 2.1 s of the message's time, the message no longer than
// limit bytes (fs[0] is appended whatever its size). It returns the
// message, how many frames of fs it took, and whether they all have fs[0]'s
// subject ID token (else the message goes to the batch subject).
//
// A message that already holds frames (from an earlier call) is continued:
// fs's frames follow them, up to MaxBatch in all, and fs[0] is appended
// whatever the limit, so the caller checks that it fits; oneID then
// compares fs's frames with fs[0] only.
func AppendBinaryBatch(msg []byte, fs []frame.Frame, limit int) (out []byte, n int, oneID bool) {
	have := int(msg[1])
	if len(fs) > MaxBatch-have {
		fs = fs[:MaxBatch-have]
	}
	if len(fs) == 0 {
		return msg, 0, true
	}
	f0 := &fs[0]
	base := int64(binary.BigEndian.Uint64(msg[10:18]))
	// Room for the whole message first (the caller's buffer keeps it), so
	// that each record is written in place in one pass over the frames.
	if limit > cap(msg) {
		msg = slices.Grow(msg, limit-len(msg))
	}
	k := len(msg)
	// fs[0] is appended whatever its size.
	if l := RecordHeaderLen + int(f0.Len); k+l > cap(msg) {
		msg = slices.Grow(msg[:k], l)
	}
	buf := msg[:cap(msg)]
	src, typ, id0 := f0.Source, f0.Type, f0.ID&^frame.CANRTRFlag
	oneID = true
	canLike := typ != frame.J1939 && typ != frame.Ethernet
	for i := range fs {
		f := &fs[i]
		l := RecordHeaderLen + int(f.Len)
		d := f.Time - base
		if uint64(d-math.MinInt32) > math.MaxUint32 || i > 0 && (f.Source != src || f.Type != typ || k+l > limit) {
			break
		}
		if oneID && i > 0 && (!canLike || f.ID&^frame.CANRTRFlag != id0) && !SameID(f0, f) {
			oneID = false
		}
		if f.Len == 8 { // the common classic frame: fixed-size stores, one bounds check
			r := (*[RecordHeaderLen + 8]byte)(buf[k:])
			r[0], r[1], r[2] = byte(f.Type), f.Flags, f.Addr
			binary.BigEndian.PutUint32(r[3:], f.ID)
			binary.BigEndian.PutUint32(r[7:], uint32(int32(d)))
			r[11], r[12] = 0, 8
			binary.LittleEndian.PutUint64(r[RecordHeaderLen:], binary.LittleEndian.Uint64(f.Data[:8]))
		} else {
			r := buf[k : k+l]
			r[0], r[1], r[2] = byte(f.Type), f.Flags, f.Addr
			binary.BigEndian.PutUint32(r[3:], f.ID)
			binary.BigEndian.PutUint32(r[7:], uint32(int32(d)))
			binary.BigEndian.PutUint16(r[11:], f.Len)
			copy(r[RecordHeaderLen:], f.Data[:f.Len])
		}
		k += l
		n++
	}
	msg = buf[:k]
	msg[1] = byte(have + n)
	return msg, n, oneID
}

// SameID reports whether frames a and b of one type have the same <ID hex>
// subject token (AppendID).
func SameID(a, b *frame.Frame) bool {
	switch a.Type {
	case frame.J1939:
		return a.ID&0x3FFFF == b.ID&0x3FFFF
	case frame.Ethernet:
		return a.Len >= 14 && b.Len >= 14 && a.Data[12] == b.Data[12] && a.Data[13] == b.Data[13] || a.Len < 14 && b.Len < 14
	}
	return a.ID&^frame.CANRTRFlag == b.ID&^frame.CANRTRFlag
}

// A BinaryMsg is a validated binary message; Next reads its frames.
type BinaryMsg struct {
	// N is the number of frames, Seq the first frame's sequence number
	// and Time its capture time.
	N    int
	Seq  uint64
	Time int64
	b    []byte
	off  int
}

// Errors of ParseBinary.
var (
	ErrShort   = errors.New("truncated")
	ErrVersion = errors.New("unknown version")
)

// ParseBinary validates a whole binary message: header, every record
// (type, flags, ID and length as the frame type allows them) and no bytes
// after the last. A message with any invalid record is refused whole.
func ParseBinary(b []byte) (BinaryMsg, error) {
	if len(b) < BinaryHeaderLen {
		return BinaryMsg{}, fmt.Errorf("binary message of %d bytes: %w header (%d bytes)", len(b), ErrShort, BinaryHeaderLen)
	}
	if b[0] != BinaryVersion {
		return BinaryMsg{}, fmt.Errorf("binary message: %w %d (this gateway reads version %d)", ErrVersion, b[0], BinaryVersion)
	}
	m := BinaryMsg{N: int(b[1]), Seq: binary.BigEndian.Uint64(b[2:]), Time: int64(binary.BigEndian.Uint64(b[10:])), b: b, off: BinaryHeaderLen}
	if m.N == 0 {
		return BinaryMsg{}, errors.New("binary message with no frames")
	}
	off := BinaryHeaderLen
	for i := range m.N {
		if len(b)-off < RecordHeaderLen {
			return BinaryMsg{}, fmt.Errorf("binary message: frame %d of %d: %w record header", i+1, m.N, ErrShort)
		}
		r := b[off:]
		l := int(binary.BigEndian.Uint16(r[11:]))
		if err := checkFrame(frame.Type(r[0]), r[1], r[2], binary.BigEndian.Uint32(r[3:]), l); err != nil {
			return BinaryMsg{}, fmt.Errorf("binary message: frame %d of %d: %w", i+1, m.N, err)
		}
		off += RecordHeaderLen
		if len(b)-off < l {
			return BinaryMsg{}, fmt.Errorf("binary message: frame %d of %d: %w data (%d of %d bytes)", i+1, m.N, ErrShort, len(b)-off, l)
		}
		off += l
	}
	if off != len(b) {
		return BinaryMsg{}, fmt.Errorf("binary message: %d bytes after frame %d", len(b)-off, m.N)
	}
	return m, nil
}

// Next fills f with the next frame (Source, Route zero) and reports
// whether there was one.
func (m *BinaryMsg) Next(f *frame.Frame) bool {
	if m.off >= len(m.b) {
		return false
	}
	r := m.b[m.off:]
	f.Type, f.Flags, f.Addr = frame.Type(r[0]), r[1], r[2]
	f.ID = binary.BigEndian.Uint32(r[3:])
	f.Time = m.Time + int64(int32(binary.BigEndian.Uint32(r[7:])))
	f.Len = binary.BigEndian.Uint16(r[11:])
	f.Source, f.Route = 0, 0
	copy(f.Data[:f.Len], r[RecordHeaderLen:])
	m.off += RecordHeaderLen + int(f.Len)
	return true
}

// checkFrame says whether a frame with these fields can be written to a
// bus of its type: the same rule for every encoding.
func checkFrame(t frame.Type, flags, addr uint8, id uint32, l int) error {
	switch t {
	case frame.CAN, frame.CANFD, frame.ISOTP:
		if id&(frame.CANEFFFlag|frame.CANERRFlag) == 0 && id&^frame.CANRTRFlag > frame.CANSFFMask {
			return fmt.Errorf("11-bit ID %#x above 0x7FF", id&^frame.CANRTRFlag)
		}
		if addr != 0 {
			return fmt.Errorf("%s frame with address byte %#x", t, addr)
		}
	}
	switch t {
	case frame.CAN:
		if flags != 0 {
			return fmt.Errorf("CAN frame with flags %#x", flags)
		}
		if l > 8 {
			return fmt.Errorf("CAN frame of %d bytes (at most 8)", l)
		}
	case frame.CANFD:
		if flags&^(frame.CANFDBRS|frame.CANFDESI) != 0 {
			return fmt.Errorf("CAN FD frame with flags %#x (BRS 0x01, ESI 0x02)", flags)
		}
		if id&(frame.CANRTRFlag|frame.CANERRFlag) != 0 {
			return errors.New("CAN FD frame with the RTR or ERR flag")
		}
		if !frame.ValidCANFDLen(l) {
			return fmt.Errorf("CAN FD frame of %d bytes (0–8, 12, 16, 20, 24, 32, 48, 64)", l)
		}
	case frame.ISOTP:
		if flags != 0 || id&(frame.CANRTRFlag|frame.CANERRFlag) != 0 {
			return errors.New("ISO-TP PDU with flags or the RTR/ERR flag")
		}
		if l > 4095 {
			return fmt.Errorf("ISO-TP PDU of %d bytes (at most 4095)", l)
		}
	case frame.J1939:
		if id > 0x3FFFF {
			return fmt.Errorf("J1939 PGN %#x above 0x3FFFF", id)
		}
		if l > frame.MaxData {
			return fmt.Errorf("J1939 message of %d bytes (at most %d)", l, frame.MaxData)
		}
	case frame.Ethernet:
		if flags != 0 || addr != 0 || id != 0 {
			return errors.New("Ethernet frame with flags, address or ID")
		}
		if l < 14 || l > frame.MaxData {
			return fmt.Errorf("Ethernet frame of %d bytes (14–%d)", l, frame.MaxData)
		}
	default:
		return fmt.Errorf("unknown frame type %d", t)
	}
	return nil
}
