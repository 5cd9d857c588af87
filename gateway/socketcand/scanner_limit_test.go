package socketcand

import (
	"errors"
	"strings"
	"testing"
)

// TestScannerLimitIndependentOfReads: whether a message is too long must
// not depend on how the stream was cut into reads. One of exactly
// MaxMessage bytes between "<" and ">" is accepted whole, and also when
// its ">" comes in a later read (before, "<" counted as part of the
// message while waiting for ">": the rig's TestHILAttackStreams sent one
// whose ">" was byte 16384 of the stream, and the server, reading 16 KiB
// at a time, disconnected the client as hostile); one byte more is
// refused either way.
func TestScannerLimitIndependentOfReads(t *testing.T) {
	for _, n := range []int{MaxMessage - 1, MaxMessage, MaxMessage + 1} {
		body := "send 123 1 AB" + strings.Repeat(" ", n-len("send 123 1 AB"))
		msg := "<" + body + ">"
		// Cut after "<", in the middle, just before ">", or not at all.
		for _, at := range []int{1, n / 2, n + 1, n + 2} {
			var s Scanner
			s.Write([]byte(msg[:at]))
			_, ok, err := s.Next()
			if err == nil && !ok {
				s.Write([]byte(msg[at:]))
				_, ok, err = s.Next()
			}
			tooLong := errors.Is(err, ErrTooLong)
			if n > MaxMessage && !tooLong || n <= MaxMessage && (err != nil || !ok) {
				t.Errorf("message of %d bytes, first read %d bytes: ok %v, err %v", n, at, ok, err)
			}
		}
	}
}
