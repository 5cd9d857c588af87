//go:build !linux

package cli

import (
	"fmt"
	"io"
	"runtime"
)

const (
	arphrdEther    = 1
	arphrdLoopback = 772
	arphrdCAN      = 280
)

func isTerminal(io.Writer) bool { return false }

func hardwareType(string) (uint16, error) {
	return 0, fmt.Errorf("capture and inject are not supported on %s", runtime.GOOS)
}
