package can

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// LogEntry is one line of a candump log file (candump -l, canplayer -I):
//
//	(1436509052.249713) vcan0 044#2A366C2BBA
type LogEntry struct {
	// Time is the absolute receive time.
	Time time.Time
	// Iface is the interface name.
	Iface string
	// Frame is the frame.
	Frame FDFrame
	// Dir is the optional direction suffix: 'R' (received), 'T'
	// (transmitted, candump -x) or 0 for none.
	Dir byte
}

// LogSyntaxError reports a malformed log line: Name and Line locate it.
type LogSyntaxError struct {
	Name string // file name, or "" when unknown
	Line int    // 1-based line number, or 0 when unknown
	Msg  string
	Err  error // the underlying frame syntax error, if any
}

func (e *LogSyntaxError) Error() string {
	loc := "log line"
	switch {
	case e.Name != "" && e.Line > 0:
		loc = fmt.Sprintf("%s:%d", e.Name, e.Line)
	case e.Line > 0:
		loc = fmt.Sprintf("line %d", e.Line)
	case e.Name != "":
		loc = e.Name
	}
	return fmt.Sprintf("can: %s: %s", loc, e.Msg)
}

func (e *LogSyntaxError) Unwrap() error { return e.Err }

// AppendLog appends e as a candump -l line without the newline: the time
// with 6 decimals (9 when nanos), the interface and the frame in
// FDFrame.AppendText's syntax, then " R" or " T" if Dir is set. Times
// before 1970 are written as 0.
func (e *LogEntry) AppendLog(b []byte, nanos bool) []byte {
	sec, ns := e.Time.Unix(), int64(e.Time.Nanosecond())
	if sec < 0 {
		sec, ns = 0, 0
	}
	b = append(b, '(')
	b = appendPadded(b, uint64(sec), 10)
	b = append(b, '.')
	if nanos {
		b = appendPadded(b, uint64(ns), 9)
	} else {
		b = appendPadded(b, uint64(ns/1000), 6)
	}
	b = append(b, ')', ' ')
	b = append(b, e.Iface...)
	b = append(b, ' ')
	b, _ = e.Frame.AppendText(b)
	if e.Dir != 0 {
		b = append(b, ' ', e.Dir)
	}
	return b
}

func appendPadded(b []byte, v uint64, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendUint(tmp[:0], v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// String returns e as a candump -l line (6 decimals, no newline).
func (e LogEntry) String() string { return string(e.AppendLog(nil, false)) }

// ParseLogLine parses one candump -l line (without its newline). The
// timestamp must have 6 or 9 decimals, the interface is one word, the frame
// follows ParseFrame, and an optional " R" or " T" ends the line.
func ParseLogLine(line string) (LogEntry, error) {
	return parseLogLine([]byte(line))
}

func parseLogLine(line []byte) (LogEntry, error) {
	var e LogEntry
	fail := func(msg string, args ...any) (LogEntry, error) {
		return LogEntry{}, &LogSyntaxError{Msg: fmt.Sprintf(msg, args...)}
	}
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if len(line) == 0 || line[0] != '(' {
		return fail("line does not start with '(' (want \"(SECONDS.MICROS) IFACE FRAME\")")
	}
	end := bytes.IndexByte(line, ')')
	if end < 0 {
		return fail("timestamp has no closing ')'")
	}
	ts := line[1:end]
	dot := bytes.IndexByte(ts, '.')
	if dot <= 0 {
		return fail("timestamp %q: want SECONDS.MICROS", ts)
	}
	sec, err := strconv.ParseUint(string(ts[:dot]), 10, 63)
	if err != nil || ts[0] == '+' {
		return fail("timestamp %q: seconds are not a decimal number", ts)
	}
	frac := ts[dot+1:]
	if len(frac) != 6 && len(frac) != 9 {
		return fail("timestamp %q: want 6 (micro) or 9 (nano) decimals, got %d", ts, len(frac))
	}
	fv, err := strconv.ParseUint(string(frac), 10, 32)
	if err != nil || frac[0] == '+' {
		return fail("timestamp %q: fraction is not a decimal number", ts)
	}
	if len(frac) == 6 {
		fv *= 1000
	}
	if sec > 1<<40 {
		return fail("timestamp %q: seconds out of range", ts)
	}
	e.Time = time.Unix(int64(sec), int64(fv))
	rest := line[end+1:]
	if len(rest) == 0 || rest[0] != ' ' {
		return fail("want a space and an interface after the timestamp")
	}
	fields := bytes.Fields(rest)
	switch len(fields) {
	case 2:
	case 3:
		if len(fields[2]) != 1 || (fields[2][0] != 'R' && fields[2][0] != 'T') {
			return fail("unexpected %q after the frame (only R or T may follow)", fields[2])
		}
		e.Dir = fields[2][0]
	default:
		return fail("want \"(TIME) IFACE FRAME [R|T]\", got %d fields after the timestamp", len(fields))
	}
	if len(fields[0]) > 15 {
		return fail("interface name %q longer than 15 bytes", fields[0])
	}
	e.Iface = string(fields[0])
	f, err := parseFrame(fields[1])
	if err != nil {
		return LogEntry{}, &LogSyntaxError{Msg: err.Error(), Err: err}
	}
	e.Frame = f
	return e, nil
}

// LogReader reads a candump log. Like canplayer it skips lines that do not
// start with '(' (comments, blank lines); every other malformed line is an
// error naming the file and line.
type LogReader struct {
	s    *bufio.Scanner
	name string
	line int
}

// NewLogReader returns a reader of the log in r; name (a file name) is used in
// error messages.
func NewLogReader(r io.Reader, name string) *LogReader {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 4096), 64*1024)
	return &LogReader{s: s, name: name}
}

// Next returns the next entry, or io.EOF at the end of the log.
func (r *LogReader) Next() (LogEntry, error) {
	for r.s.Scan() {
		r.line++
		b := r.s.Bytes()
		if len(b) == 0 || b[0] != '(' {
			continue
		}
		e, err := parseLogLine(b)
		if err != nil {
			var se *LogSyntaxError
			if errors.As(err, &se) {
				se.Name, se.Line = r.name, r.line
			}
			return LogEntry{}, err
		}
		return e, nil
	}
	if err := r.s.Err(); err != nil {
		return LogEntry{}, fmt.Errorf("can: reading %s after line %d: %w", r.name, r.line, err)
	}
	return LogEntry{}, io.EOF
}

// LogWriter writes a candump log.
type LogWriter struct {
	w     *bufio.Writer
	buf   []byte
	nanos bool
}

// NewLogWriter returns a writer of candump -l lines to w; nanos selects 9
// decimals instead of 6. Call Flush when done.
func NewLogWriter(w io.Writer, nanos bool) *LogWriter {
	return &LogWriter{w: bufio.NewWriter(w), buf: make([]byte, 0, 256), nanos: nanos}
}

// Write writes one entry as a line. It does not allocate.
func (w *LogWriter) Write(e *LogEntry) error {
	w.buf = e.AppendLog(w.buf[:0], w.nanos)
	w.buf = append(w.buf, '\n')
	_, err := w.w.Write(w.buf)
	return err
}

// Flush writes buffered lines to the underlying writer.
func (w *LogWriter) Flush() error { return w.w.Flush() }

// Buffered returns how many bytes of lines Flush would write.
func (w *LogWriter) Buffered() int { return w.w.Buffered() }
