package canlog

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/fieldgate/fieldgate/can"
)

// ascDate is the layout of ASC's "date" and "Begin Triggerblock" lines as
// python-can and CANoe write them (local time, milliseconds).
const ascDate = "Mon Jan 02 03:04:05.000 PM 2006"

// ascWriter writes Vector ASC as python-can's ASCWriter does: a header
// with the first record's time (milliseconds, local time), then each
// record's time relative to it with microseconds.
type ascWriter struct {
	w       *bufio.Writer
	buf     []byte
	started bool
	start   int64 // Unix ns of the Begin Triggerblock time
}

func newASCWriter(w io.Writer) *ascWriter {
	return &ascWriter{w: bufio.NewWriterSize(w, 64<<10), buf: make([]byte, 0, 512)}
}

func (w *ascWriter) header(t int64) {
	w.start = t - t%int64(time.Millisecond)
	d := time.Unix(0, w.start).Local().Format(ascDate)
	b := w.buf[:0]
	b = append(b, "date "...)
	b = append(b, d...)
	b = append(b, "\nbase hex  timestamps absolute\ninternal events logged\nBegin Triggerblock "...)
	b = append(b, d...)
	b = append(b, "\n 0.000000 Start of measurement\n"...)
	w.w.Write(b)
	w.started = true
}

func (w *ascWriter) Write(e *can.LogEntry) error {
	t := unixNano(e.Time)
	if !w.started {
		w.header(t)
	}
	rel := max(t-w.start, 0)
	f := &e.Frame
	b := append(w.buf[:0], ' ')
	b = appendFixed(b, rel, 0, 6)
	b = append(b, ' ')
	ch := Channel(e.Iface)
	dir := "Rx"
	if e.Dir == 'T' {
		dir = "Tx"
	}
	var id [9]byte
	idb := appendHexID(id[:0], f.ID, 1)
	if f.Extended {
		idb = append(idb, 'x')
	}
	switch {
	case f.Error:
		b = strconv.AppendInt(b, int64(ch), 10)
		b = append(b, "  ErrorFrame"...)
	case f.IsFD():
		// CANFD {channel:>3} {dir:<4} {id:>8}  {symbolic_name:>32} {brs} {esi} {dlc:x} {data_length:>2} {data} ...
		var tmp [8]byte
		b = append(b, "CANFD "...)
		b = appendRight(b, strconv.AppendInt(tmp[:0], int64(ch), 10), 3)
		b = append(b, ' ')
		b = appendLeft(b, []byte(dir), 4)
		b = append(b, ' ')
		b = appendRight(b, idb, 8)
		b = append(b, "  "...)
		b = padLeft(b, 32, 0)
		flags := 0x1000
		b = append(b, ' ')
		if f.Flags&can.BRS != 0 {
			b = append(b, '1')
			flags |= 0x2000
		} else {
			b = append(b, '0')
		}
		b = append(b, ' ')
		if f.Flags&can.ESI != 0 {
			b = append(b, '1')
			flags |= 0x4000
		} else {
			b = append(b, '0')
		}
		b = append(b, ' ', hexLower[can.LenToDLC(int(f.Len))], ' ')
		b = appendRight(b, strconv.AppendInt(tmp[:0], int64(f.Len), 10), 2)
		b = append(b, ' ')
		for i, c := range f.Data[:f.Len] {
			if i > 0 {
				b = append(b, ' ')
			}
			b = appendHexByte(b, c)
		}
		b = append(b, "        0    0 "...)
		b = appendRight(b, appendHexID(tmp[:0], uint32(flags), 1), 8)
		b = append(b, "        0        0        0        0        0"...)
	default:
		// {channel}  {id:<15} {dir:<4} {dtype} {data}
		b = strconv.AppendInt(b, int64(ch), 10)
		b = append(b, "  "...)
		b = appendLeft(b, idb, 15)
		b = append(b, ' ')
		b = appendLeft(b, []byte(dir), 4)
		b = append(b, ' ')
		n := min(int(f.Len), can.MaxLen)
		if f.Remote {
			b = append(b, 'r', ' ', hexLower[n], ' ')
		} else {
			b = append(b, 'd', ' ', hexLower[n], ' ')
			for i, c := range f.Data[:n] {
				if i > 0 {
					b = append(b, ' ')
				}
				b = appendHexByte(b, c)
			}
		}
	}
	b = append(b, '\n')
	w.buf = b
	_, err := w.w.Write(b)
	return err
}

