package udpmulticast

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/fieldgate/fieldgate/gateway/frame"
)

// Message is the content of one python-can UdpMulticastBus datagram: the
// fields of can.Message that python-can's pack_message puts in a msgpack
// map (can/interfaces/udp_multicast/utils.py).
type Message struct {
	Timestamp float64 // seconds since the epoch
	ID        uint32  // arbitration_id
	Extended  bool
	Remote    bool
	Error     bool
	FD        bool
	BRS       bool
	ESI       bool
	DLC       int // python-can's dlc: the data length
	Data      [64]byte
}

// maxMessage bounds an encoded message: 11 keys, a float, a 32-bit ID, 64
// bytes of data.
const maxMessage = 256

func appendKey(b []byte, k string) []byte { return append(append(b, 0xa0|byte(len(k))), k...) }

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 0xc3)
	}
	return append(b, 0xc2)
}

// appendUint appends v as msgpack packs a Python int: the shortest form.
func appendUint(b []byte, v uint32) []byte {
	switch {
	case v < 0x80:
		return append(b, byte(v))
	case v <= 0xff:
		return append(b, 0xcc, byte(v))
	case v <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(v))
	}
	return binary.BigEndian.AppendUint32(append(b, 0xce), v)
}

// AppendMessage appends m encoded as python-can's pack_message encodes a
// can.Message (msgpack.packb(dict, use_bin_type=True)): an 11-entry map
// in the same key order, the timestamp a float 64, the channel nil, the
// data a bin 8. It does not allocate when b has maxMessage bytes of room.
func AppendMessage(b []byte, m *Message) []byte {
	b = append(b, 0x8b)
	b = appendKey(b, "timestamp")
	b = binary.BigEndian.AppendUint64(append(b, 0xcb), math.Float64bits(m.Timestamp))
	b = appendKey(b, "arbitration_id")
	b = appendUint(b, m.ID)
	b = appendBool(appendKey(b, "is_extended_id"), m.Extended)
	b = appendBool(appendKey(b, "is_remote_frame"), m.Remote)
	b = appendBool(appendKey(b, "is_error_frame"), m.Error)
	b = append(appendKey(b, "channel"), 0xc0)
	b = appendUint(appendKey(b, "dlc"), uint32(m.DLC))
	b = appendKey(b, "data")
	n := m.DLC
	if m.Remote {
		n = 0
	}
	b = append(b, 0xc4, byte(n))
	b = append(b, m.Data[:n]...)
	b = appendBool(appendKey(b, "is_fd"), m.FD)
	b = appendBool(appendKey(b, "bitrate_switch"), m.BRS)
	b = appendBool(appendKey(b, "error_state_indicator"), m.ESI)
	return b
}

// errMalformed is the cause of every decoding error (wrapped with the
// detail).
var errMalformed = errors.New("malformed python-can message")

type decoder struct {
	b   []byte
	pos int
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: byte %d: %s", errMalformed, d.pos, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) byte() byte {
	if d.pos >= len(d.b) {
		d.fail("truncated")
		return 0xc1
	}
	c := d.b[d.pos]
	d.pos++
	return c
}

func (d *decoder) bytes(n int) []byte {
	if n < 0 || len(d.b)-d.pos < n {
		d.fail("truncated: %d bytes wanted, %d left", n, len(d.b)-d.pos)
		d.pos = len(d.b)
		return nil
	}
	s := d.b[d.pos : d.pos+n]
	d.pos += n
	return s
}

func (d *decoder) uint(n int) uint64 {
	s := d.bytes(n)
	var v uint64
	for _, c := range s {
		v = v<<8 | uint64(c)
	}
	return v
}

// str reads a string (fixstr, str 8/16/32).
func (d *decoder) str() []byte {
	c := d.byte()
	switch {
	case c&0xe0 == 0xa0:
		return d.bytes(int(c & 0x1f))
	case c == 0xd9:
		return d.bytes(int(d.uint(1)))
	case c == 0xda:
		return d.bytes(int(d.uint(2)))
	case c == 0xdb:
		return d.bytes(int(d.uint(4)))
	}
	d.fail("key of type %#x, want a string", c)
	return nil
}

