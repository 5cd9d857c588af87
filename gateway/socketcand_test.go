package gateway

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	socketcandep "github.com/fieldgate/fieldgate/gateway/endpoints/socketcand"
)

func scDial(t *testing.T, addr, bus string, mode string) (net.Conn, *bufio.Reader) {
	t.Helper()
	var c net.Conn
	var err error
	for range 100 {
		if c, err = net.Dial("tcp", addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	expect := func(want string) {
		t.Helper()
		got, err := readMsg(r)
		if err != nil || got != want {
			t.Fatalf("got %q (%v), want %q", got, err, want)
		}
	}
	expect("< hi >")
	fmt.Fprintf(c, "< open %s >", bus)
	expect("< ok >")
	if mode != "" {
		fmt.Fprintf(c, "< %s >", mode)
		expect("< ok >")
	}
	c.SetReadDeadline(time.Time{})
	return c, r
}

// readMsg reads one "< ... >" message.
func readMsg(r *bufio.Reader) (string, error) {
	if _, err := r.ReadString('<'); err != nil {
		return "", err
	}
	s, err := r.ReadString('>')
	return "<" + s, err
}

// TestSocketcand sends frames from two socketcand clients (raw and BCM mode)
// through a route to two raw-mode clients and a BCM subscriber on another
// socketcand endpoint: exact frames, exact counts.
func TestSocketcand(t *testing.T) {
	p1, p2 := freePort(t, "tcp"), freePort(t, "tcp")
	g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  a: {kind: socketcand, listen: "127.0.0.1:%d", bus: vcan0}
  b: {kind: socketcand, listen: "127.0.0.1:%d", bus: vcan1}
routes:
  - {name: ab, from: [a], to: [b]}
`, p1, p2))
	a1, _ := scDial(t, fmt.Sprintf("127.0.0.1:%d", p1), "vcan0", "rawmode")
	defer a1.Close()
	a2, _ := scDial(t, fmt.Sprintf("127.0.0.1:%d", p1), "vcan0", "") // BCM mode sends too
	defer a2.Close()
	b1, r1 := scDial(t, fmt.Sprintf("127.0.0.1:%d", p2), "vcan1", "rawmode")
	defer b1.Close()
	b2, r2 := scDial(t, fmt.Sprintf("127.0.0.1:%d", p2), "vcan1", "rawmode")
	defer b2.Close()
	b3, r3 := scDial(t, fmt.Sprintf("127.0.0.1:%d", p2), "vcan1", "")
	defer b3.Close()
	fmt.Fprint(b3, "< subscribe 0 0 7FF >")
	waitPeers(t, g, "b", 3)
	time.Sleep(2 * socketcandep.RawHold)
	// A bad bus name is refused and the connection closed.
	bad, _ := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", p2))
	br := bufio.NewReader(bad)
	readMsg(br)
	fmt.Fprint(bad, "< open can9 >")
	if m, _ := readMsg(br); m != "< error could not open bus >" {
		t.Fatalf("bad bus: %q", m)
	}
	bad.Close()

	const N = 300
	for i := range N {
		c := a1
		if i%2 == 1 {
			c = a2
		}
		fmt.Fprintf(c, "< send %X 2 %x %x >", i%0x800, i&0xff, 0xAB)
		if i%50 == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	fmt.Fprint(a1, "< send 7FF 1 1 >")
	for _, r := range []*bufio.Reader{r1, r2} {
		seen := map[string]bool{}
		for len(seen) < N+1 {
			m, err := readMsg(r)
			if err != nil {
				t.Fatalf("after %d frames: %v", len(seen), err)
			}
			f := strings.Fields(m)
			if len(f) != 6 || f[1] != "frame" {
				t.Fatalf("bad frame message %q", m)
			}
			seen[f[2]+"#"+f[4]] = true
		}
		if !seen["000#00AB"] || !seen["12B#2BAB"] || !seen["7FF#01"] {
			t.Fatalf("missing frames")
		}
	}
	m, _ := readMsg(r3)
	if f := strings.Fields(m); len(f) != 6 || f[2] != "7FF" || f[4] != "01" {
		t.Fatalf("BCM subscriber got %q", m)
	}
	waitFor(t, "counters", func() bool { return g.Status().Routes[0].Out == N+1 })
	r := g.Status().Routes[0]
	if r.In != N+1 || r.Out != N+1 || DroppedTotal(r.Dropped) != 0 {
		t.Fatalf("route %+v", r)
	}
}

// TestSocketcandHostile sends garbage and an endless message: the client is
// disconnected, the gateway keeps serving others.
func TestSocketcandHostile(t *testing.T) {
	p := freePort(t, "tcp")
	g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  a: {kind: socketcand, listen: "127.0.0.1:%d", bus: vcan0}
  l: {kind: log, path: %q}
routes:
  - {from: [a], to: [l]}
`, p, t.TempDir()+"/x.log"))
	c, _ := scDial(t, fmt.Sprintf("127.0.0.1:%d", p), "vcan0", "rawmode")
	fmt.Fprint(c, "garbage >>> < send zz 1 1 > < send 123 9 > < nonsense >< send 123 1 1 >")
	c.Write([]byte("<" + strings.Repeat("x", 9000)))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	if !strings.Contains(string(b), "< error unknown command >") {
		t.Errorf("no unknown-command reply: %q %v", b, err)
	}
	waitPeers(t, g, "a", 0)
	st := g.Status()
	var ep EndpointStatus
	for _, e := range st.Endpoints {
		if e.Name == "a" {
			ep = e
		}
	}
	if ep.FramesIn != 1 || ep.Dropped["malformed"] != 3 {
		t.Fatalf("endpoint %+v", ep)
	}
	c2, _ := scDial(t, fmt.Sprintf("127.0.0.1:%d", p), "vcan0", "")
	c2.Close()
}