func (w *ascWriter) Flush() error  { return w.w.Flush() }
func (w *ascWriter) Buffered() int { return w.w.Buffered() }

func (w *ascWriter) Close() error {
	if !w.started {
		w.header(time.Now().UnixNano())
	}
	w.w.WriteString("End TriggerBlock\n")
	return w.w.Flush()
}

// ascReader reads Vector ASC: classic, remote, CANFD and ErrorFrame lines;
// other events (comments, statistics, J1939, status) are skipped as
// python-can skips them.
type ascReader struct {
	l        lineReader
	name     string
	base     int
	relative bool  // "timestamps relative": each time is a delta
	start    int64 // Unix ns of the date or Begin Triggerblock
	last     int64
	f        [][]byte
	ch       ifaces
}

func newASCReader(r io.Reader, name string) *ascReader {
	return &ascReader{l: newLineReader(r), name: name, base: 16, f: make([][]byte, 0, 96)}
}

// parseASCDate parses "Mon Jan 02 03:04:05.000 PM 2006" and the other
// layouts python-can accepts (weekday first, German month names).
func parseASCDate(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, ' '); i > 0 {
		s = strings.TrimSpace(s[i+1:]) // weekday
	}
	for _, r := range [][2]string{{"Mär", "Mar"}, {"Mai", "May"}, {"Okt", "Oct"}, {"Dez", "Dec"}} {
		s = strings.Replace(s, r[0], r[1], 1)
	}
	for _, layout := range []string{"Jan 2 03:04:05.999999999 PM 2006", "Jan 2 03:04:05 PM 2006", "Jan 2 15:04:05.999999999 2006", "Jan 2 15:04:05 2006"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t.UnixNano(), true
		}
	}
	return 0, false
}

func hasPrefixFold(b []byte, p string) bool {
	return len(b) >= len(p) && strings.EqualFold(string(b[:len(p)]), p)
}

func (r *ascReader) Next() (can.LogEntry, error) {
	for {
		line, err := r.l.next()
		if line == nil {
			if err != nil {
				return can.LogEntry{}, &Error{Name: r.name, Line: r.l.line + 1, Offset: -1, In: -1, Msg: err.Error(), Err: err}
			}
			return can.LogEntry{}, io.EOF
		}
		line = bytes.TrimSpace(line)
		switch {
		case hasPrefixFold(line, "date "):
			if t, ok := parseASCDate(string(line[5:])); ok {
				r.start = t
			}
			continue
		case hasPrefixFold(line, "base "):
			f := fields(r.f, line)
			if len(f) >= 2 {
				switch strings.ToLower(string(f[1])) {
				case "hex":
					r.base = 16
				case "dec":
					r.base = 10
				default:
					return can.LogEntry{}, lineError(r.name, r.l.line, "base %q: want hex or dec", f[1])
				}
			}
			r.relative = len(f) >= 4 && strings.EqualFold(string(f[3]), "relative")
			continue
		case hasPrefixFold(line, "begin triggerblock"):
			if t, ok := parseASCDate(string(line[len("begin triggerblock"):])); ok {
				r.start = t
			}
			r.last = 0
			continue
		}
		e, ok, perr := r.parse(line)
		if perr != nil {
			return can.LogEntry{}, perr
		}
		if ok {
			return e, nil
		}
	}
}

