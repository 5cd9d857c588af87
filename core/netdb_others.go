//go:build !linux

package core

import (
	"errors"
	"runtime"
)

func setHostName(string) error {
	return errors.New("sethostname is not supported on " + runtime.GOOS)
}
