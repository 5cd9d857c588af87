//go:build !linux

package main

import (
	"fmt"
	"os"
	"runtime"
)

// The guest's init runs only as PID 1 of the rig's Linux guest.
func main() {
	fmt.Fprintf(os.Stderr, "guestinit: not supported on %s: it is PID 1 of the rig's Linux guest\n", runtime.GOOS)
	os.Exit(1)
}
