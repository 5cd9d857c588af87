//go:build !unix

package socketcand

import "time"

// cpuTime is not measured here.
func cpuTime() time.Duration { return 0 }
