//go:build linux

package tipc

import (
	"errors"
	"fmt"

	"github.com/fieldgate/fieldgate/core"
	"golang.org/x/sys/unix"
)

// newSocket creates an AF_TIPC socket; a kernel without TIPC gets an error
// naming what is missing.
func newSocket(typ int) (*core.Socket, error) {
	s, err := core.NewSocket(unix.AF_TIPC, typ|unix.SOCK_CLOEXEC, 0)
	if errors.Is(err, unix.EAFNOSUPPORT) {
		return nil, fmt.Errorf("this kernel has no TIPC (CONFIG_TIPC, module tipc): %w", err)
	}
	return s, err
}
