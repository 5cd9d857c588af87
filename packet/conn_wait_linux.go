//go:build linux

package packet

import (
	"context"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// threadWaitSlice bounds one poll(2) of a WaitOnThread ring wait, and so
// how late a reader notices its context ending, its deadline passing or
// Close.
const threadWaitSlice = 10 * time.Millisecond

// threadPoll is one poll(2) on a ring socket, its callback bound once so
// that a wait allocates nothing.
type threadPoll struct {
	fds     [1]unix.PollFd
	timeout int   // milliseconds
	err     error // the last poll's error
	fn      func(fd uintptr)
}

func (p *threadPoll) init() {
	p.fn = func(fd uintptr) {
		p.fds[0] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
		_, p.err = unix.Poll(p.fds[:], p.timeout)
	}
}

func (c *Conn) storeReadDeadline(t time.Time) {
	if t.IsZero() {
		c.readDeadline.Store(0)
		return
	}
	c.readDeadline.Store(max(t.UnixNano(), 1))
}

// waitBlockOnThread is waitBlock for RingConfig.WaitOnThread: poll(2) on
// the calling thread, in slices of at most threadWaitSlice, until the
// kernel hands over a block (packet_poll reports POLLIN once the block
// at the reader's position belongs to user space). Called with rmu held.
func (c *Conn) waitBlockOnThread(ctx context.Context) (*Block, error) {
	r := c.ring
	for {
		if r.ready() {
			r.take(c)
			return &r.block, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, c.opError("read", err)
		}
		if c.closed.Load() {
			return nil, c.opError("read", os.ErrClosed)
		}
		wait := threadWaitSlice
		if d := c.readDeadline.Load(); d != 0 {
			left := time.Until(time.Unix(0, d))
			if left <= 0 {
				return nil, c.opError("read", os.ErrDeadlineExceeded)
			}
			wait = min(wait, left)
		}
		c.poll.timeout = int((wait + time.Millisecond - 1) / time.Millisecond)
		if err := c.rc.Control(c.poll.fn); err != nil {
			if c.closed.Load() {
				return nil, c.opError("read", os.ErrClosed)
			}
			return nil, c.opError("read", err)
		}
		if err := c.poll.err; err != nil && err != unix.EINTR {
			return nil, c.opError("poll", err)
		}
	}
}
