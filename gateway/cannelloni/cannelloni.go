package cannelloni

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Protocol constants.
const (
	Version     = 2
	OpData      = 0
	OpAck       = 1
	OpNack      = 2
	HeaderLen   = 5
	Handshake   = "CANNELLONIv1"
	DefaultPort = 20000

	// FDFlag marks a CAN FD frame in the length byte.
	FDFlag = 0x80

	effFlag = 0x80000000
	rtrFlag = 0x40000000
)

// MaxFrameLen is the encoded size of the largest frame: 4 ID + 1 len + 1 flags + 64.
const MaxFrameLen = 70

// Frame is one CAN or CAN FD frame in the wire format.
type Frame struct {
	ID    uint32 // with EFF/RTR/ERR flag bits
	FD    bool
	Flags uint8 // BRS/ESI when FD
	Len   uint8
	Data  [64]byte
}

// Errors returned by the decoders.
var (
	ErrShort   = errors.New("cannelloni: truncated")
	ErrVersion = errors.New("cannelloni: unsupported version")
	ErrOpcode  = errors.New("cannelloni: unsupported opcode")
	ErrLength  = errors.New("cannelloni: invalid frame length")
)

// Header is a datagram header.
type Header struct {
	Version, Op, Seq uint8
	Count            uint16
}

// EncodedLen returns the wire size of f.
func EncodedLen(f *Frame) int {
	n := 5 + int(f.Len)
	if f.FD {
		n++
	}
	if !f.FD && f.ID&rtrFlag != 0 {
		n -= int(f.Len)
	}
	return n
}

// AppendFrame appends the encoding of f to b.
func AppendFrame(b []byte, f *Frame) []byte {
	b = binary.BigEndian.AppendUint32(b, f.ID)
	if f.FD {
		b = append(b, f.Len|FDFlag, f.Flags)
		return append(b, f.Data[:f.Len]...)
	}
	b = append(b, f.Len)
	if f.ID&rtrFlag != 0 {
		return b
	}
	return append(b, f.Data[:f.Len]...)
}

// AppendHeader appends a DATA header with the given sequence number and count.
func AppendHeader(b []byte, seq uint8, count uint16) []byte {
	return append(b, Version, OpData, seq, byte(count>>8), byte(count))
}

// ParseHeader decodes a datagram header.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, ErrShort
	}
	h := Header{Version: b[0], Op: b[1], Seq: b[2], Count: binary.BigEndian.Uint16(b[3:5])}
	if h.Version != Version {
		return h, fmt.Errorf("%w %d", ErrVersion, h.Version)
	}
	if h.Op != OpData {
		return h, fmt.Errorf("%w %d", ErrOpcode, h.Op)
	}
	return h, nil
}

// DecodeFrame decodes one frame from the start of b and returns the number of
// bytes consumed. It returns ErrShort when b holds only part of a frame.
func DecodeFrame(b []byte, f *Frame) (int, error) {
	if len(b) < 5 {
		return 0, ErrShort
	}
	f.ID = binary.BigEndian.Uint32(b)
	l := b[4]
	n := 5
	f.FD = l&FDFlag != 0
	f.Len = l &^ FDFlag
	f.Flags = 0
	if f.FD {
		if len(b) < 6 {
			return 0, ErrShort
		}
		f.Flags = b[5]
		n = 6
		if f.Len > 64 || !validFDLen(f.Len) {
			return 0, fmt.Errorf("%w %d", ErrLength, f.Len)
		}
	} else if f.Len > 8 {
		// Classic frames carry at most 8 bytes; the reference rejects > 64,
		// but a classic frame with 9..64 bytes cannot exist on a bus.
		return 0, fmt.Errorf("%w %d", ErrLength, f.Len)
	}
	dl := int(f.Len)
	if !f.FD && f.ID&rtrFlag != 0 {
		dl = 0
	}
	if len(b) < n+dl {
		return 0, ErrShort
	}
	copy(f.Data[:dl], b[n:n+dl])
	clear(f.Data[dl:f.Len])
	return n + dl, nil
}

func validFDLen(n uint8) bool {
	switch n {
	case 0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64:
		return true
	}
	return false
}

// A Datagram iterates over the frames of one UDP datagram.
type Datagram struct {
	Header Header
	b      []byte
	left   int
	err    error
}

// Reset starts decoding datagram b. It returns the header error, if any.
func (d *Datagram) Reset(b []byte) error {
	h, err := ParseHeader(b)
	d.Header, d.b, d.left, d.err = h, nil, 0, err
	if err != nil {
		return err
	}
	d.b, d.left = b[HeaderLen:], int(h.Count)
	return nil
}

// Next decodes the next frame into f. It returns false at the end or on error
// (see Err).
func (d *Datagram) Next(f *Frame) bool {
	if d.err != nil || d.left == 0 {
		return false
	}
	n, err := DecodeFrame(d.b, f)
	if err != nil {
		d.err = err
		return false
	}
	d.b = d.b[n:]
	d.left--
	return true
}

// Err returns the first decoding error. Trailing bytes after Count frames are
// not an error (the reference ignores them); a Count larger than the frames
// present is ErrShort.
func (d *Datagram) Err() error { return d.err }

// Remaining reports how many frames announced by the header were not decoded.
func (d *Datagram) Remaining() int { return d.left }

// StreamDecoder decodes the TCP stream variant: frames back to back after the
// handshake. Feed it whatever the socket returns.
type StreamDecoder struct {
	buf []byte
	r   int
}

// Write appends received bytes.
func (s *StreamDecoder) Write(b []byte) {
	if s.r > 0 && s.r == len(s.buf) {
		s.buf, s.r = s.buf[:0], 0
	} else if s.r > 4096 && s.r > len(s.buf)/2 {
		n := copy(s.buf, s.buf[s.r:])
		s.buf, s.r = s.buf[:n], 0
	}
	s.buf = append(s.buf, b...)
}

// Next decodes the next complete frame. It returns false, nil when more bytes
// are needed, and an error when the stream is corrupt (the peer must then be
// disconnected: a byte stream cannot resynchronise).
func (s *StreamDecoder) Next(f *Frame) (bool, error) {
	n, err := DecodeFrame(s.buf[s.r:], f)
	if errors.Is(err, ErrShort) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	s.r += n
	return true, nil
}

// NextRecord is Next for streams that carry fieldgate's PDU records: a
// record marked StreamPDUMarker is decoded into p (p.Data aliases the
// decoder's buffer until the next Write) and pdu is true; any other record
// is a CAN frame decoded into f. maxLen bounds a PDU's data.
func (s *StreamDecoder) NextRecord(f *Frame, p *PDU, maxLen int) (pdu, ok bool, err error) {
	b := s.buf[s.r:]
	if len(b) >= 5 && b[4] == StreamPDUMarker {
		n, err := DecodeStreamPDU(b, p, maxLen)
		if errors.Is(err, ErrShort) {
			return false, false, nil
		}
		if err != nil {
			return false, false, err
		}
		s.r += n
		return true, true, nil
	}
	ok, err = s.Next(f)
	return false, ok, err
}

// Buffered returns how many undecoded bytes are held.
func (s *StreamDecoder) Buffered() int { return len(s.buf) - s.r }
