//go:build linux

package core

import (
	"context"
	"net"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// opKind selects the system call an op performs.
type opKind uint8

const (
	opRecvfrom opKind = iota
	opSendto
	opRecvmsg
	opSendmsg
	opRecvmmsg
	opSendmmsg
	opAccept
	opConnect
	opFunc
)

// sockaddrMax is sizeof(struct sockaddr_storage).
const sockaddrMax = 128

// An op is the state of one system call run on the runtime poller. Ops are
// cached per Socket and their poller callback (fn) is bound once, so the
// steady-state I/O path allocates nothing.
//
// The fields every call touches come first, so that the per-call path
// (send, recv and friends) stays within the op's first cache lines: the
// time around a system call is dominated by cache misses on whatever the
// kernel evicted, so fewer lines touched is less time.
type op struct {
	kind     opKind
	once     bool // non-blocking mode: one attempt, no waiting
	adapter  bool // net.Conn adapter: non-blocking mode waits too
	wantAddr bool
	started  bool   // connect in progress
	salen    uint32 // bytes of sa in use
	flags    int

	b []byte

	n   int
	err error // raw errno from the system call

	// Poller callbacks, bound once: fn runs any kind; sendtoFn and
	// recvfromFn are the two hot kinds with one call level less.
	fn, sendtoFn, recvfromFn func(uintptr) bool

	f func(fd int) (int, error)

	// Raw sockaddr: input for sendto/connect (salen bytes), output for
	// recvfrom/accept (wantAddr).
	sa [sockaddrMax]byte

	msg   unix.Msghdr // opSendmsg, opRecvmsg; zero otherwise
	iovs  []unix.Iovec
	mm    []unix.Mmsghdr
	names [][sockaddrMax]byte
	vlen  int

	// SendMmsg's UDP segmentation (socket_gso.go): messages per
	// mmsghdr, and each coalesced entry's UDP_SEGMENT control message.
	segs   []uint16
	gsoCtl [][gsoCmsgSpace]byte
}

func newOp() *op {
	o := &op{}
	o.fn = o.run
	// The two hot kinds get their system call in the callback itself, one
	// call level less between the poller and the kernel than run.
	o.sendtoFn = func(fd uintptr) bool {
		var p, sa unsafe.Pointer
		if len(o.b) > 0 {
			p = unsafe.Pointer(&o.b[0])
		}
		if o.salen > 0 {
			sa = unsafe.Pointer(&o.sa[0])
		}
		r, _, e := syscall.Syscall6(unix.SYS_SENDTO, fd, uintptr(p), uintptr(len(o.b)), uintptr(o.flags), uintptr(sa), uintptr(o.salen))
		return o.result(r, e)
	}
	o.recvfromFn = func(fd uintptr) bool {
		var p, sa, salen unsafe.Pointer
		if len(o.b) > 0 {
			p = unsafe.Pointer(&o.b[0])
		}
		if o.wantAddr {
			o.salen = sockaddrMax
			sa, salen = unsafe.Pointer(&o.sa[0]), unsafe.Pointer(&o.salen)
		}
		r, _, e := syscall.Syscall6(unix.SYS_RECVFROM, fd, uintptr(p), uintptr(len(o.b)), uintptr(o.flags), uintptr(sa), uintptr(salen))
		return o.result(r, e)
	}
	return o
}

// callback returns the poller callback for o's kind.
func (o *op) callback() func(uintptr) bool {
	switch o.kind {
	case opSendto:
		return o.sendtoFn
	case opRecvfrom:
		return o.recvfromFn
	}
	return o.fn
}

// result records a system call's result in o and reports whether the call
// is done (false: wait for readiness and call again).
func (o *op) result(r uintptr, e syscall.Errno) bool {
	if e != 0 {
		o.n, o.err = 0, e
		return e != unix.EINTR && (o.once || e != unix.EAGAIN)
	}
	o.n, o.err = int(r), nil
	return true
}

// run performs the system call; it returns false to ask the poller to wait
// for readiness and call again.
func (o *op) run(fd uintptr) bool {
	var (
		r uintptr
		e unix.Errno
	)
	switch o.kind {
	case opRecvfrom:
		return o.recvfromFn(fd)
	case opSendto:
		return o.sendtoFn(fd)
	case opRecvmsg:
		if o.msg.Name != nil {
			o.msg.Namelen = sockaddrMax // in/out: reset for a retry
		}
		r, _, e = unix.Syscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&o.msg)), uintptr(o.flags))
	case opSendmsg:
		r, _, e = unix.Syscall(unix.SYS_SENDMSG, fd, uintptr(unsafe.Pointer(&o.msg)), uintptr(o.flags))
	case opRecvmmsg:
		r, _, e = unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&o.mm[0])), uintptr(o.vlen), uintptr(o.flags), 0, 0)
	case opSendmmsg:
		r, _, e = unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&o.mm[0])), uintptr(o.vlen), uintptr(o.flags), 0, 0)
	case opAccept:
		if o.wantAddr {
			o.salen = sockaddrMax
			r, _, e = unix.Syscall6(unix.SYS_ACCEPT4, fd, uintptr(unsafe.Pointer(&o.sa[0])), uintptr(unsafe.Pointer(&o.salen)),
				unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
		} else {
			r, _, e = unix.Syscall6(unix.SYS_ACCEPT4, fd, 0, 0, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
		}
	case opConnect:
		return o.connect(fd)
	case opFunc:
		n, err := o.f(int(fd))
		o.n, o.err = n, err
		if err == unix.EINTR || (!o.once && err == unix.EAGAIN) {
			return false
		}
		return true
	}
	return o.result(r, e)
}