// number reads an integer or float; isInt says which.
func (d *decoder) number() (f float64, i int64, isInt bool) {
	c := d.byte()
	switch {
	case c <= 0x7f:
		return 0, int64(c), true
	case c >= 0xe0:
		return 0, int64(int8(c)), true
	}
	switch c {
	case 0xcc, 0xcd, 0xce, 0xcf:
		v := d.uint(1 << (c - 0xcc))
		if v > math.MaxInt64 {
			d.fail("integer out of range")
		}
		return 0, int64(v), true
	case 0xd0, 0xd1, 0xd2, 0xd3:
		n := 1 << (c - 0xd0)
		v := d.uint(n)
		shift := 64 - 8*n
		return 0, int64(v<<shift) >> shift, true
	case 0xca:
		return float64(math.Float32frombits(uint32(d.uint(4)))), 0, false
	case 0xcb:
		return math.Float64frombits(d.uint(8)), 0, false
	}
	d.fail("value of type %#x, want a number", c)
	return 0, 0, true
}

func (d *decoder) boolean(key string) bool {
	switch d.byte() {
	case 0xc2:
		return false
	case 0xc3:
		return true
	}
	d.pos--
	d.fail("%s is not a boolean", key)
	return false
}

// skip skips one value of any type but ext.
func (d *decoder) skip(depth int) {
	if depth > 8 {
		d.fail("nested too deep")
		return
	}
	c := d.byte()
	switch {
	case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
	case c&0xe0 == 0xa0:
		d.bytes(int(c & 0x1f))
	case c&0xf0 == 0x90:
		for range int(c & 0xf) {
			d.skip(depth + 1)
		}
	case c&0xf0 == 0x80:
		for range 2 * int(c&0xf) {
			d.skip(depth + 1)
		}
	case c == 0xc4 || c == 0xd9:
		d.bytes(int(d.uint(1)))
	case c == 0xc5 || c == 0xda:
		d.bytes(int(d.uint(2)))
	case c == 0xc6 || c == 0xdb:
		d.bytes(int(d.uint(4)))
	case c >= 0xcc && c <= 0xcf:
		d.bytes(1 << (c - 0xcc))
	case c >= 0xd0 && c <= 0xd3:
		d.bytes(1 << (c - 0xd0))
	case c == 0xca:
		d.bytes(4)
	case c == 0xcb:
		d.bytes(8)
	default:
		d.fail("value of type %#x is not supported", c)
	}
}

