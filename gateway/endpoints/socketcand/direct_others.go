//go:build !linux

package socketcand

import (
	"errors"
	"net"
)

// directWriter: without Linux, the writer goroutine writes everything.
type directWriter struct{}

func newDirect(net.Conn) *directWriter { return nil }

func (*directWriter) try([]byte) int { return 0 }

// ifCounters: interface counters are read from Linux's sysfs only.
func ifCounters(name string) (rb, rp, tb, tp uint64, err error) {
	return 0, 0, 0, 0, errors.New("interface counters of " + name + ": only on Linux")
}
