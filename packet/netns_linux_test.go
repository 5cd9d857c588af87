//go:build linux && !hil

package packet

import (
	"net"
	"testing"

	"github.com/fieldgate/fieldgate/internal/netnstest"
)

// vethNet is a network namespace holding a veth pair A <-> B, both up,
// IPv6 off so the kernel sends nothing of its own. It is deleted when the
// test ends, pass or fail.
type vethNet struct {
	*netnstest.Net
	name string
}

func newVethNet(t testing.TB) *vethNet {
	t.Helper()
	n := netnstest.New(t, "fgpkt", netnstest.Pair{A: "A", B: "B", MACA: "02:00:00:00:00:0a", MACB: "02:00:00:00:00:0b"})
	return &vethNet{Net: n, name: n.Name}
}

func mustRun(t testing.TB, name string, args ...string) string {
	t.Helper()
	return netnstest.Run(t, name, args...)
}

// do runs f on an OS thread switched into the namespace. Sockets created
// inside keep the namespace after f returns.
func (n *vethNet) do(t testing.TB, f func()) {
	t.Helper()
	if err := n.Do(func() error { f(); return nil }); err != nil {
		t.Fatal(err)
	}
	if t.Failed() {
		t.FailNow()
	}
}

// listen opens a Conn on interface name inside the namespace.
func (n *vethNet) listen(t testing.TB, name string, cfg *Config) *Conn {
	t.Helper()
	var c *Conn
	var err error
	n.do(t, func() {
		var ifi *net.Interface
		if name != "" {
			if ifi, err = net.InterfaceByName(name); err != nil {
				return
			}
		}
		c, err = Listen(ifi, cfg)
	})
	if err != nil {
		t.Fatalf("listen %s in %s: %v", name, n.name, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
