package core

import (
	"net"
	"strconv"
	"syscall"
)

// Interface is one entry of IfNameIndex: Python's (index, name) tuple.
type Interface struct {
	Index int
	Name  string
}

// IfNameIndex returns every network interface as (index, name), Python's
// socket.if_nameindex().
func IfNameIndex() ([]Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, &net.OpError{Op: "if_nameindex", Err: err}
	}
	out := make([]Interface, len(ifs))
	for i, f := range ifs {
		out[i] = Interface{Index: f.Index, Name: f.Name}
	}
	return out, nil
}

// IfNameToIndex returns the index of the interface named name, Python's
// socket.if_nametoindex(). An unknown name gives an error that is
// errors.Is(err, unix.ENODEV).
func IfNameToIndex(name string) (int, error) {
	if name == "" || len(name) >= ifNameSize {
		return 0, &IfError{Op: "if_nametoindex", Name: name, Err: syscall.ENODEV}
	}
	return ifNameToIndex(name)
}

// IfIndexToName returns the name of the interface with index i, Python's
// socket.if_indextoname(). An unknown index gives an *IfError that is
// errors.Is(err, unix.ENXIO); a negative one or one beyond a C unsigned int
// a *RangeError (Python's OverflowError, which Python 3.12 and later raise
// for both), matching unix.ERANGE.
func IfIndexToName(i int) (string, error) {
	if i < 0 || uint64(i) > 1<<32-1 {
		return "", &RangeError{Func: "if_indextoname", Value: i, Msg: "want 0-4294967295 (a C unsigned int)"}
	}
	return ifIndexToName(i)
}

// IfError reports a failed interface name or index lookup.
type IfError struct {
	Op    string // "if_nametoindex" or "if_indextoname"
	Name  string // the name looked up, for if_nametoindex
	Index int    // the index looked up, for if_indextoname
	Err   error  // the errno
}

func (e *IfError) Error() string {
	if e.Op == "if_nametoindex" {
		return "core: " + e.Op + " " + strconv.Quote(e.Name) + ": " + e.Err.Error()
	}
	return "core: " + e.Op + " " + strconv.Itoa(e.Index) + ": " + e.Err.Error()
}

// Unwrap returns the errno.
func (e *IfError) Unwrap() error { return e.Err }
