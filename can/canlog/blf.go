package canlog

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/fieldgate/fieldgate/can"
)

// BLF object types fieldgate reads and writes (Toby Lorenz's vector_blf
// numbering, as python-can uses it).
const (
	blfCANMessage    = 1
	blfLogContainer  = 10
	blfCANErrorExt   = 73
	blfCANMessage2   = 86
	blfCANFDMessage  = 100
	blfCANFDMessage6 = 101
)

const (
	blfFileHeaderSize = 144
	blfObjBase        = 16 // "LOBJ", header size, version, object size, type
	blfObjV1          = 16 // flags, client index, object version, timestamp
	blfObjV2          = 24
	blfContainerHead  = 16 // method, 6 pad, uncompressed size, 4 pad
	blfMaxContainer   = 128 << 10
	// blfMaxObject bounds objects and containers read: a corrupt size
	// field must not make the reader allocate gigabytes.
	blfMaxObject = 16 << 20
)

const (
	blfExtID  = 0x80000000
	blfRemote = 0x80
	blfDirTx  = 0x01
	blfEDL    = 0x1
	blfBRS    = 0x2
	blfESI    = 0x4
)

// systemTime encodes t (Unix ns) as a Windows SYSTEMTIME in local time,
// zero for times before 1990 (python-can's rule: not a wall-clock time).
func systemTime(b []byte, t int64) {
	clear(b[:16])
	if t < 631152000*int64(time.Second) {
		return
	}
	lt := time.Unix(0, t).Local()
	for i, v := range []int{lt.Year(), int(lt.Month()), int(lt.Weekday()), lt.Day(), lt.Hour(), lt.Minute(), lt.Second(), lt.Nanosecond() / 1e6} {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
}

func parseSystemTime(b []byte) int64 {
	var v [8]int
	for i := range v {
		v[i] = int(binary.LittleEndian.Uint16(b[2*i:]))
	}
	if v[0] == 0 || v[1] < 1 || v[1] > 12 || v[3] < 1 || v[3] > 31 || v[4] > 23 || v[5] > 59 || v[6] > 59 || v[7] > 999 {
		return 0
	}
	return time.Date(v[0], time.Month(v[1]), v[3], v[4], v[5], v[6], v[7]*1e6, time.Local).UnixNano()
}

// blfWriter writes Vector BLF as python-can's BLFWriter does: a 144-byte
// file header, then LOG_CONTAINER objects of up to 128 KiB of objects,
// zlib-compressed. Classic frames are CAN_MESSAGE objects, FD frames
// CAN_FD_MESSAGE, error frames CAN_ERROR_EXT; times are nanoseconds from
// the header's start time, which is the first record's time to the
// millisecond (local time), so readers recover times to the nanosecond.
type blfWriter struct {
	w       io.Writer
	at      io.WriterAt
	level   int
	buf     []byte // uncompressed objects of the current container
	out     bytes.Buffer
	zw      *zlib.Writer
	started bool
	start   int64
	stop    int64
	count   uint32
	size    int64 // bytes written to w
	usize   uint64
	err     error
}

func newBLFWriter(w io.Writer, o WriterOptions) *blfWriter {
	level := o.Level
	switch {
	case level == 0:
		level = zlib.DefaultCompression
	case level < 0:
		level = zlib.NoCompression
	}
	bw := &blfWriter{w: w, at: o.At, level: level, buf: make([]byte, 0, blfMaxContainer+256)}
	bw.zw, _ = zlib.NewWriterLevel(&bw.out, level)
	return bw
}

func (w *blfWriter) header(b []byte) []byte {
	b = append(b, "LOGG"...)
	b = binary.LittleEndian.AppendUint32(b, blfFileHeaderSize)
	b = append(b, 5, 0, 0, 0, 2, 6, 8, 1) // application ID and versions as python-can writes
	b = binary.LittleEndian.AppendUint64(b, uint64(w.size))
	b = binary.LittleEndian.AppendUint64(b, w.usize)
	b = binary.LittleEndian.AppendUint32(b, w.count)
	b = binary.LittleEndian.AppendUint32(b, 0)
	var st [32]byte
	systemTime(st[:16], w.start)
	systemTime(st[16:], w.stop)
	if !w.started {
		clear(st[:])
	}
	b = append(b, st[:]...)
	return append(b, make([]byte, blfFileHeaderSize-len(b))...)
}

func (w *blfWriter) write(b []byte) {
	if w.err != nil {
		return
	}
	n, err := w.w.Write(b)
	w.size += int64(n)
	w.err = err
}

func (w *blfWriter) Write(e *can.LogEntry) error {
	if w.err != nil {
		return w.err
	}
	t := unixNano(e.Time)
	if !w.started {
		w.start = t - t%int64(time.Millisecond)
		if t < 631152000*int64(time.Second) {
			w.start = 0
		}
		w.started = true
		w.usize = blfFileHeaderSize
		var hb [blfFileHeaderSize]byte
		w.write(w.header(hb[:0]))
	}
	w.stop = t
	f := &e.Frame
	ch := uint16(Channel(e.Iface))
	id := f.ID
	if f.Extended {
		id |= blfExtID
	}
	typ := uint32(blfCANMessage)
	var body int
	switch {
	case f.Error:
		typ, body = blfCANErrorExt, 32
	case f.IsFD():
		typ, body = blfCANFDMessage, 84
	default:
		body = 16
	}
	b := w.buf
	start := len(b)
	b = append(b, "LOBJ"...)
	b = binary.LittleEndian.AppendUint16(b, blfObjBase+blfObjV1)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint32(b, uint32(blfObjBase+blfObjV1+body))
	b = binary.LittleEndian.AppendUint32(b, typ)
	b = binary.LittleEndian.AppendUint32(b, 2) // TIME_ONE_NANS
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint64(b, uint64(max(t-w.start, 0)))
	b = binary.LittleEndian.AppendUint16(b, ch)
	switch typ {
	case blfCANErrorExt:
		// channel, length, flags, ecc, position, dlc, pad, frame length, id, flags ext, pad, data
		n := min(int(f.Len), can.MaxLen)
		b = append(b, 0, 0, 0, 0, 0, 0, 0, 0, byte(n), 0, 0, 0, 0, 0)
		b = binary.LittleEndian.AppendUint32(b, id)
		b = append(b, 0, 0, 0, 0)
		b = append(b, f.Data[:8]...)
		clear(b[len(b)-8+n:])
	case blfCANFDMessage:
		// channel, flags, dlc, id, frame length, bit count, FD flags, valid bytes, 5 pad, data[64]
		fl := byte(0)
		if e.Dir == 'T' {
			fl |= blfDirTx
		}
		b = append(b, fl, can.LenToDLC(int(f.Len)))
		b = binary.LittleEndian.AppendUint32(b, id)
		fd := byte(blfEDL)
		if f.Flags&can.BRS != 0 {
			fd |= blfBRS
		}
		if f.Flags&can.ESI != 0 {
			fd |= blfESI
		}
		b = append(b, 0, 0, 0, 0, 0, fd, f.Len, 0, 0, 0, 0, 0)
		b = append(b, f.Data[:]...)
		clear(b[len(b)-64+int(f.Len):])
	default:
		// channel, flags, dlc, id, data[8]
		fl := byte(0)
		if e.Dir == 'T' {
			fl |= blfDirTx
		}
		if f.Remote {
			fl |= blfRemote
		}
		n := min(int(f.Len), can.MaxLen)
		dlc := byte(n)
		if n == can.MaxLen && f.Len8DLC > can.MaxLen {
			dlc = f.Len8DLC
		}
		b = append(b, fl, dlc)
		b = binary.LittleEndian.AppendUint32(b, id)
		b = append(b, f.Data[:8]...)
		if f.Remote {
			clear(b[len(b)-8:])
		} else {
			clear(b[len(b)-8+n:])
		}
	}
	_ = start
	w.buf = b
	w.count++
	if len(w.buf) >= blfMaxContainer {
		return w.container()
	}
	return nil
}

// container compresses and writes the buffered objects as one
// LOG_CONTAINER.
func (w *blfWriter) container() error {
	if len(w.buf) == 0 || w.err != nil {
		return w.err
	}
	w.out.Reset()
	method := uint16(2)
	var data []byte
	if w.level == zlib.NoCompression {
		method, data = 0, w.buf
	} else {
		w.zw.Reset(&w.out)
		w.zw.Write(w.buf)
		if err := w.zw.Close(); err != nil {
			return err
		}
		data = w.out.Bytes()
	}
	size := blfObjBase + blfContainerHead + len(data)
	var h [blfObjBase + blfContainerHead]byte
	copy(h[:], "LOBJ")
	binary.LittleEndian.PutUint16(h[4:], blfObjBase)
	binary.LittleEndian.PutUint16(h[6:], 1)
	binary.LittleEndian.PutUint32(h[8:], uint32(size))
	binary.LittleEndian.PutUint32(h[12:], blfLogContainer)
	binary.LittleEndian.PutUint16(h[16:], method)
	binary.LittleEndian.PutUint32(h[24:], uint32(len(w.buf)))
	w.write(h[:])
	w.write(data)
	if pad := size % 4; pad > 0 {
		w.write(make([]byte, 4)[:pad])
	}
	w.usize += uint64(blfObjBase + blfContainerHead + len(w.buf))
	w.buf = w.buf[:0]
	return w.err
}

// Flush writes the buffered objects as a container (a short one when the
// log is quiet, which costs compression, not correctness).
func (w *blfWriter) Flush() error {
	if err := w.container(); err != nil {
		return err
	}
	if f, ok := w.w.(interface{ Flush() error }); ok {
		return f.Flush()
	}
	return nil
}

func (w *blfWriter) Buffered() int { return len(w.buf) }

func (w *blfWriter) Close() error {
	if !w.started {
		w.usize = blfFileHeaderSize
		var hb [blfFileHeaderSize]byte
		w.write(w.header(hb[:0]))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if w.at != nil {
		var hb [blfFileHeaderSize]byte
		if _, err := w.at.WriteAt(w.header(hb[:0]), 0); err != nil {
			return fmt.Errorf("canlog: updating the BLF header: %w", err)
		}
	}
	return w.err
}

// blfReader reads Vector BLF: CAN_MESSAGE, CAN_MESSAGE2, CAN_FD_MESSAGE,
// CAN_FD_MESSAGE_64 and CAN_ERROR_EXT objects, in LOG_CONTAINERs
// (uncompressed or zlib) or at the top level; other objects are skipped.
type blfReader struct {
	r     io.Reader
	name  string
	off   int64 // file offset of the next top-level object
	start int64
	head  bool
	obj   []byte // the current top-level object
	data  []byte // uncompressed data being parsed (tail of the previous container first)
	pos   int
	coff  int64 // file offset of the object data comes from
	top   bool  // data is a top-level object, not a container's content
	cbase int   // bytes of data that came from earlier containers
	pend  error // error to return once data is parsed
	zr    io.ReadCloser
	ch    ifaces
	eof   bool
}

func newBLFReader(r io.Reader, name string) *blfReader {
	return &blfReader{r: r, name: name}
}

func (r *blfReader) errAt(off int64, in int64, format string, args ...any) *Error {
	if r.top && in >= 0 {
		// In a top-level object: data starts at its file offset.
		off, in = off+in, -1
	}
	return &Error{Name: r.name, Offset: off, In: in, Msg: fmt.Sprintf(format, args...)}
}

func (r *blfReader) readHeader() error {
	var h [72]byte
	n, err := io.ReadFull(r.r, h[:])
	if n >= 4 && string(h[:4]) != "LOGG" {
		return r.errAt(0, -1, "signature %q: not a BLF file (want LOGG)", h[:4])
	}
	if err != nil {
		if n == 0 && err == io.EOF {
			return r.errAt(0, -1, "empty file: not a BLF file")
		}
		return r.errAt(int64(n), -1, "file header truncated after %d bytes", n)
	}
	hs := binary.LittleEndian.Uint32(h[4:])
	if hs < 72 || hs > 4096 {
		return r.errAt(4, -1, "file header size %d: want 72..4096", hs)
	}
	if _, err := io.CopyN(io.Discard, r.r, int64(hs)-72); err != nil {
		return r.errAt(72, -1, "file header truncated")
	}
	r.start = parseSystemTime(h[40:56])
	r.off = int64(hs)
	r.head = true
	return nil
}

func (r *blfReader) Next() (can.LogEntry, error) {
	if !r.head {
		if err := r.readHeader(); err != nil {
			return can.LogEntry{}, err
		}
	}
	for {
		e, ok, err := r.parse()
		if err != nil || ok {
			return e, err
		}
		// data is used up (a partial object may remain as the tail).
		if r.pend != nil {
			err := r.pend
			r.pend = nil
			r.eof = true
			return can.LogEntry{}, err
		}
		if r.eof {
			if len(r.data)-r.pos > 0 {
				return can.LogEntry{}, r.errAt(r.coff, int64(r.pos-r.cbase), "file ends inside an object (%d bytes of it)", len(r.data)-r.pos)
			}
			return can.LogEntry{}, io.EOF
		}
		if err := r.nextObject(); err != nil {
			if err == io.EOF {
				r.eof = true
				continue
			}
			r.pend = err
		}
	}
}

// nextObject reads the next top-level object and appends its content
// (a container's uncompressed data, or the object itself) to data.
func (r *blfReader) nextObject() error {
	var h [blfObjBase]byte
	n, err := io.ReadFull(r.r, h[:])
	if err != nil {
		if n == 0 && err == io.EOF {
			return io.EOF
		}
		return r.errAt(r.off, -1, "object header truncated after %d bytes", n)
	}
	if string(h[:4]) != "LOBJ" {
		return r.errAt(r.off, -1, "object signature %q (want LOBJ)", h[:4])
	}
	size := int64(binary.LittleEndian.Uint32(h[8:]))
	typ := binary.LittleEndian.Uint32(h[12:])
	if size < blfObjBase || size > blfMaxObject {
		return r.errAt(r.off+8, -1, "object size %d out of range", size)
	}
	off := r.off
	total := size + size%4
	r.off += total
	// Keep the unparsed tail of the previous data.
	tail := len(r.data) - r.pos
	copy(r.data, r.data[r.pos:])
	r.data = r.data[:tail]
	r.cbase = tail
	r.pos = 0
	body := int(size - blfObjBase)
	if cap(r.obj) < body {
		r.obj = make([]byte, body)
	}
	r.obj = r.obj[:body]
	n, err = io.ReadFull(r.r, r.obj)
	r.obj = r.obj[:n]
	var trunc error
	if err != nil {
		trunc = r.errAt(off, -1, "object of %d bytes truncated: the file ends after %d", size, blfObjBase+n)
	} else if pad := size % 4; pad > 0 {
		var p [4]byte
		if _, err := io.ReadFull(r.r, p[:pad]); err != nil {
			trunc = r.errAt(off+size, -1, "padding truncated")
		}
	}
	if typ != blfLogContainer {
		// A top-level object: parse it in place of a container's data.
		if trunc != nil {
			return trunc
		}
		r.coff, r.top = off, true
		r.data = append(append(r.data, h[:]...), r.obj...)
		return nil
	}
	r.coff, r.top = off, false
	if len(r.obj) < blfContainerHead {
		if trunc != nil {
			return trunc
		}
		return r.errAt(off, -1, "LOG_CONTAINER of %d bytes has no container header", size)
	}
	method := binary.LittleEndian.Uint16(r.obj)
	usize := int(binary.LittleEndian.Uint32(r.obj[8:]))
	if usize > blfMaxObject {
		return r.errAt(off+blfObjBase+8, -1, "container's uncompressed size %d out of range", usize)
	}
	payload := r.obj[blfContainerHead:]
	switch method {
	case 0:
		r.data = append(r.data, payload...)
		return trunc
	case 2:
	default:
		return r.errAt(off+blfObjBase, -1, "unknown compression method %d", method)
	}
	if r.zr == nil {
		r.zr, err = zlib.NewReader(bytes.NewReader(payload))
	} else {
		err = r.zr.(zlib.Resetter).Reset(bytes.NewReader(payload), nil)
	}
	if err != nil {
		return r.errAt(off+blfObjBase+blfContainerHead, -1, "zlib header: %v", err)
	}
	if cap(r.data) < tail+usize {
		r.data = append(make([]byte, 0, tail+usize), r.data...)
	}
	got, zerr := io.ReadFull(r.zr, r.data[tail:tail+usize])
	r.data = r.data[:tail+got]
	if zerr == nil {
		// The stream must end here: more data is corruption.
		var one [1]byte
		if k, _ := r.zr.Read(one[:]); k > 0 {
			zerr = fmt.Errorf("more than the %d bytes the container header announces", usize)
		}
	} else if zerr == io.ErrUnexpectedEOF || zerr == io.EOF {
		zerr = fmt.Errorf("decompressed %d of %d bytes", got, usize)
	} else if _, ok := zerr.(flate.CorruptInputError); ok {
		zerr = fmt.Errorf("corrupt zlib data after %d of %d bytes: %v", got, usize, zerr)
	}
	if trunc != nil {
		return trunc
	}
	if zerr != nil {
		return r.errAt(off, int64(got), "%v", zerr)
	}
	return nil
}

// parse returns the next frame object in data. ok is false when data
// holds no complete object; the partial object stays for the next
// container.
func (r *blfReader) parse() (e can.LogEntry, ok bool, err error) {
	for {
		d := r.data[r.pos:]
		// Objects may be followed by up to 7 bytes of padding (python-can
		// pads by the body length modulo 4).
		skip := 0
		for skip < len(d) && skip < 8 && !bytes.HasPrefix(d[skip:], []byte("LOBJ")) {
			if d[skip] != 0 {
				return e, false, r.errAt(r.coff, int64(r.pos+skip-r.cbase), "object signature %q (want LOBJ)", clip(d[skip:], 4))
			}
			skip++
		}
		if skip == 8 {
			return e, false, r.errAt(r.coff, int64(r.pos-r.cbase), "no object within 8 bytes")
		}
		d = d[skip:]
		if len(d) < blfObjBase+blfObjV1 {
			r.pos += skip
			return e, false, nil
		}
		hsize := int(binary.LittleEndian.Uint16(d[4:]))
		ver := binary.LittleEndian.Uint16(d[6:])
		size := int(binary.LittleEndian.Uint32(d[8:]))
		typ := binary.LittleEndian.Uint32(d[12:])
		at := int64(r.pos + skip - r.cbase)
		if size < blfObjBase || size > blfMaxObject || hsize < blfObjBase || hsize > size {
			return e, false, r.errAt(r.coff, at, "object size %d (header %d) out of range", size, hsize)
		}
		if len(d) < size {
			r.pos += skip
			return e, false, nil
		}
		r.pos += skip + size
		obj := d[:size]
		var flags uint32
		var ts uint64
		switch ver {
		case 1:
			if hsize < blfObjBase+blfObjV1 {
				return e, false, r.errAt(r.coff, at, "object header of %d bytes too short for version 1", hsize)
			}
			flags, ts = binary.LittleEndian.Uint32(obj[16:]), binary.LittleEndian.Uint64(obj[24:])
		case 2:
			if hsize < blfObjBase+blfObjV2 {
				return e, false, r.errAt(r.coff, at, "object header of %d bytes too short for version 2", hsize)
			}
			flags, ts = binary.LittleEndian.Uint32(obj[16:]), binary.LittleEndian.Uint64(obj[24:])
		default:
			continue // unknown header versions are skipped, as python-can does
		}
		b := obj[hsize:]
		need := 0
		switch typ {
		case blfCANMessage, blfCANMessage2:
			need = 16
		case blfCANErrorExt:
			need = 32
		case blfCANFDMessage:
			need = 84
		case blfCANFDMessage6:
			need = 40
		}
		if need == 0 {
			continue // markers, statistics, other buses
		}
		if len(b) < need {
			return e, false, r.errAt(r.coff, at, "object type %d: %d bytes, want %d", typ, len(b), need)
		}
		rel := int64(ts)
		if flags == 1 { // TIME_TEN_MICS
			rel *= 10000
		}
		e.Time = time.Unix(0, r.start+rel)
		f := &e.Frame
		var ch uint16
		var id uint32
		switch typ {
		case blfCANMessage, blfCANMessage2:
			ch, id = binary.LittleEndian.Uint16(b), binary.LittleEndian.Uint32(b[4:])
			fl, dlc := b[2], b[3]
			f.Remote = fl&blfRemote != 0
			if fl&blfDirTx != 0 {
				e.Dir = 'T'
			}
			if dlc > 15 {
				return e, false, r.errAt(r.coff, at, "CAN_MESSAGE DLC %d out of range", dlc)
			}
			f.Len = min(dlc, 8)
			if dlc > 8 {
				f.Len8DLC = dlc
			}
			if !f.Remote {
				copy(f.Data[:], b[8:8+f.Len])
			}
		case blfCANErrorExt:
			ch, id = binary.LittleEndian.Uint16(b), binary.LittleEndian.Uint32(b[16:])
			dlc := b[10]
			f.Error = true
			f.Len = min(dlc, 8)
			copy(f.Data[:], b[24:24+f.Len])
		case blfCANFDMessage:
			ch, id = binary.LittleEndian.Uint16(b), binary.LittleEndian.Uint32(b[4:])
			fl, dlc, fdf, n := b[2], b[3], b[13], b[14]
			if fl&blfDirTx != 0 {
				e.Dir = 'T'
			}
			f.Remote = fl&blfRemote != 0
			if fdf&blfEDL != 0 {
				f.Flags = can.FDF
				if fdf&blfBRS != 0 {
					f.Flags |= can.BRS
				}
				if fdf&blfESI != 0 {
					f.Flags |= can.ESI
				}
				f.Remote = false
			} else if n > 8 || dlc > 15 {
				return e, false, r.errAt(r.coff, at, "classic frame in CAN_FD_MESSAGE with %d bytes", n)
			}
			if n > 64 {
				return e, false, r.errAt(r.coff, at, "CAN_FD_MESSAGE with %d valid bytes", n)
			}
			f.Len = n
			if f.Remote {
				f.Len = min(dlc, 8)
			} else {
				copy(f.Data[:], b[20:20+int(n)])
			}
		case blfCANFDMessage6:
			// channel u8, dlc, valid bytes, tx count, id, frame length, flags u32,
			// bit rates, offsets, bit count u16, direction u8 at 34, ext data
			// offset, crc; the data follows at 40
			ch = uint16(b[0])
			dlc, n := b[1], b[2]
			id = binary.LittleEndian.Uint32(b[4:])
			fl := binary.LittleEndian.Uint32(b[12:])
			if b[34] != 0 {
				e.Dir = 'T'
			}
			if n > 64 || len(b) < 40+int(n) {
				return e, false, r.errAt(r.coff, at, "CAN_FD_MESSAGE_64 with %d valid bytes in %d", n, len(b))
			}
			if fl&0x1000 != 0 {
				f.Flags = can.FDF
				if fl&0x2000 != 0 {
					f.Flags |= can.BRS
				}
				if fl&0x4000 != 0 {
					f.Flags |= can.ESI
				}
			} else {
				f.Remote = fl&0x10 != 0
				if n > 8 {
					return e, false, r.errAt(r.coff, at, "classic frame in CAN_FD_MESSAGE_64 with %d bytes", n)
				}
			}
			f.Len = n
			if f.Remote {
				f.Len = min(dlc, 8)
			} else {
				copy(f.Data[:], b[40:40+int(n)])
			}
		}
		f.Extended = id&blfExtID != 0
		f.ID = id & can.EFFMask
		if f.Error {
			f.ID &= can.ErrMask
		} else if !f.Extended && f.ID > can.SFFMask {
			return e, false, r.errAt(r.coff, at, "standard identifier %#x over 11 bits", f.ID)
		}
		e.Iface = r.ch.name(int(ch))
		return e, true, nil
	}
}

func clip(b []byte, n int) []byte { return b[:min(len(b), n)] }
