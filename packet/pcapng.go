package packet

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// LinkType is a pcap/pcapng link-layer header type (LINKTYPE_*).
type LinkType uint16

// Link types used by fieldgate.
const (
	LinkTypeNull         LinkType = 0
	LinkTypeEthernet     LinkType = 1
	LinkTypeRaw          LinkType = 101
	LinkTypeLinuxSLL     LinkType = 113
	LinkTypeCANSocketCAN LinkType = 227
	LinkTypeIPv4         LinkType = 228
	LinkTypeIPv6         LinkType = 229
	LinkTypeLinuxSLL2    LinkType = 276
	linkTypeMax          LinkType = 0xffff
	defaultSnapLen                = 262144
	pcapngMaxBlock                = 16 << 20 // larger blocks are refused as corrupt
	pcapngBOM                     = 0x1A2B3C4D
	blockSHB                      = 0x0A0D0D0A
	blockIDB                      = 1
	blockPB                       = 2 // obsolete Packet Block
	blockSPB                      = 3
	blockNRB                      = 4
	blockISB                      = 5
	blockEPB                      = 6
	optEnd                        = 0
	optComment                    = 1
	optSHBUserAppl                = 4
	optIfName                     = 2
	optIfDescription              = 3
	optIfTsresol                  = 9
	optIfTsoffset                 = 14
	optEPBFlags                   = 2
	optEPBDropCount               = 4
	optISBStart                   = 2
	optISBEnd                     = 3
	optISBIfRecv                  = 4
	optISBIfDrop                  = 5
	optISBFilterAccept            = 6
	optISBOSDrop                  = 7
	optISBUsrDeliv                = 8
)

// Interface describes one capture interface of a pcapng file (one
// Interface Description Block). Packets refer to it by the index
// AddInterface returned, which is the IDB's position in the file, never the
// kernel's interface index.
type Interface struct {
	// Name is the interface name (if_name), such as "eth0" or "vcan0".
	Name string
	// Description is free text (if_description).
	Description string
	// LinkType is the link-layer type of every packet on the interface.
	LinkType LinkType
	// SnapLen is the maximum captured length; 0 means 262144.
	SnapLen uint32
	// TimestampResolution is the tick of packet timestamps when reading a
	// file (if_tsresol); the Writer always writes nanoseconds.
	TimestampResolution time.Duration
}

// Direction is the epb_flags direction of a packet.
type Direction uint8

// Directions.
const (
	DirectionUnknown  Direction = 0
	DirectionInbound  Direction = 1
	DirectionOutbound Direction = 2
)

// CaptureInfo is the per-packet metadata of a pcapng record.
type CaptureInfo struct {
	// Timestamp is the capture time (written with nanosecond resolution).
	Timestamp time.Time
	// Length is the packet's length on the wire; 0 means len(data).
	Length int
	// Direction is written as epb_flags when not DirectionUnknown.
	Direction Direction
}

// InterfaceStats are the counters of an Interface Statistics Block.
// Fields that are zero are written when HaveXxx is not needed: every
// counter below is always written.
type InterfaceStats struct {
	// Timestamp is when the counters were taken.
	Timestamp time.Time
	// Start and End bound the capture (isb_starttime/isb_endtime); zero
	// values are left out.
	Start, End time.Time
	// Received is the number of packets the interface/socket saw
	// (isb_ifrecv).
	Received uint64
	// Dropped is the number of packets lost for lack of buffer space
	// (isb_ifdrop), the kernel's PACKET_STATISTICS drops, as dumpcap
	// writes it.
	Dropped uint64
	// Delivered is the number of packets delivered to the writer
	// (isb_usrdeliv).
	Delivered uint64
}

// DirectionOf maps a packet's type to the pcapng direction.
func DirectionOf(t PacketType) Direction {
	if t == Outgoing {
		return DirectionOutbound
	}
	return DirectionInbound
}

var errWriterClosed = errors.New("pcapng: writer closed")

// blockWriter encodes pcapng blocks onto a buffered writer in host byte
// order (the SHB's byte-order magic tells readers which).
type blockWriter struct {
	bw      *bufio.Writer
	written int64
	scratch []byte
}

func (b *blockWriter) write(p []byte) error {
	n, err := b.bw.Write(p)
	b.written += int64(n)
	return err
}

// opt appends one option (code, length, value, padding) to dst.
func appendOpt(dst []byte, code uint16, val []byte) []byte {
	dst = binary.NativeEndian.AppendUint16(dst, code)
	dst = binary.NativeEndian.AppendUint16(dst, uint16(len(val)))
	dst = append(dst, val...)
	return append(dst, make([]byte, pad4(len(val)))...)
}

func appendOptU64(dst []byte, code uint16, v uint64) []byte {
	return appendOpt(dst, code, binary.NativeEndian.AppendUint64(nil, v))
}

func appendOptTime(dst []byte, code uint16, t time.Time) []byte {
	ns := uint64(t.UnixNano())
	var v [8]byte
	binary.NativeEndian.PutUint32(v[0:], uint32(ns>>32))
	binary.NativeEndian.PutUint32(v[4:], uint32(ns))
	return appendOpt(dst, code, v[:])
}

