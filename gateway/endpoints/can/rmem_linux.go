//go:build linux

package can

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// hostRmemCap returns net.core.rmem_max and true when this process cannot go
// past it (no CAP_NET_ADMIN in its effective set, so SO_RCVBUFFORCE fails
// and SO_RCVBUF is capped); false when it can, or when either is unknown.
func hostRmemCap() (int64, bool) {
	if hasNetAdmin() {
		return 0, false
	}
	b, err := os.ReadFile("/proc/sys/net/core/rmem_max")
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || v <= 0 {
		return 0, false
	}
	return v, true
}

// hasNetAdmin reports whether CAP_NET_ADMIN is in this process's effective
// capability set.
func hasNetAdmin() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return true // unknown: do not warn
	}
	const bit = unix.CAP_NET_ADMIN
	return data[bit/32].Effective&(1<<(bit%32)) != 0
}
