//go:build unix

package cli

import (
	"os"
	"os/signal"
	"syscall"
)

// acdStatusSignal delivers SIGUSR1, on which acd prints its table.
func acdStatusSignal() <-chan os.Signal {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	return ch
}
