package packet

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"time"
)

// Record is one packet read from a capture file.
type Record struct {
	// Interface is the pcapng interface id within the current section
	// (always 0 for classic pcap).
	Interface int
	CaptureInfo
	// Data is the captured bytes; it is valid until the next ReadPacket.
	Data []byte
}

// Reader reads pcapng files (any byte order, several sections, several
// interfaces of different link types, any if_tsresol and if_tsoffset;
// Enhanced, Simple and obsolete Packet Blocks; Interface Statistics
// Blocks) and classic pcap files (microsecond and nanosecond, both byte
// orders), such as those written by dumpcap and tcpdump -w.
//
// Every length in the file is checked before it is used: a corrupt or
// truncated file gives an error naming the byte offset, never a panic or
// an oversized allocation.
type Reader struct {
	r      *bufio.Reader
	off    int64 // offset of the next byte to read
	bo     binary.ByteOrder
	ng     bool
	buf    []byte
	ifaces []ifaceState
	// classic pcap
	linkType LinkType
	snapLen  uint32
	nanos    bool
}

type ifaceState struct {
	Interface
	unitsPerSec uint64
	offset      int64 // if_tsoffset, seconds
	stats       *InterfaceStats
}

// Classic pcap magics.
const (
	pcapMagicMicro = 0xa1b2c3d4
	pcapMagicNano  = 0xa1b23c4d
)

// NewReader detects the format from the first bytes of r and reads the
// file header.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{r: bufio.NewReaderSize(r, 64<<10)}
	magic, err := rd.r.Peek(4)
	if err != nil {
		return nil, fmt.Errorf("capture file: reading magic: %w", noEOF(err))
	}
	switch {
	case binary.LittleEndian.Uint32(magic) == blockSHB:
		rd.ng = true
		if err := rd.readSHB(); err != nil {
			return nil, err
		}
		return rd, nil
	case binary.LittleEndian.Uint32(magic) == pcapMagicMicro, binary.LittleEndian.Uint32(magic) == pcapMagicNano:
		rd.bo = binary.LittleEndian
	case binary.BigEndian.Uint32(magic) == pcapMagicMicro, binary.BigEndian.Uint32(magic) == pcapMagicNano:
		rd.bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("capture file: magic %x: %w", magic, ErrNotCapture)
	}
	var h [24]byte
	if err := rd.readFull(h[:]); err != nil {
		return nil, fmt.Errorf("pcap: file header: %w", err)
	}
	rd.nanos = rd.bo.Uint32(h[0:]) == pcapMagicNano
	rd.snapLen = rd.bo.Uint32(h[16:])
	network := rd.bo.Uint32(h[20:])
	rd.linkType = LinkType(network & 0xffff)
	res := time.Microsecond
	ups := uint64(1e6)
	if rd.nanos {
		res, ups = time.Nanosecond, 1e9
	}
	rd.ifaces = []ifaceState{{Interface: Interface{LinkType: rd.linkType, SnapLen: rd.snapLen, TimestampResolution: res}, unitsPerSec: ups}}
	return rd, nil
}

// Format returns "pcapng" or "pcap".
func (r *Reader) Format() string {
	if r.ng {
		return "pcapng"
	}
	return "pcap"
}

// Interfaces returns the interfaces of the current section seen so far
// (for pcap, the one implied by the file header).
func (r *Reader) Interfaces() []Interface {
	out := make([]Interface, len(r.ifaces))
	for i, s := range r.ifaces {
		out[i] = s.Interface
	}
	return out
}

