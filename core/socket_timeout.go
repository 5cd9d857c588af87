package core

import (
	"sync/atomic"
	"time"
)

// NoTimeout is the timeout of a socket in blocking mode (Python's None):
// operations wait as long as it takes.
const NoTimeout time.Duration = -1

// defaultTimeout holds DefaultTimeout()+1, so that the zero value means
// NoTimeout, Python's default. Besides the audit hook this is the package's
// only mutable state, mirroring socket.setdefaulttimeout.
var defaultTimeout atomic.Int64

// negativeTimeout is the error for a timeout below zero other than
// NoTimeout: a *ValueError matching ErrNegativeTimeout, where Python raises
// ValueError("Timeout value out of range").
func negativeTimeout(fn string, d time.Duration) error {
	return &ValueError{Func: fn, Err: ErrNegativeTimeout, Detail: d.String()}
}

// SetDefaultTimeout sets the timeout new sockets start with (Python's
// socket.setdefaulttimeout): NoTimeout for blocking mode, 0 for
// non-blocking mode, a positive duration for timeout mode. Any other
// negative duration is a *ValueError matching ErrNegativeTimeout (and
// unix.EINVAL), and leaves the default unchanged.
func SetDefaultTimeout(d time.Duration) error {
	if d < 0 && d != NoTimeout {
		return negativeTimeout("setdefaulttimeout", d)
	}
	defaultTimeout.Store(int64(d) + 1)
	return nil
}

// DefaultTimeout returns the timeout new sockets start with: NoTimeout
// unless SetDefaultTimeout changed it.
func DefaultTimeout() time.Duration { return time.Duration(defaultTimeout.Load() - 1) }
