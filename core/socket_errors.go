//go:build linux

package core

import (
	"context"
	"errors"
	"net"
	"os"
)

// errClosedSocket is returned (wrapped) by every operation on a closed
// Socket, like the net package's connections.
var errClosedSocket = net.ErrClosed

// opError wraps err, the failure of operation op, in a *net.OpError, which
// keeps errors.Is working against unix.Errno, os.ErrDeadlineExceeded and
// net.ErrClosed and gives net.Error's Timeout.
func opError(op, network string, err error) error {
	if err == nil {
		return nil
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return err
	}
	return &net.OpError{Op: op, Net: network, Err: err}
}

// errnoError wraps a raw errno from the system call op.
func (s *Socket) errnoError(op string, errno error) error {
	return &net.OpError{Op: op, Net: socketNetName(s.family), Err: os.NewSyscallError(op, errno)}
}

// timeoutError is a context's deadline expiring during an operation: it
// matches both context.DeadlineExceeded and os.ErrDeadlineExceeded, and is
// a net.Error with Timeout() true.
type timeoutError struct{ err error }

func (e *timeoutError) Error() string   { return "i/o timeout: " + e.err.Error() }
func (e *timeoutError) Unwrap() error   { return e.err }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }
func (e *timeoutError) Is(target error) bool {
	return target == os.ErrDeadlineExceeded
}

var _ net.Error = (*timeoutError)(nil)

// ctxError converts a context error for returning from an operation.
func ctxError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &timeoutError{err: err}
	}
	return err
}

// wrapPollErr converts an error from the runtime poller (syscall.RawConn)
// for op: closed sockets become net.ErrClosed, deadlines
// os.ErrDeadlineExceeded (or the context's error when ctx caused it).
func (s *Socket) wrapPollErr(op string, ctx context.Context, err error, ctxDeadline bool) error {
	switch {
	case s.closed.Load():
		err = errClosedSocket
	case errors.Is(err, os.ErrDeadlineExceeded):
		if ctx != nil {
			if cerr := ctx.Err(); cerr != nil {
				err = ctxError(cerr)
			} else if ctxDeadline {
				err = &timeoutError{err: context.DeadlineExceeded}
			}
		}
	case errors.Is(err, os.ErrClosed), err.Error() == "use of closed file":
		err = errClosedSocket
	}
	return &net.OpError{Op: op, Net: socketNetName(s.family), Err: err}
}
