package canlog

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"strconv"
	"time"

	"github.com/fieldgate/fieldgate/can"
)

const csvHeader = "timestamp,arbitration_id,extended,remote,error,dlc,data"

// csvWriter writes python-can's CSV: a header line, then
//
//	timestamp,arbitration_id,extended,remote,error,dlc,data
//	1714564800.000002,0x123,0,0,0,2,Aqs=
//
// with the time in seconds (6 decimals), the identifier in hex, the data
// in base64. It has no channel and no FD flags: FD frames are refused.
type csvWriter struct {
	w      *bufio.Writer
	buf    []byte
	header bool
}

func newCSVWriter(w io.Writer, header bool) *csvWriter {
	return &csvWriter{w: bufio.NewWriterSize(w, 64<<10), buf: make([]byte, 0, 256), header: header}
}

func flag01(b []byte, v bool) []byte {
	if v {
		return append(b, ",1"...)
	}
	return append(b, ",0"...)
}

func (w *csvWriter) Write(e *can.LogEntry) error {
	f := &e.Frame
	if f.IsFD() {
		return errCSVFD
	}
	if w.header {
		w.w.WriteString(csvHeader + "\n")
		w.header = false
	}
	b := appendFixed(w.buf[:0], unixNano(e.Time), 0, 6)
	b = append(b, ",0x"...)
	b = strconv.AppendUint(b, uint64(f.ID), 16)
	b = flag01(b, f.Extended)
	b = flag01(b, f.Remote)
	b = flag01(b, f.Error)
	b = append(b, ',')
	n := min(int(f.Len), can.MaxLen)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, ',')
	if !f.Remote {
		b = base64.StdEncoding.AppendEncode(b, f.Data[:n])
	}
	b = append(b, '\n')
	w.buf = b
	_, err := w.w.Write(b)
	return err
}

func (w *csvWriter) Flush() error  { return w.w.Flush() }
func (w *csvWriter) Buffered() int { return w.w.Buffered() }
func (w *csvWriter) Close() error  { return w.w.Flush() }

// csvReader reads python-can's CSV. Like python-can it skips the first
// line when it is the header; payloads over 8 bytes (python-can writes FD
// frames without their flags) are read as CAN FD frames.
type csvReader struct {
	l    lineReader
	name string
	f    [][]byte
	data [128]byte
}

func newCSVReader(r io.Reader, name string) *csvReader {
	return &csvReader{l: newLineReader(r), name: name, f: make([][]byte, 0, 8)}
}

func (r *csvReader) Next() (can.LogEntry, error) {
	var e can.LogEntry
	for {
		line, err := r.l.next()
		if line == nil {
			if err != nil {
				return e, &Error{Name: r.name, Line: r.l.line + 1, Offset: -1, In: -1, Msg: err.Error(), Err: err}
			}
			return e, io.EOF
		}
		if len(bytes.TrimSpace(line)) == 0 || (r.l.line == 1 && bytes.HasPrefix(line, []byte("timestamp,"))) {
			continue
		}
		f := r.f[:0]
		for {
			i := bytes.IndexByte(line, ',')
			if i < 0 {
				f = append(f, line)
				break
			}
			f = append(f, line[:i])
			line = line[i+1:]
		}
		r.f = f
		fail := func(format string, args ...any) (can.LogEntry, error) {
			return can.LogEntry{}, lineError(r.name, r.l.line, format, args...)
		}
		if len(f) != 7 {
			return fail("%d fields, want 7 (%s)", len(f), csvHeader)
		}
		ns, ok := parseDecimal(f[0], 0)
		if !ok {
			return fail("timestamp %q is not a decimal number of seconds", f[0])
		}
		id, ok := parseHex(f[1])
		if !ok {
			return fail("arbitration_id %q is not hex", f[1])
		}
		var fl [3]bool
		for i := range fl {
			switch string(f[2+i]) {
			case "1":
				fl[i] = true
			case "0":
			default:
				return fail("%s %q: want 0 or 1", [3]string{"extended", "remote", "error"}[i], f[2+i])
			}
		}
		fr := &e.Frame
		fr.Extended, fr.Remote, fr.Error = fl[0], fl[1], fl[2]
		switch {
		case fr.Error && id > can.ErrMask:
			return fail("arbitration_id %q: error class out of range", f[1])
		case !fr.Error && fr.Extended && id > can.EFFMask:
			return fail("arbitration_id %q: more than 29 bits", f[1])
		case !fr.Error && !fr.Extended && id > can.SFFMask:
			return fail("arbitration_id %q: more than 11 bits in a standard frame", f[1])
		}
		fr.ID = id
		dlc, ok := parseUint(f[5], 10, can.FDMaxLen)
		if !ok {
			return fail("dlc %q: want 0..64", f[5])
		}
		if len(f[6]) > base64.StdEncoding.EncodedLen(can.FDMaxLen) {
			return fail("data: more than 64 bytes")
		}
		n, err := base64.StdEncoding.Decode(r.data[:], f[6])
		if err != nil {
			return fail("data %q is not base64: %v", f[6], err)
		}
		if n > can.FDMaxLen {
			return fail("data: more than 64 bytes")
		}
		if fr.Remote {
			if n != 0 || dlc > can.MaxLen {
				return fail("remote frame with data or a dlc over 8")
			}
			fr.Len = uint8(dlc)
		} else {
			if int(dlc) != n {
				return fail("dlc %d but %d data bytes", dlc, n)
			}
			fr.Len = uint8(n)
			copy(fr.Data[:], r.data[:n])
			if n > can.MaxLen {
				fr.Flags = can.FDF
			}
		}
		e.Time = time.Unix(0, ns)
		return e, nil
	}
}
