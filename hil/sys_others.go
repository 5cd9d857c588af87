//go:build !linux

package hil

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
)

// The rig boots a Linux guest with QEMU from a Linux host; elsewhere
// provisioning stops at the lock with a clear error.

func lockFile(*os.File) error {
	return fmt.Errorf("the hardware-in-the-loop rig is not supported on %s (it needs a Linux host)", runtime.GOOS)
}

func unlockFile(*os.File) error { return nil }

func dieWithParent() *syscall.SysProcAttr { return nil }
