//go:build linux

package netlinkfam

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	vnl "github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// BenchmarkLinksVsVishvananda lists 41 links (lo + 20 veth pairs) in a
// fresh namespace with Conn.Links and with vishvananda/netlink's LinkList in
// the same run, and reports the time ratio ours/theirs (below 1 = faster).
func BenchmarkLinksVsVishvananda(b *testing.B) {
	ns := newNetNSB(b)
	c, err := Dial(&Config{NetNS: ns})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for i := range 20 {
		if err := c.AddVeth(fmt.Sprintf("fgb%d", i), &PeerConfig{Name: fmt.Sprintf("fgp%d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	h, err := vnl.NewHandleAt(netns.NsHandle(ns))
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	b.ResetTimer()
	// Interleave the two in blocks so that load from other processes hits
	// both alike.
	var ours, theirs time.Duration
	for done := 0; done < b.N; {
		n := min(50, b.N-done)
		start := time.Now()
		for range n {
			ls, err := c.Links()
			if err != nil || len(ls) != 41 {
				b.Fatalf("Links: %d, %v", len(ls), err)
			}
		}
		ours += time.Since(start)
		start = time.Now()
		for range n {
			ls, err := h.LinkList()
			if err != nil || len(ls) != 41 {
				b.Fatalf("LinkList: %d, %v", len(ls), err)
			}
		}
		theirs += time.Since(start)
		done += n
	}
	b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "ours-ns/op")
	b.ReportMetric(float64(theirs.Nanoseconds())/float64(b.N), "vishvananda-ns/op")
	b.ReportMetric(float64(ours)/float64(theirs), "ratio")
}

func newNetNSB(b *testing.B) int {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		b.Fatal(err)
	}
	defer orig.Close()
	ns, err := netns.New()
	if err != nil {
		b.Fatal(err)
	}
	netns.Set(orig)
	b.Cleanup(func() { ns.Close() })
	return int(ns)
}