// parse parses an event line; ok is false for events that are not frames.
func (r *ascReader) parse(line []byte) (e can.LogEntry, ok bool, err error) {
	f := fields(r.f, line)
	r.f = f
	if len(f) < 3 {
		return e, false, nil
	}
	rel, tok := parseDecimal(f[0], 0)
	if !tok || bytes.IndexByte(f[0], '.') < 0 {
		return e, false, nil
	}
	fail := func(format string, args ...any) (can.LogEntry, bool, error) {
		return can.LogEntry{}, false, lineError(r.name, r.l.line, format, args...)
	}
	fd := false
	if string(f[1]) == "CANFD" {
		fd = true
		f = f[1:]
		if len(f) < 4 {
			return e, false, nil
		}
	}
	ch, chok := parseUint(f[1], 10, 1<<16)
	if !chok {
		return e, false, nil // statistics, J1939 and other events
	}
	isErr := false
	var id, dir, rest []byte
	if fd {
		// CANFD ch dir id [name] brs esi dlc len data...
		if !bytes.EqualFold(f[2], []byte("Rx")) && !bytes.EqualFold(f[2], []byte("Tx")) {
			return fail("CANFD event: want Rx or Tx after the channel, got %q", f[2])
		}
		dir = f[2]
		if hasPrefixFold(f[3], "errorframe") {
			isErr = true
		} else {
			id = f[3]
			f = f[4:]
		}
	} else {
		switch {
		case hasPrefixFold(f[2], "errorframe"):
			isErr = true
		case len(f) >= 4 && (string(f[3]) == "Rx" || string(f[3]) == "Tx"):
			id, dir = f[2], f[3]
			f = f[4:]
		default:
			return e, false, nil
		}
	}
	t := rel
	if r.relative {
		t = r.last + rel
		r.last = t
	}
	e.Time = time.Unix(0, r.start+t)
	e.Iface = r.ch.name(int(ch))
	if string(dir) == "Tx" || string(dir) == "TX" {
		e.Dir = 'T'
	}
	if isErr {
		e.Frame.SetCANID(can.ErrFlag)
		return e, true, nil
	}
	ext := false
	if n := len(id); n > 0 && (id[n-1] == 'x' || id[n-1] == 'X') {
		ext, id = true, id[:n-1]
	}
	idv, idok := parseUint(id, r.base, uint64(can.EFFMask))
	if !idok || (!ext && idv > uint64(can.SFFMask)) {
		return fail("identifier %q: want %s digits (11 bits, or 29 with a trailing x)", id, baseName(r.base))
	}
	e.Frame.ID, e.Frame.Extended = uint32(idv), ext
	fr := &e.Frame
	if !fd {
		if len(f) < 1 {
			return fail("want d or r and the DLC after %s", dir)
		}
		switch string(f[0]) {
		case "r", "R":
			fr.Remote = true
			if len(f) >= 2 {
				if dlc, ok := parseUint(f[1], r.base, 15); ok {
					fr.Len = uint8(min(dlc, 8))
				}
			}
			return e, true, nil
		case "d", "D":
		default:
			return fail("want d (data) or r (remote) after %s, got %q", dir, f[0])
		}
		if len(f) < 2 {
			return fail("data frame without a DLC")
		}
		dlc, ok := parseUint(f[1], r.base, 15)
		if !ok {
			return fail("DLC %q: want 0..F", f[1])
		}
		n := min(can.DLCToLen(uint8(dlc)), can.MaxLen)
		fr.Len = uint8(n)
		if dlc > 8 {
			fr.Len8DLC = uint8(dlc)
		}
		if err := r.data(fr, f[2:], n); err != nil {
			return can.LogEntry{}, false, err
		}
		return e, true, nil
	}
	// brs esi dlc len data... [duration length flags ...]
	if len(f) > 0 && !isDigits(f[0]) {
		f = f[1:] // symbolic name
	}
	if len(f) < 4 {
		return fail("CANFD event: want BRS ESI DLC LENGTH after the identifier")
	}
	dlc, ok1 := parseUint(f[2], r.base, 15)
	n, ok2 := parseUint(f[3], 10, can.FDMaxLen)
	if !ok1 || !ok2 {
		return fail("CANFD event: DLC %q or data length %q out of range", f[2], f[3])
	}
	_ = dlc
	fr.Len = uint8(n)
	if err := r.data(fr, f[4:], int(n)); err != nil {
		return can.LogEntry{}, false, err
	}
	flags := uint64(0x1000)
	if rest = nil; len(f) >= 4+int(n)+3 {
		if v, ok := parseUint(f[4+int(n)+2], 16, 1<<32); ok {
			flags = v
			rest = f[4+int(n)+2]
		}
	}
	if flags&0x1000 != 0 || rest == nil {
		fr.Flags = can.FDF
		if string(f[0]) == "1" {
			fr.Flags |= can.BRS
		}
		if string(f[1]) == "1" {
			fr.Flags |= can.ESI
		}
	} else {
		fr.Remote = flags&0x10 != 0
		if fr.Len > can.MaxLen {
			return fail("classic frame in a CANFD event with %d bytes", fr.Len)
		}
	}
	return e, true, nil
}

func (r *ascReader) data(fr *can.FDFrame, f [][]byte, n int) error {
	if len(f) < n {
		return lineError(r.name, r.l.line, "%d data bytes, want %d", len(f), n)
	}
	for i := range n {
		v, ok := parseUint(f[i], r.base, 255)
		if !ok {
			return lineError(r.name, r.l.line, "data byte %d %q is not a %s byte", i, f[i], baseName(r.base))
		}
		fr.Data[i] = byte(v)
	}
	return nil
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

func baseName(base int) string {
	if base == 10 {
		return "decimal"
	}
	return "hex"
}
