//go:build !unix

package cli

import "os"

// acdStatusSignal: there is no SIGUSR1 here.
func acdStatusSignal() <-chan os.Signal { return nil }
