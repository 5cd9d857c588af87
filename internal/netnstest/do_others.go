//go:build !linux

package netnstest

import (
	"fmt"
	"runtime"
)

// Do reports that network namespaces are Linux-only.
func (n *Net) Do(f func() error) error {
	return fmt.Errorf("netnstest: network namespaces are not supported on %s", runtime.GOOS)
}

func openNetns(name string) (int, error) {
	return -1, fmt.Errorf("network namespaces are not supported on %s", runtime.GOOS)
}

func closeFD(int) {}
