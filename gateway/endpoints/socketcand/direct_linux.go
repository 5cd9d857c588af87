//go:build linux

package socketcand

import (
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// directWriter writes to a plain TCP connection from Send without
// waiting (its socket is non-blocking): no goroutine switch to the
// client's writer while the socket takes the bytes. Its callback is made
// once, so a write allocates nothing.
type directWriter struct {
	rc syscall.RawConn
	p  []byte
	n  int
	fn func(fd uintptr) bool
}

// newDirect returns c's direct writer, or nil (TLS): then the client's
// writer goroutine writes everything.
func newDirect(c net.Conn) *directWriter {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	d := &directWriter{rc: rc}
	d.fn = d.write
	return d
}

// write is a raw system call: the socket is non-blocking, so the write
// never waits, and the scheduler need not hand the processor to another
// thread meanwhile (which it does for a system call that takes more than
// 20 µs, as a loopback TCP write does on a slow single-CPU machine, at the
// price of a thread wake-up per frame).
func (d *directWriter) write(fd uintptr) bool {
	for d.n < len(d.p) {
		p := d.p[d.n:]
		k, _, errno := unix.RawSyscall(unix.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 || int(k) <= 0 {
			break
		}
		d.n += int(k)
	}
	return true // never wait
}

// try writes as much of p as the socket takes now and returns how much
// that was; errors are left to the writer goroutine's blocking write,
// which reports them.
func (d *directWriter) try(p []byte) int {
	d.p, d.n = p, 0
	d.rc.Write(d.fn)
	d.p = nil
	return d.n
}

// ifCounters reads the receive and transmit counters of interface name
// (what socketcand reads from /proc/net/dev), from
// /sys/class/net/NAME/statistics.
func ifCounters(name string) (rb, rp, tb, tp uint64, err error) {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return 0, 0, 0, 0, &os.PathError{Op: "read counters", Path: name, Err: os.ErrInvalid}
	}
	var v [4]uint64
	for i, f := range [...]string{"rx_bytes", "rx_packets", "tx_bytes", "tx_packets"} {
		b, err := os.ReadFile("/sys/class/net/" + name + "/statistics/" + f)
		if err != nil {
			return 0, 0, 0, 0, err
		}
		if v[i], err = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err != nil {
			return 0, 0, 0, 0, err
		}
	}
	return v[0], v[1], v[2], v[3], nil
}
