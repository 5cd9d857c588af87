package canlog

import "fmt"

// Error is a corrupt record: the file Name and either the 1-based Line
// (text formats) or the byte Offset (BLF).
type Error struct {
	Name   string
	Line   int   // 0 for binary formats
	Offset int64 // byte offset in the file (BLF), -1 when Line is set
	// In is the offset inside a BLF container's uncompressed data, -1
	// when the record is not in a container.
	In  int64
	Msg string
	Err error
}

func (e *Error) Error() string {
	name := e.Name
	if name == "" {
		name = "log"
	}
	if e.Line > 0 {
		return fmt.Sprintf("canlog: %s:%d: %s", name, e.Line, e.Msg)
	}
	if e.In >= 0 {
		return fmt.Sprintf("canlog: %s: offset %d (container), byte %d of its data: %s", name, e.Offset, e.In, e.Msg)
	}
	return fmt.Sprintf("canlog: %s: offset %d: %s", name, e.Offset, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

func lineError(name string, line int, format string, args ...any) *Error {
	return &Error{Name: name, Line: line, Offset: -1, In: -1, Msg: fmt.Sprintf(format, args...)}
}
