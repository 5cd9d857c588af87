//go:build linux

package netlinkfam

import (
	"runtime"
	"testing"

	"github.com/vishvananda/netns"
)

// newNetNS creates a fresh, unnamed network namespace for one test and
// returns its file descriptor; the namespace (and every link in it)
// disappears when the test ends. Needs root (CAP_SYS_ADMIN).
func newNetNS(t *testing.T) int {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatalf("get current netns: %v", err)
	}
	defer orig.Close()
	ns, err := netns.New()
	if err != nil {
		t.Fatalf("create netns (tests need root): %v", err)
	}
	if err := netns.Set(orig); err != nil {
		t.Fatalf("return to the original netns: %v", err)
	}
	t.Cleanup(func() { ns.Close() })
	return int(ns)
}

func dialNS(t *testing.T, fd int) *Conn {
	t.Helper()
	c, err := Dial(&Config{NetNS: fd})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
