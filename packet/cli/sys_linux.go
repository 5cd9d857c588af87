//go:build linux

package cli

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// ARPHRD types the CLI distinguishes.
const (
	arphrdEther    = unix.ARPHRD_ETHER
	arphrdLoopback = unix.ARPHRD_LOOPBACK
	arphrdCAN      = unix.ARPHRD_CAN
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// hardwareType returns the ARPHRD type of an interface (SIOCGIFHWADDR).
func hardwareType(name string) (uint16, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFHWADDR, ifr); err != nil {
		return 0, fmt.Errorf("SIOCGIFHWADDR %s: %w", name, err)
	}
	return ifr.Uint16(), nil
}
