//go:build !linux

package cli

import (
	"fmt"
	"io"
	"runtime"
)

func listDevices(io.Writer) error {
	return fmt.Errorf("capture is not supported on %s", runtime.GOOS)
}

func defaultDevice() (string, error) {
	return "", fmt.Errorf("capture is not supported on %s", runtime.GOOS)
}
