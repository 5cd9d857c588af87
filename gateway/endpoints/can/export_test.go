package can

// RmemCap is rmemCap, for tests.
func RmemCap() (int64, bool) { return rmemCap() }

// SetRmemCap makes check see f's net.core.rmem_max cap until the returned
// function restores the host's.
func SetRmemCap(f func() (int64, bool)) (restore func()) {
	old := rmemCap
	rmemCap = f
	return func() { rmemCap = old }
}
