package ifstate

import (
	"errors"

	"golang.org/x/sys/unix"
)

// LinkDown reports errors that mean the interface is gone or down.
func LinkDown(err error) bool {
	return errors.Is(err, unix.ENETDOWN) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO)
}
