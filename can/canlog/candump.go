package canlog

import (
	"errors"

	"github.com/fieldgate/fieldgate/can"
)

// candumpReader adapts can.LogReader, whose errors become *Error.
type candumpReader struct {
	r    *can.LogReader
	name string
}

func (r *candumpReader) Next() (can.LogEntry, error) {
	e, err := r.r.Next()
	var se *can.LogSyntaxError
	if errors.As(err, &se) {
		return e, &Error{Name: se.Name, Line: se.Line, Offset: -1, In: -1, Msg: se.Msg, Err: err}
	}
	return e, err
}

// candumpWriter adapts can.LogWriter.
type candumpWriter struct {
	w *can.LogWriter
}

func (w *candumpWriter) Write(e *can.LogEntry) error { return w.w.Write(e) }
func (w *candumpWriter) Flush() error                { return w.w.Flush() }
func (w *candumpWriter) Buffered() int               { return w.w.Buffered() }
func (w *candumpWriter) Close() error                { return w.w.Flush() }
