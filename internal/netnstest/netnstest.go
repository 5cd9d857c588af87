// Package netnstest gives tests a throw-away network namespace holding
// veth pairs, so that code sending and capturing real Ethernet frames can
// be tested on one machine without touching the host's interfaces.
//
// It shells out to iproute2's ip(8), as an operator would, and switches a
// locked OS thread into the namespace with setns(2) to open sockets there.
// Creating a namespace needs root (CAP_SYS_ADMIN); without it New fails
// the test with a message saying so.
package netnstest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Pair is one veth pair to create in a namespace: links A and B, both up
// with the given MAC addresses (empty: the kernel's random ones) and MTU
// (0: the kernel's default, 1500).
type Pair struct {
	A, B       string
	MACA, MACB string
	MTU        int
}

// Net is a network namespace that exists until the test that made it
// ends, pass or fail. IPv6 is off in it, so the kernel sends nothing of
// its own (no router solicitations, no DAD), and lo is up.
type Net struct {
	// Name is the namespace's name under /run/netns.
	Name string
	fd   int
}

var counter atomic.Int32

// New creates a namespace named PREFIX<pid>-<n> with the given veth pairs
// and waits until every link is operationally up.
func New(t testing.TB, prefix string, pairs ...Pair) *Net {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("netnstest: network namespace tests need root (euid %d)", os.Geteuid())
	}
	n := &Net{Name: fmt.Sprintf("%s%d-%d", prefix, os.Getpid(), counter.Add(1)), fd: -1}
	Run(t, "ip", "netns", "add", n.Name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", n.Name).Run() })
	Run(t, "ip", "netns", "exec", n.Name, "sysctl", "-qw",
		"net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	n.IP(t, "link", "set", "lo", "up")
	var links []string
	for _, p := range pairs {
		n.IP(t, "link", "add", p.A, "type", "veth", "peer", "name", p.B)
		for _, l := range [][2]string{{p.A, p.MACA}, {p.B, p.MACB}} {
			args := []string{"link", "set", l[0]}
			if p.MTU != 0 {
				args = append(args, "mtu", fmt.Sprint(p.MTU))
			}
			if l[1] != "" {
				args = append(args, "address", l[1])
			}
			n.IP(t, append(args, "up")...)
		}
		links = append(links, p.A, p.B)
	}
	n.WaitUp(t, links...)
	fd, err := openNetns(n.Name)
	if err != nil {
		t.Fatalf("netnstest: open namespace %s: %v", n.Name, err)
	}
	n.fd = fd
	t.Cleanup(func() { closeFD(fd) })
	return n
}

// IP runs `ip -n NAME ARGS...` and fails the test if it fails.
func (n *Net) IP(t testing.TB, args ...string) string {
	t.Helper()
	return Run(t, "ip", append([]string{"-n", n.Name}, args...)...)
}

// WaitUp waits up to 10 s for each link to report operstate UP with a
// real qdisc: until the kernel's linkwatch has run, a veth has the noop
// qdisc, which drops every frame sent on it.
func (n *Net) WaitUp(t testing.TB, links ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, l := range links {
		for {
			out, _ := exec.Command("ip", "-n", n.Name, "-o", "link", "show", l).Output()
			if strings.Contains(string(out), "state UP") && !strings.Contains(string(out), "qdisc noop") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("netnstest: link %s in %s not up: %s", l, n.Name, out)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// Run runs a command and fails the test, showing its output, if it fails.
// It returns the command's combined output.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// EnableIPv6 switches IPv6 back on in the namespace (New switches it off)
// for links created after the call and for those that exist.
func (n *Net) EnableIPv6(t testing.TB) {
	t.Helper()
	Run(t, "ip", "netns", "exec", n.Name, "sysctl", "-qw",
		"net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.default.disable_ipv6=0")
}