// Stats returns the last Interface Statistics Block read for interface id
// of the current section, or false if none was read yet.
func (r *Reader) Stats(id int) (InterfaceStats, bool) {
	if id < 0 || id >= len(r.ifaces) || r.ifaces[id].stats == nil {
		return InterfaceStats{}, false
	}
	return *r.ifaces[id].stats, true
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (r *Reader) readFull(b []byte) error {
	n, err := io.ReadFull(r.r, b)
	r.off += int64(n)
	return noEOF(err)
}

func (r *Reader) errf(at int64, format string, args ...any) error {
	return fmt.Errorf("%s: offset %d: %s", r.Format(), at, fmt.Sprintf(format, args...))
}

// ReadPacket returns the next packet, skipping other blocks, or io.EOF at
// the end of the file.
func (r *Reader) ReadPacket() (Record, error) {
	if !r.ng {
		return r.readPcapRecord()
	}
	for {
		at := r.off
		typ, body, err := r.readBlock()
		if err != nil {
			return Record{}, err
		}
		switch typ {
		case blockSHB:
			return Record{}, r.errf(at, "internal: section header not handled")
		case blockIDB:
			if err := r.parseIDB(at, body); err != nil {
				return Record{}, err
			}
		case blockEPB:
			return r.parseEPB(at, body)
		case blockSPB:
			return r.parseSPB(at, body)
		case blockPB:
			return r.parsePB(at, body)
		case blockISB:
			if err := r.parseISB(at, body); err != nil {
				return Record{}, err
			}
		}
	}
}

// readBlock reads one block and returns its type and body (between the
// length fields). A Section Header Block is handled here.
func (r *Reader) readBlock() (uint32, []byte, error) {
	at := r.off
	peek, err := r.r.Peek(4)
	if err == io.EOF && len(peek) == 0 {
		return 0, nil, io.EOF
	}
	if err != nil {
		return 0, nil, r.errf(at, "block header: %v", noEOF(err))
	}
	if binary.LittleEndian.Uint32(peek) == blockSHB {
		if err := r.readSHB(); err != nil {
			return 0, nil, err
		}
		return r.readBlock()
	}
	var h [8]byte
	if err := r.readFull(h[:]); err != nil {
		return 0, nil, r.errf(at, "block header: %v", err)
	}
	typ, total := r.bo.Uint32(h[0:]), r.bo.Uint32(h[4:])
	if total < 12 || total%4 != 0 || total > pcapngMaxBlock {
		return 0, nil, r.errf(at, "block type %#x: invalid total length %d", typ, total)
	}
	body, err := r.readBody(at, int(total)-12)
	if err != nil {
		return 0, nil, err
	}
	var t [4]byte
	if err := r.readFull(t[:]); err != nil {
		return 0, nil, r.errf(at, "block type %#x: trailer: %v", typ, err)
	}
	if got := r.bo.Uint32(t[:]); got != total {
		return 0, nil, r.errf(at, "block type %#x: trailing length %d != leading length %d", typ, got, total)
	}
	return typ, body, nil
}

// readBody reads n bytes into the reusable buffer. It grows the buffer as
// the data actually arrives (doubling from 64 KiB), so a corrupt length
// field in a short file cannot make it allocate the declared size.
func (r *Reader) readBody(at int64, n int) ([]byte, error) {
	b := r.buf[:0]
	for len(b) < n {
		chunk := min(n-len(b), max(len(b), 64<<10))
		b = slices.Grow(b, chunk)
		m, err := io.ReadFull(r.r, b[len(b):len(b)+chunk])
		b = b[:len(b)+m]
		r.off += int64(m)
		if err != nil {
			r.buf = b[:0]
			return nil, r.errf(at, "block body of %d bytes: %v", n, noEOF(err))
		}
	}
	r.buf = b
	return b, nil
}

func (r *Reader) readSHB() error {
	at := r.off
	var h [12]byte
	if err := r.readFull(h[:]); err != nil {
		return r.errf(at, "section header: %v", err)
	}
	switch {
	case binary.LittleEndian.Uint32(h[8:]) == pcapngBOM:
		r.bo = binary.LittleEndian
	case binary.BigEndian.Uint32(h[8:]) == pcapngBOM:
		r.bo = binary.BigEndian
	default:
		return r.errf(at, "section header: bad byte-order magic %x", h[8:])
	}
	total := r.bo.Uint32(h[4:])
	if total < 28 || total%4 != 0 || total > pcapngMaxBlock {
		return r.errf(at, "section header: invalid total length %d", total)
	}
	body, err := r.readBody(at, int(total)-16)
	if err != nil {
		return err
	}
	if major := r.bo.Uint16(body[0:]); major != 1 {
		return r.errf(at, "section header: unsupported major version %d", major)
	}
	var t [4]byte
	if err := r.readFull(t[:]); err != nil {
		return r.errf(at, "section header trailer: %v", err)
	}
	if got := r.bo.Uint32(t[:]); got != total {
		return r.errf(at, "section header: trailing length %d != leading length %d", got, total)
	}
	r.ifaces = r.ifaces[:0] // interface ids are per section
	return nil
}

// options iterates over the options in b, calling f for each.
func (r *Reader) options(at int64, b []byte, f func(code uint16, val []byte) error) error {
	for len(b) >= 4 {
		code, n := r.bo.Uint16(b[0:]), int(r.bo.Uint16(b[2:]))
		if code == optEnd {
			return nil
		}
		if 4+n > len(b) {
			return r.errf(at, "option %d: length %d runs past the block", code, n)
		}
		if err := f(code, b[4:4+n]); err != nil {
			return err
		}
		adv := 4 + n + pad4(n)
		if adv > len(b) {
			return nil // padding missing after the last option: tolerated
		}
		b = b[adv:]
	}
	return nil
}

func (r *Reader) parseIDB(at int64, b []byte) error {
	if len(b) < 8 {
		return r.errf(at, "interface description: body %d bytes, want at least 8", len(b))
	}
	s := ifaceState{
		Interface:   Interface{LinkType: LinkType(r.bo.Uint16(b[0:])), SnapLen: r.bo.Uint32(b[4:]), TimestampResolution: time.Microsecond},
		unitsPerSec: 1e6,
	}
	err := r.options(at, b[8:], func(code uint16, v []byte) error {
		switch code {
		case optIfName:
			s.Name = string(v)
		case optIfDescription:
			s.Description = string(v)
		case optIfTsresol:
			if len(v) != 1 {
				return r.errf(at, "if_tsresol: length %d, want 1", len(v))
			}
			e := uint64(v[0] & 0x7f)
			if v[0]&0x80 == 0 {
				if e > 19 {
					return r.errf(at, "if_tsresol 10^-%d out of range", e)
				}
				s.unitsPerSec = 1
				for range e {
					s.unitsPerSec *= 10
				}
			} else {
				if e > 63 {
					return r.errf(at, "if_tsresol 2^-%d out of range", e)
				}
				s.unitsPerSec = 1 << e
			}
			s.TimestampResolution = time.Duration(max(1, 1e9/s.unitsPerSec))
		case optIfTsoffset:
			if len(v) != 8 {
				return r.errf(at, "if_tsoffset: length %d, want 8", len(v))
			}
			s.offset = int64(r.bo.Uint64(v))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(r.ifaces) >= 1<<16 {
		return r.errf(at, "more than 65536 interfaces in one section")
	}
	r.ifaces = append(r.ifaces, s)
	return nil
}

// timestamp converts a pcapng timestamp of interface id to time.
func (r *Reader) timestamp(id int, hi, lo uint32) time.Time {
	s := &r.ifaces[id]
	ts := uint64(hi)<<32 | uint64(lo)
	sec := ts / s.unitsPerSec
	frac := ts % s.unitsPerSec
	h, l := bits.Mul64(frac, 1e9)
	nsec, _ := bits.Div64(h, l, s.unitsPerSec) // h < unitsPerSec since frac < unitsPerSec
	return time.Unix(int64(sec)+s.offset, int64(nsec))
}

func (r *Reader) iface(at int64, id uint32, what string) error {
	if int64(id) >= int64(len(r.ifaces)) {
		return r.errf(at, "%s: interface id %d not described (section has %d interfaces)", what, id, len(r.ifaces))
	}
	return nil
}

func (r *Reader) parseEPB(at int64, b []byte) (Record, error) {
	if len(b) < 20 {
		return Record{}, r.errf(at, "enhanced packet: body %d bytes, want at least 20", len(b))
	}
	id := r.bo.Uint32(b[0:])
	if err := r.iface(at, id, "enhanced packet"); err != nil {
		return Record{}, err
	}
	capLen, origLen := r.bo.Uint32(b[12:]), r.bo.Uint32(b[16:])
	if uint64(capLen) > uint64(len(b)-20) {
		return Record{}, r.errf(at, "enhanced packet: captured length %d exceeds block (%d bytes)", capLen, len(b)-20)
	}
	rec := Record{Interface: int(id), Data: b[20 : 20+capLen]}
	rec.Timestamp = r.timestamp(int(id), r.bo.Uint32(b[4:]), r.bo.Uint32(b[8:]))
	rec.Length = int(max(origLen, capLen))
	optStart := 20 + int(capLen) + pad4(int(capLen))
	if optStart < len(b) {
		err := r.options(at, b[optStart:], func(code uint16, v []byte) error {
			if code == optEPBFlags && len(v) == 4 {
				rec.Direction = Direction(r.bo.Uint32(v) & 3)
			}
			return nil
		})
		if err != nil {
			return Record{}, err
		}
	}
	return rec, nil
}

func (r *Reader) parseSPB(at int64, b []byte) (Record, error) {
	if len(b) < 4 {
		return Record{}, r.errf(at, "simple packet: body %d bytes, want at least 4", len(b))
	}
	if err := r.iface(at, 0, "simple packet"); err != nil {
		return Record{}, err
	}
	orig := r.bo.Uint32(b[0:])
	n := min(uint64(orig), uint64(len(b)-4))
	if snap := r.ifaces[0].SnapLen; snap != 0 {
		n = min(n, uint64(snap))
	}
	return Record{Data: b[4 : 4+n], CaptureInfo: CaptureInfo{Length: int(orig)}}, nil
}

func (r *Reader) parsePB(at int64, b []byte) (Record, error) {
	if len(b) < 20 {
		return Record{}, r.errf(at, "packet block: body %d bytes, want at least 20", len(b))
	}
	id := uint32(r.bo.Uint16(b[0:]))
	if err := r.iface(at, id, "packet block"); err != nil {
		return Record{}, err
	}
	capLen, origLen := r.bo.Uint32(b[12:]), r.bo.Uint32(b[16:])
	if uint64(capLen) > uint64(len(b)-20) {
		return Record{}, r.errf(at, "packet block: captured length %d exceeds block", capLen)
	}
	rec := Record{Interface: int(id), Data: b[20 : 20+capLen]}
	rec.Timestamp = r.timestamp(int(id), r.bo.Uint32(b[4:]), r.bo.Uint32(b[8:]))
	rec.Length = int(max(origLen, capLen))
	return rec, nil
}

func (r *Reader) parseISB(at int64, b []byte) error {
	if len(b) < 12 {
		return r.errf(at, "interface statistics: body %d bytes, want at least 12", len(b))
	}
	id := r.bo.Uint32(b[0:])
	if err := r.iface(at, id, "interface statistics"); err != nil {
		return err
	}
	st := InterfaceStats{Timestamp: r.timestamp(int(id), r.bo.Uint32(b[4:]), r.bo.Uint32(b[8:]))}
	err := r.options(at, b[12:], func(code uint16, v []byte) error {
		if len(v) != 8 {
			return nil
		}
		u := r.bo.Uint64(v)
		switch code {
		case optISBStart:
			st.Start = r.timestamp(int(id), r.bo.Uint32(v[0:]), r.bo.Uint32(v[4:]))
		case optISBEnd:
			st.End = r.timestamp(int(id), r.bo.Uint32(v[0:]), r.bo.Uint32(v[4:]))
		case optISBIfRecv:
			st.Received = u
		case optISBIfDrop:
			st.Dropped = u
		case optISBUsrDeliv:
			st.Delivered = u
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.ifaces[id].stats = &st
	return nil
}

func (r *Reader) readPcapRecord() (Record, error) {
	at := r.off
	var h [16]byte
	n, err := io.ReadFull(r.r, h[:])
	r.off += int64(n)
	if err == io.EOF {
		return Record{}, io.EOF
	}
	if err != nil {
		return Record{}, r.errf(at, "record header: %v", noEOF(err))
	}
	capLen, origLen := r.bo.Uint32(h[8:]), r.bo.Uint32(h[12:])
	if capLen > pcapngMaxBlock {
		return Record{}, r.errf(at, "record: captured length %d too large", capLen)
	}
	body, err := r.readBody(at, int(capLen))
	if err != nil {
		return Record{}, err
	}
	sub := int64(r.bo.Uint32(h[4:]))
	if !r.nanos {
		sub *= 1000
	}
	if sub >= 1e9 {
		return Record{}, r.errf(at, "record: sub-second timestamp %d out of range", r.bo.Uint32(h[4:]))
	}
	rec := Record{Data: body}
	rec.Timestamp = time.Unix(int64(r.bo.Uint32(h[0:])), sub)
	rec.Length = int(max(origLen, capLen))
	return rec, nil
}

// ErrNotCapture reports a file that is neither pcapng nor pcap.
var ErrNotCapture = errors.New("not a pcap or pcapng file")

// Interface returns interface id of the current section without copying
// the whole list.
func (r *Reader) Interface(id int) (Interface, bool) {
	if id < 0 || id >= len(r.ifaces) {
		return Interface{}, false
	}
	return r.ifaces[id].Interface, true
}
