//go:build !linux

package can

// hostRmemCap: no receive buffer cap is known off Linux (can endpoints do not
// open there).
func hostRmemCap() (int64, bool) { return 0, false }
