package core

import (
	"strconv"
	"unsafe"
)

// struct cmsghdr is { size_t cmsg_len; int cmsg_level; int cmsg_type }: 16
// bytes aligned to 8 on 64-bit Linux, 12 aligned to 4 on 32-bit.
const (
	cmsgAlignTo = int(unsafe.Sizeof(uintptr(0)))
	cmsgHdrLen  = cmsgAlignTo + 8
	socklenMax  = 1<<31 - 1 // CPython's SOCKLEN_T_LIMIT (INT_MAX)
)

func alignCmsgLen(n int) int { return (n + cmsgAlignTo - 1) &^ (cmsgAlignTo - 1) }

// CmsgLen returns the cmsg_len of a control message carrying n data bytes,
// CMSG_LEN(n) = 16 + n on 64-bit Linux: Python's socket.CMSG_LEN. Like
// CPython it rejects n < 0 and results beyond INT_MAX with a *RangeError.
func CmsgLen(n int) (int, error) {
	if n < 0 || n > socklenMax-cmsgHdrLen {
		return 0, &RangeError{Func: "CMSG_LEN", Value: n, Msg: "want 0-" + strconv.Itoa(socklenMax-cmsgHdrLen)}
	}
	return cmsgHdrLen + n, nil
}

// CmsgSpace returns the buffer space a control message with n data bytes
// takes, padding included: CMSG_SPACE(n) = 16 + align8(n) on 64-bit Linux,
// Python's socket.CMSG_SPACE. Like CPython it rejects n < 0 and
// n > INT_MAX - CMSG_SPACE(1) with a *RangeError.
func CmsgSpace(n int) (int, error) {
	if n < 0 || n > socklenMax-(cmsgHdrLen+cmsgAlignTo) {
		return 0, &RangeError{Func: "CMSG_SPACE", Value: n, Msg: "want 0-" + strconv.Itoa(socklenMax-(cmsgHdrLen+cmsgAlignTo))}
	}
	return cmsgHdrLen + alignCmsgLen(n), nil
}
