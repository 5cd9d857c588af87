package canlog

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/fieldgate/fieldgate/can"
)

// Format is a log file format.
type Format uint8

// Log formats.
const (
	// Candump is can-utils' candump -l format (canplayer's input):
	// nanosecond or microsecond times, interface names, every frame kind.
	Candump Format = iota + 1
	// ASC is Vector's ASCII log: microsecond times (relative to a
	// "Begin Triggerblock" date with milliseconds), numeric channels,
	// classic, remote and FD frames; error frames without their details.
	ASC
	// BLF is Vector's binary log: nanosecond times relative to a start
	// time with milliseconds, numeric channels, classic, remote, FD and
	// error frames, in zlib-compressed containers.
	BLF
	// TRC is PEAK's trace format, written as version 2.1: microsecond
	// times relative to $STARTTIME, numeric buses, classic, remote and FD
	// frames (no error frames). Versions 1.0 to 2.1 are read.
	TRC
	// TRC11 is PEAK's trace version 1.1: 100 µs resolution, one bus,
	// classic and remote frames only.
	TRC11
	// CSV is python-can's CSV: float seconds (microseconds are written),
	// no channel, classic, remote and error frames.
	CSV
)

var names = map[Format]string{Candump: "candump", ASC: "asc", BLF: "blf", TRC: "trc", TRC11: "trc1.1", CSV: "csv"}

// Names lists the format names ParseFormat accepts.
const Names = "candump, asc, blf, trc, trc1.1, csv"

func (f Format) String() string {
	if s, ok := names[f]; ok {
		return s
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// ParseFormat returns the format named s (see Names).
func ParseFormat(s string) (Format, error) {
	for f, n := range names {
		if strings.EqualFold(s, n) {
			return f, nil
		}
	}
	switch strings.ToLower(s) {
	case "log":
		return Candump, nil
	case "trc2.1":
		return TRC, nil
	}
	return 0, fmt.Errorf("unknown log format %q (want %s)", s, Names)
}

// FromPath returns the format a file name's extension names: .asc, .blf,
// .trc, .csv; anything else (.log among others) is Candump.
func FromPath(path string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".asc":
		return ASC
	case ".blf":
		return BLF
	case ".trc":
		return TRC
	case ".csv":
		return CSV
	}
	return Candump
}

// Appendable reports whether frames may be appended to an existing file
// of this format. ASC, BLF and TRC files have a header with the start time
// that later records are relative to, and BLF a trailer of counts.
func (f Format) Appendable() bool { return f == Candump || f == CSV }

// A Reader reads log entries.
type Reader interface {
	// Next returns the next entry, io.EOF at the end of the log, or an
	// *Error for a corrupt record. The entry's Iface string is shared by
	// all entries of a channel; Next does not allocate per entry.
	Next() (can.LogEntry, error)
}

// A Writer writes log entries in one format.
type Writer interface {
	// Write writes one entry. An entry the format cannot hold returns an
	// error matching ErrUnsupported and writes nothing.
	Write(e *can.LogEntry) error
	// Flush writes buffered entries to the underlying writer.
	Flush() error
	// Buffered is how many bytes Flush would write, about (BLF counts the
	// uncompressed container).
	Buffered() int
	// Close writes the format's trailer (ASC's End TriggerBlock, BLF's
	// last container and its header counts) and flushes. It does not close
	// the underlying writer.
	Close() error
}

// ErrUnsupported is what Writer.Write returns for a frame the format
// cannot hold.
var ErrUnsupported = errUnsupported{}

type errUnsupported struct{}

func (errUnsupported) Error() string { return "frame not supported by the log format" }

// unsupported is an error matching ErrUnsupported with a reason.
type unsupported struct{ msg string }

func (e *unsupported) Error() string        { return e.msg }
func (e *unsupported) Is(target error) bool { return target == ErrUnsupported }

// The unsupported errors, allocated once: refusing a frame allocates
// nothing.
var (
	errCSVFD    error = &unsupported{"python-can's CSV has no CAN FD flags; FD frames are not written"}
	errTRCError error = &unsupported{"TRC error records hold PEAK's error codes, not SocketCAN's error frames; error frames are not written"}
	errTRC11FD  error = &unsupported{"TRC 1.1 has no CAN FD frames"}
)

// WriterOptions are a writer's options.
type WriterOptions struct {
	// Nanos writes candump times with 9 decimals instead of 6.
	Nanos bool
	// At, when the writer's output is a file, lets the BLF writer update
	// its header (object count, stop time, file size) on Close; without
	// it the header keeps the start time and zero counts, which
	// python-can and Vector's tools accept.
	At io.WriterAt
	// Level is BLF's zlib compression level (0 = default, -1 = none).
	Level int
}

// NewWriter returns a writer of format f to w.
func NewWriter(f Format, w io.Writer, o WriterOptions) (Writer, error) {
	switch f {
	case Candump:
		return &candumpWriter{w: can.NewLogWriter(w, o.Nanos)}, nil
	case ASC:
		return newASCWriter(w), nil
	case BLF:
		return newBLFWriter(w, o), nil
	case TRC, TRC11:
		return newTRCWriter(w, f == TRC11), nil
	case CSV:
		return newCSVWriter(w, true), nil
	}
	return nil, fmt.Errorf("canlog: no writer for %v", f)
}

// NewAppendWriter is NewWriter for a file that already holds size bytes
// of format f (Appendable formats only): the CSV writer writes no second
// header into a file that has one.
func NewAppendWriter(f Format, w io.Writer, size int64, o WriterOptions) (Writer, error) {
	if f == CSV {
		return newCSVWriter(w, size == 0), nil
	}
	return NewWriter(f, w, o)
}

// NewReader returns a reader of the log in r in format f; name (a file
// name) is used in errors.
func NewReader(f Format, r io.Reader, name string) (Reader, error) {
	switch f {
	case Candump:
		return &candumpReader{r: can.NewLogReader(r, name), name: name}, nil
	case ASC:
		return newASCReader(r, name), nil
	case BLF:
		return newBLFReader(r, name), nil
	case TRC, TRC11:
		return newTRCReader(r, name), nil
	case CSV:
		return newCSVReader(r, name), nil
	}
	return nil, fmt.Errorf("canlog: no reader for %v", f)
}