// connect runs a non-blocking connect(2) to completion, the way the net
// package does: start it, wait until writable, then read SO_ERROR.
func (o *op) connect(fd uintptr) bool {
	if !o.started {
		_, _, e := unix.Syscall(unix.SYS_CONNECT, fd, uintptr(unsafe.Pointer(&o.sa[0])), uintptr(o.salen))
		switch e {
		case 0, unix.EISCONN:
			o.err = nil
			return true
		case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
			if o.once {
				o.err = unix.EINPROGRESS
				return true
			}
			o.started = true
			return false
		default:
			o.err = e
			return true
		}
	}
	v, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		o.err = err
		return true
	}
	switch e := unix.Errno(v); e {
	case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
		return false
	case 0, unix.EISCONN:
		var rsa [sockaddrMax]byte
		l := uint32(sockaddrMax)
		if _, _, ge := unix.Syscall(unix.SYS_GETPEERNAME, fd, uintptr(unsafe.Pointer(&rsa[0])), uintptr(unsafe.Pointer(&l))); ge != 0 {
			return false // spurious wake-up, as the net package handles it
		}
		o.err = nil
		return true
	default:
		o.err = e
		return true
	}
}

// getOp returns the cached op for one direction, or a new one.
func (s *Socket) getOp(write bool) *op {
	p := &s.rop
	if write {
		p = &s.wop
	}
	if o := p.Swap(nil); o != nil {
		return o
	}
	return newOp()
}

// putOp returns o to the cache, dropping references to caller memory.
func (s *Socket) putOp(write bool, o *op) {
	o.b = nil
	o.started = false
	o.wantAddr = false
	o.adapter = false
	o.salen = 0
	switch o.kind {
	case opFunc:
		o.f = nil
	case opSendmsg, opRecvmsg:
		o.msg = unix.Msghdr{}
	}
	p := &s.rop
	if write {
		p = &s.wop
	}
	p.Store(o)
}

// opDeadline returns the absolute deadline (Unix nanoseconds, 0 = none) for
// an operation starting now, and whether the socket is in non-blocking mode.
func (s *Socket) opDeadline(write bool) (int64, bool) { return s.opDeadlineMode(write, false) }