func pad4(n int) int { return (4 - n&3) & 3 }

// block frames body (everything between the length fields) as one block.
func (b *blockWriter) block(typ uint32, body []byte) error {
	total := 12 + len(body)
	b.scratch = b.scratch[:0]
	b.scratch = binary.NativeEndian.AppendUint32(b.scratch, typ)
	b.scratch = binary.NativeEndian.AppendUint32(b.scratch, uint32(total))
	b.scratch = append(b.scratch, body...)
	b.scratch = binary.NativeEndian.AppendUint32(b.scratch, uint32(total))
	return b.write(b.scratch)
}

func (b *blockWriter) shb(app string) error {
	body := binary.NativeEndian.AppendUint32(nil, pcapngBOM)
	body = binary.NativeEndian.AppendUint16(body, 1)
	body = binary.NativeEndian.AppendUint16(body, 0)
	body = binary.NativeEndian.AppendUint64(body, ^uint64(0)) // section length unknown
	if app != "" {
		body = appendOpt(body, optSHBUserAppl, []byte(app))
		body = appendOpt(body, optEnd, nil)
	}
	return b.block(blockSHB, body)
}

func (b *blockWriter) idb(ifc Interface) error {
	snap := ifc.SnapLen
	if snap == 0 {
		snap = defaultSnapLen
	}
	body := binary.NativeEndian.AppendUint16(nil, uint16(ifc.LinkType))
	body = binary.NativeEndian.AppendUint16(body, 0)
	body = binary.NativeEndian.AppendUint32(body, snap)
	if ifc.Name != "" {
		body = appendOpt(body, optIfName, []byte(ifc.Name))
	}
	if ifc.Description != "" {
		body = appendOpt(body, optIfDescription, []byte(ifc.Description))
	}
	body = appendOpt(body, optIfTsresol, []byte{9}) // 10^-9 s
	body = appendOpt(body, optEnd, nil)
	return b.block(blockIDB, body)
}

// epb writes an Enhanced Packet Block straight into the bufio buffer
// (AvailableBuffer): no allocation, one copy of the data.
func (b *blockWriter) epb(id int, ci CaptureInfo, data []byte) error {
	optLen := 0
	if ci.Direction != DirectionUnknown {
		optLen = 8 + 4 // epb_flags + opt_endofopt
	}
	total := 32 + len(data) + pad4(len(data)) + optLen
	if b.bw.Available() < total {
		if err := b.bw.Flush(); err != nil {
			return err
		}
	}
	var buf []byte
	if b.bw.Available() >= total {
		buf = b.bw.AvailableBuffer()
	} else {
		buf = b.scratch[:0] // larger than the whole buffer
	}
	ns := uint64(ci.Timestamp.UnixNano())
	orig := max(ci.Length, len(data))
	ne := binary.NativeEndian
	buf = ne.AppendUint32(buf, blockEPB)
	buf = ne.AppendUint32(buf, uint32(total))
	buf = ne.AppendUint32(buf, uint32(id))
	buf = ne.AppendUint32(buf, uint32(ns>>32))
	buf = ne.AppendUint32(buf, uint32(ns))
	buf = ne.AppendUint32(buf, uint32(len(data)))
	buf = ne.AppendUint32(buf, uint32(orig))
	buf = append(buf, data...)
	buf = append(buf, zeros[:pad4(len(data))]...)
	if optLen > 0 {
		buf = ne.AppendUint16(buf, optEPBFlags)
		buf = ne.AppendUint16(buf, 4)
		buf = ne.AppendUint32(buf, uint32(ci.Direction))
		buf = ne.AppendUint32(buf, 0) // opt_endofopt
	}
	buf = ne.AppendUint32(buf, uint32(total))
	if cap(buf) > cap(b.scratch) && b.bw.Available() < total {
		b.scratch = buf
	}
	return b.write(buf)
}

var zeros [4]byte

func (b *blockWriter) isb(id int, st InterfaceStats) error {
	ns := uint64(st.Timestamp.UnixNano())
	body := binary.NativeEndian.AppendUint32(nil, uint32(id))
	body = binary.NativeEndian.AppendUint32(body, uint32(ns>>32))
	body = binary.NativeEndian.AppendUint32(body, uint32(ns))
	if !st.Start.IsZero() {
		body = appendOptTime(body, optISBStart, st.Start)
	}
	if !st.End.IsZero() {
		body = appendOptTime(body, optISBEnd, st.End)
	}
	body = appendOptU64(body, optISBIfRecv, st.Received)
	body = appendOptU64(body, optISBIfDrop, st.Dropped)
	body = appendOptU64(body, optISBUsrDeliv, st.Delivered)
	body = appendOpt(body, optEnd, nil)
	return b.block(blockISB, body)
}

// validInterface checks an Interface before it is written.
func validInterface(ifc Interface) error {
	if len(ifc.Name) > 0xfff0 || len(ifc.Description) > 0xfff0 {
		return fmt.Errorf("pcapng: interface %.20q: name or description longer than 65520 bytes", ifc.Name)
	}
	return nil
}

var _ io.Writer = (*bufio.Writer)(nil)