// DecodeMessage decodes a datagram as python-can's unpack_message with
// check=True does: the map's keys must be can.Message's (those
// pack_message writes), absent ones take can.Message's defaults
// (is_extended_id true, dlc the data length), and the message must pass
// can.Message's checks (identifier range, DLC against the data, no remote
// FD or error frames, BRS and ESI on FD frames only). It does not
// allocate unless the datagram is malformed.
func DecodeMessage(b []byte, m *Message) error {
	*m = Message{Extended: true, DLC: -1}
	d := decoder{b: b}
	c := d.byte()
	var n int
	switch {
	case c&0xf0 == 0x80:
		n = int(c & 0xf)
	case c == 0xde:
		n = int(d.uint(2))
	default:
		d.fail("not a map (type %#x)", c)
	}
	var data []byte
	for i := 0; i < n && d.err == nil; i++ {
		k := d.str()
		switch string(k) {
		case "timestamp":
			f, iv, isInt := d.number()
			if isInt {
				f = float64(iv)
			}
			m.Timestamp = f
		case "arbitration_id":
			_, iv, isInt := d.number()
			if !isInt || iv < 0 || iv >= 1<<29 {
				d.fail("arbitration_id out of range")
			}
			m.ID = uint32(iv)
		case "is_extended_id":
			m.Extended = d.boolean("is_extended_id")
		case "is_remote_frame":
			m.Remote = d.boolean("is_remote_frame")
		case "is_error_frame":
			m.Error = d.boolean("is_error_frame")
		case "is_fd":
			m.FD = d.boolean("is_fd")
		case "bitrate_switch":
			m.BRS = d.boolean("bitrate_switch")
		case "error_state_indicator":
			m.ESI = d.boolean("error_state_indicator")
		case "channel", "is_rx":
			d.skip(0)
		case "dlc":
			if d.pos < len(b) && b[d.pos] == 0xc0 {
				d.pos++
				continue
			}
			_, iv, isInt := d.number()
			if !isInt || iv < 0 || iv > 64 {
				d.fail("dlc out of range")
			}
			m.DLC = int(iv)
		case "data":
			switch c := d.byte(); c {
			case 0xc0:
				data = nil
			case 0xc4:
				data = d.bytes(int(d.uint(1)))
			case 0xc5:
				data = d.bytes(int(d.uint(2)))
			default:
				d.fail("data of type %#x, want bin", c)
			}
			if len(data) > 64 {
				d.fail("%d data bytes", len(data))
			}
		default:
			d.fail("unknown key %q", clip(k))
		}
	}
	if d.err == nil && d.pos != len(b) {
		d.fail("%d bytes after the map", len(b)-d.pos)
	}
	if d.err != nil {
		return d.err
	}
	if m.Remote {
		data = nil
	}
	copy(m.Data[:], data)
	if m.DLC < 0 {
		m.DLC = len(data)
	}
	// can.Message._check.
	switch {
	case m.Timestamp < 0 || math.IsInf(m.Timestamp, 0) || math.IsNaN(m.Timestamp):
		return fmt.Errorf("%w: timestamp %v", errMalformed, m.Timestamp)
	case m.Remote && (m.Error || m.FD):
		return fmt.Errorf("%w: a remote frame cannot be an error or FD frame", errMalformed)
	case !m.Extended && m.ID >= 0x800:
		return fmt.Errorf("%w: standard arbitration_id %#x over 11 bits", errMalformed, m.ID)
	case (m.FD && m.DLC > 64) || (!m.FD && m.DLC > 8):
		return fmt.Errorf("%w: dlc %d", errMalformed, m.DLC)
	case !m.Remote && m.DLC != len(data):
		return fmt.Errorf("%w: dlc %d but %d data bytes", errMalformed, m.DLC, len(data))
	case !m.FD && (m.BRS || m.ESI):
		return fmt.Errorf("%w: bitrate_switch or error_state_indicator on a classic frame", errMalformed)
	}
	return nil
}

func clip(b []byte) []byte { return b[:min(len(b), 32)] }

// ToFrame fills f from m: the identifier with its flag bits, CAN or CAN FD
// with BRS/ESI. The time is left to the caller.
func (m *Message) ToFrame(f *frame.Frame) {
	id := m.ID
	switch {
	case m.Error:
		id = id&0x1FFFFFFF | frame.CANERRFlag
		if m.Extended {
			id |= frame.CANEFFFlag
		}
	case m.Extended:
		id = id&frame.CANEFFMask | frame.CANEFFFlag
	}
	if m.Remote {
		id |= frame.CANRTRFlag
	}
	f.ID, f.Type, f.Flags, f.Addr = id, frame.CAN, 0, 0
	if m.FD {
		f.Type = frame.CANFD
		if m.BRS {
			f.Flags |= frame.CANFDBRS
		}
		if m.ESI {
			f.Flags |= frame.CANFDESI
		}
	}
	f.Len = uint16(m.DLC)
	copy(f.Data[:m.DLC], m.Data[:m.DLC])
}

// FromFrame fills m from a CAN or CAN FD frame, with the time in seconds.
func (m *Message) FromFrame(f *frame.Frame) {
	m.Timestamp = float64(f.Time) / 1e9
	m.Error = f.ID&frame.CANERRFlag != 0
	m.Extended = f.ID&frame.CANEFFFlag != 0
	m.Remote = f.ID&frame.CANRTRFlag != 0
	switch {
	case m.Error:
		m.ID = f.ID & 0x1FFFFFFF
	case m.Extended:
		m.ID = f.ID & frame.CANEFFMask
	default:
		m.ID = f.ID & frame.CANSFFMask
	}
	m.FD = f.Type == frame.CANFD
	m.BRS = m.FD && f.Flags&frame.CANFDBRS != 0
	m.ESI = m.FD && f.Flags&frame.CANFDESI != 0
	m.DLC = int(min(f.Len, 64))
	if !m.FD {
		m.DLC = min(m.DLC, 8)
	}
	copy(m.Data[:], f.Data[:m.DLC])
}
