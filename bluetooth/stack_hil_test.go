//go:build hil

package bluetooth

import (
	"testing"
)

// growStack calls fn depth frames down, so that fn starts at a different
// point of a fresh goroutine's stack each time.
//
//go:noinline
func growStack(depth int, fn func()) {
	var pad [64]byte
	if depth > 0 {
		growStack(depth-1, fn)
		pad[depth%64]++
		return
	}
	fn()
}

// Devices is right wherever on its goroutine's stack it runs: the kernel
// writes HCIGETDEVLIST's answer into the buffer the ioctl was given, so
// the buffer must not move between taking its address and the call (a
// stack that grows in between leaves the kernel writing to the old copy,
// and the list read back is the request: 64 devices of id 0).
func TestHILDevicesAtAnyStackDepth(t *testing.T) {
	a, b := controllers(t)
	want, err := Devices()
	if err != nil {
		t.Fatal(err)
	}
	for depth := range 120 {
		var got []DeviceInfo
		var gerr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			growStack(depth, func() { got, gerr = Devices() })
		}()
		<-done
		if gerr != nil {
			t.Fatalf("depth %d: %v", depth, gerr)
		}
		seen := map[uint16]bool{}
		for _, d := range got {
			if seen[d.ID] {
				t.Fatalf("depth %d: Devices() lists hci%d twice (%d devices, want %d)", depth, d.ID, len(got), len(want))
			}
			seen[d.ID] = true
		}
		if len(got) != len(want) || !seen[a.ID] || !seen[b.ID] {
			t.Fatalf("depth %d: Devices() = %d devices %v, want %d with hci%d and hci%d", depth, len(got), got, len(want), a.ID, b.ID)
		}
	}
}
