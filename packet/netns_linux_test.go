//go:build linux && !hil

package packet

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var nsCounter atomic.Int32

// vethNet is a network namespace holding a veth pair A <-> B, both up,
// IPv6 off so the kernel sends nothing of its own. It is deleted when the
// test ends, pass or fail.
type vethNet struct {
	name string
	fd   int
}

func newVethNet(t testing.TB) *vethNet {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("netns tests need root (euid %d)", os.Geteuid())
	}
	name := fmt.Sprintf("fgpkt%d-%d", os.Getpid(), nsCounter.Add(1))
	mustRun(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	mustRun(t, "ip", "netns", "exec", name, "sysctl", "-qw",
		"net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	mustRun(t, "ip", "-n", name, "link", "add", "A", "type", "veth", "peer", "name", "B")
	mustRun(t, "ip", "-n", name, "link", "set", "A", "address", "02:00:00:00:00:0a", "up")
	mustRun(t, "ip", "-n", name, "link", "set", "B", "address", "02:00:00:00:00:0b", "up")
	waitLinkUp(t, name, "A", "B")
	fd, err := unix.Open("/run/netns/"+name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open netns %s: %v", name, err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return &vethNet{name: name, fd: fd}
}

func mustRun(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// do runs f on an OS thread switched into the namespace. Sockets created
// inside keep the namespace after f returns.
func (n *vethNet) do(t testing.TB, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		// The thread is left locked and so dies with the goroutine: it
		// never goes back to the pool in the wrong namespace.
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			t.Errorf("unshare: %v", err)
			return
		}
		if err := unix.Setns(n.fd, unix.CLONE_NEWNET); err != nil {
			t.Errorf("setns %s: %v", n.name, err)
			return
		}
		f()
	}()
	<-done
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

// waitLinkUp waits until the links report operstate UP: until the kernel's
// linkwatch has run, a veth has the noop qdisc, which drops every frame
// sent on it.
func waitLinkUp(t testing.TB, ns string, links ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, l := range links {
		for {
			out, _ := exec.Command("ip", "-n", ns, "-o", "link", "show", l).Output()
			if strings.Contains(string(out), "state UP") && !strings.Contains(string(out), "qdisc noop") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("link %s in %s not up: %s", l, ns, out)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
