package core

import (
	"encoding/binary"
	"math/bits"
	"strconv"
	"syscall"
)

// RangeError reports an integer argument outside the range a function
// accepts: Python's OverflowError. It unwraps to syscall.ERANGE
// (unix.ERANGE).
type RangeError struct {
	Func  string // "htons", "CMSG_LEN", ...
	Value int    // the argument
	Msg   string // the accepted range
}

func (e *RangeError) Error() string {
	return "core: " + e.Func + ": " + strconv.Itoa(e.Value) + " is out of range: " + e.Msg
}

// Unwrap returns syscall.ERANGE.
func (e *RangeError) Unwrap() error { return syscall.ERANGE }

// bigEndianHost reports whether the machine is big endian, where the
// byte-order functions are the identity.
var bigEndianHost = binary.NativeEndian.Uint16([]byte{0, 1}) == 1

func swap16(fn string, x int) (int, error) {
	if x < 0 || x > 0xffff {
		return 0, &RangeError{Func: fn, Value: x, Msg: "want 0-65535 (a C 16-bit unsigned integer)"}
	}
	if bigEndianHost {
		return x, nil
	}
	return int(bits.ReverseBytes16(uint16(x))), nil
}

func swap32(fn string, x int) (int, error) {
	if x < 0 || uint64(x) > 0xffffffff {
		return 0, &RangeError{Func: fn, Value: x, Msg: "want 0-4294967295 (a C 32-bit unsigned integer)"}
	}
	if bigEndianHost {
		return x, nil
	}
	return int(bits.ReverseBytes32(uint32(x))), nil
}

// Htons converts a 16-bit value from host to network byte order, Python's
// socket.htons: a negative x or one above 0xffff is a *RangeError, where
// Python raises OverflowError.
func Htons(x int) (int, error) { return swap16("htons", x) }

// Ntohs converts a 16-bit value from network to host byte order, Python's
// socket.ntohs, with the same range check as Htons.
func Ntohs(x int) (int, error) { return swap16("ntohs", x) }

// Htonl converts a 32-bit value from host to network byte order, Python's
// socket.htonl: a negative x or one above 0xffffffff is a *RangeError.
func Htonl(x int) (int, error) { return swap32("htonl", x) }

// Ntohl converts a 32-bit value from network to host byte order, Python's
// socket.ntohl, with the same range check as Htonl.
func Ntohl(x int) (int, error) { return swap32("ntohl", x) }
