//go:build linux

package socketcand

import (
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// rawConn returns c's socket for non-blocking writes from Send (a plain
// TCP connection), or nil (TLS): then the client's writer goroutine
// writes everything.
func rawConn(c net.Conn) syscall.RawConn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// tryWrite writes as much of p as the socket takes now, without waiting,
// and returns how much that was; errors are left to the writer goroutine's
// blocking write, which reports them.
func tryWrite(rc syscall.RawConn, p []byte) int {
	n := 0
	rc.Write(func(fd uintptr) bool {
		for n < len(p) {
			k, err := unix.Write(int(fd), p[n:])
			if err == unix.EINTR {
				continue
			}
			if err != nil || k <= 0 {
				break
			}
			n += k
		}
		return true // never wait
	})
	return n
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