// opDeadlineMode is opDeadline; for the net.Conn adapters (adapter true)
// non-blocking mode is taken as blocking, as net.Conn users expect.
func (s *Socket) opDeadlineMode(write, adapter bool) (int64, bool) {
	t := s.timeout.Load()
	if t == 0 && !adapter {
		return 0, true
	}
	dl := s.userRdl.Load()
	if write {
		dl = s.userWdl.Load()
	}
	if t > 0 {
		if d := nowNano() + t; dl == 0 || d < dl {
			dl = d
		}
	}
	return dl, false
}

// arm sets the poller deadline of one direction to dl (0 = none) unless it
// is already set.
func (s *Socket) arm(write bool, dl int64) {
	a := &s.armedRdl
	if write {
		a = &s.armedWdl
	}
	if a.Load() == dl {
		return
	}
	var t time.Time
	if dl != 0 {
		t = time.Unix(0, dl)
	}
	if write {
		s.c.SetWriteDeadline(t)
	} else {
		s.c.SetReadDeadline(t)
	}
	a.Store(dl)
}

// wait runs o on the runtime poller in one direction until it completes,
// the deadline dl passes, ctx (may be nil) ends or the socket is closed. In
// non-blocking mode it makes exactly one attempt. The system call's own
// result is left in o.n and o.err.
func (s *Socket) wait(ctx context.Context, o *op, write bool, name string, dl int64, nonblock bool) error {
	if s.closed.Load() {
		return &net.OpError{Op: name, Net: socketNetName(s.family), Err: errClosedSocket}
	}
	o.once = nonblock
	o.n, o.err = 0, nil
	if ctx != nil {
		return s.waitContext(ctx, o, write, name, dl, nonblock)
	}
	// The common case, kept short: no context to watch.
	s.arm(write, dl)
	var err error
	if write {
		err = s.rc.Write(o.callback())
	} else {
		err = s.rc.Read(o.callback())
	}
	if err != nil {
		return s.wrapPollErr(name, nil, err, false)
	}
	return nil
}

// waitContext is wait with a context: the context's deadline bounds the
// wait and its cancellation wakes the waiter.
func (s *Socket) waitContext(ctx context.Context, o *op, write bool, name string, dl int64, nonblock bool) error {
	if err := ctx.Err(); err != nil {
		return &net.OpError{Op: name, Net: socketNetName(s.family), Err: ctxError(err)}
	}
	ctxDL := false
	var done <-chan struct{}
	if !nonblock {
		if d, ok := ctx.Deadline(); ok {
			if n := d.UnixNano(); dl == 0 || n < dl {
				dl, ctxDL = n, true
			}
		}
		done = ctx.Done()
	}
	s.arm(write, dl)

	var (
		stop  func() bool
		fired chan struct{}
	)
	if done != nil {
		fired = make(chan struct{})
		stop = context.AfterFunc(ctx, func() {
			s.arm(write, 1) // a deadline in the past wakes the waiter
			close(fired)
		})
	}
	var err error
	if write {
		err = s.rc.Write(o.callback())
	} else {
		err = s.rc.Read(o.callback())
	}
	if stop != nil && !stop() {
		<-fired
	}
	if err != nil {
		return s.wrapPollErr(name, ctx, err, ctxDL)
	}
	return nil
}

// do is wait with the socket's own deadline and mode.
func (s *Socket) do(ctx context.Context, o *op, write bool, name string) error {
	dl, nb := s.opDeadlineMode(write, o.adapter)
	return s.wait(ctx, o, write, name, dl, nb)
}

// runFunc runs f (a read or write system call) on the poller with the
// socket's mode and deadlines; f must return the raw errno.
func (s *Socket) runFunc(ctx context.Context, write bool, name string, f func(fd int) (int, error)) (int, error) {
	o := s.getOp(write)
	o.kind = opFunc
	o.f = f
	err := s.do(ctx, o, write, name)
	n, serr := o.n, o.err
	s.putOp(write, o)
	if err != nil {
		return 0, err
	}
	if serr != nil {
		return 0, s.errnoError(name, serr)
	}
	return n, nil
}
