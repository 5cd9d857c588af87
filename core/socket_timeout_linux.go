//go:build linux

package core

import (
	"time"
)

// SetTimeout selects the socket's mode, as Python's settimeout does:
// NoTimeout puts it in blocking mode, 0 in non-blocking mode (operations
// that would wait fail with unix.EAGAIN instead), and a positive duration in
// timeout mode (each operation fails with an error satisfying
// errors.Is(err, os.ErrDeadlineExceeded) if it cannot complete in d). Any
// other negative duration is a *ValueError matching ErrNegativeTimeout (and
// unix.EINVAL), Python's ValueError, and leaves the mode unchanged.
func (s *Socket) SetTimeout(d time.Duration) error {
	if d < 0 && d != NoTimeout {
		return negativeTimeout("settimeout", d)
	}
	if s.closed.Load() {
		return opError("settimeout", socketNetName(s.family), errClosedSocket)
	}
	s.timeout.Store(int64(d))
	return nil
}

// Timeout returns the socket's timeout: NoTimeout in blocking mode, 0 in
// non-blocking mode.
func (s *Socket) Timeout() time.Duration {
	t := time.Duration(s.timeout.Load())
	if t < 0 {
		return NoTimeout
	}
	return t
}

// SetBlocking sets blocking (SetTimeout(NoTimeout)) or non-blocking
// (SetTimeout(0)) mode.
func (s *Socket) SetBlocking(blocking bool) error {
	if blocking {
		return s.SetTimeout(NoTimeout)
	}
	return s.SetTimeout(0)
}

// Blocking reports whether the socket is in blocking or timeout mode
// (Python's getblocking: true unless the timeout is 0).
func (s *Socket) Blocking() bool { return s.timeout.Load() != 0 }

// SetDeadline sets the read and write deadlines, as net.Conn does. A
// deadline applies to every operation in blocking and timeout mode (the
// earlier of the deadline and the timeout wins), including one already
// waiting; the zero time removes it.
func (s *Socket) SetDeadline(t time.Time) error {
	if err := s.SetReadDeadline(t); err != nil {
		return err
	}
	return s.SetWriteDeadline(t)
}

// SetReadDeadline sets the deadline for receiving operations (Recv*,
// Accept).
func (s *Socket) SetReadDeadline(t time.Time) error {
	if s.closed.Load() {
		return opError("setdeadline", socketNetName(s.family), errClosedSocket)
	}
	s.userRdl.Store(deadlineNano(t))
	s.arm(false, deadlineNano(t)) // reaches an operation already waiting
	return nil
}

// SetWriteDeadline sets the deadline for sending operations (Send*,
// Connect, SendFile).
func (s *Socket) SetWriteDeadline(t time.Time) error {
	if s.closed.Load() {
		return opError("setdeadline", socketNetName(s.family), errClosedSocket)
	}
	s.userWdl.Store(deadlineNano(t))
	s.arm(true, deadlineNano(t))
	return nil
}

func deadlineNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	n := t.UnixNano()
	if n <= 0 {
		n = 1 // in the past, but distinct from "none"
	}
	return n
}
