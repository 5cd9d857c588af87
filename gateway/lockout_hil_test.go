//go:build hil

package gateway

import (
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/cannelloni"
	socketcandep "github.com/fieldgate/fieldgate/gateway/endpoints/socketcand"
	"github.com/fieldgate/fieldgate/internal/peer"
	"github.com/fieldgate/fieldgate/vsock"
)

// scClient is a python3 socketcand client on a plain socket, bound to the
// source address argv[1]: it prints "started", connects once a line comes
// on its standard input (so that the interpreter's start-up, seconds in
// the rig, is not part of the timing), opens vcan0 in raw mode, prints
// each reply, "ready", then every frame message it receives.
const scClient = `
import socket, sys
print("started")
sys.stdin.readline()
s = socket.socket()
s.bind((sys.argv[1], 0))
s.settimeout(30)
s.connect(("127.0.0.1", int(sys.argv[2])))
def msg():
    b = b""
    while not b.endswith(b">"):
        c = s.recv(1)
        if not c:
            print("closed by the server", flush=True)
            sys.exit(1)
        b += c
    return b.decode().strip()
print(msg())
s.sendall(b"< open vcan0 >")
print(msg())
s.sendall(b"< rawmode >")
print(msg())
print("ready")
while True:
    print(msg())
`

// TestHILSocketcandLockout, with the defaults (max_clients 16,
// max_clients_per_peer 4, handshake_timeout 5s) and the example's
// 0.0.0.0: 16 connections from 127.0.0.1 that never send a command do not
// lock out a python3 client from 127.0.0.2, which opens vcan0 while they
// hold their slots and receives a frame cansend puts on the bus. The
// silent ones are closed after handshake_timeout and counted; then a
// client from 127.0.0.1 gets in too, and the log holds at most 5 lines
// about 127.0.0.1.
func TestHILSocketcandLockout(t *testing.T) {
	g := startGW(t, 9277, `
endpoints:
  bus: {kind: can, interface: vcan0}
  sc: {kind: socketcand, listen: "0.0.0.0:29577", bus: vcan0}
routes:
  - {name: to-clients, from: [bus], to: [sc]}
`)
	start := func(src string) *peer.Process {
		cl := peer.StartPython(t, scClient, src, "29577")
		cl.Expect(t, "started", 120*time.Second)
		return cl
	}
	recv := func(cl *peer.Process, src, want string) {
		t.Helper()
		io.WriteString(cl.In(), "go\n")
		for _, w := range []string{"< hi >", "< ok >", "< ok >", "ready"} {
			if got := cl.Line(t, 30*time.Second); got != w {
				t.Fatalf("client from %s: %q, want %q", src, got, w)
			}
		}
		time.Sleep(2 * socketcandep.RawHold)
		if out, err := exec.Command("cansend", "vcan0", "123#"+want).CombinedOutput(); err != nil {
			t.Fatalf("cansend: %v %s", err, out)
		}
		got := cl.Line(t, 10*time.Second)
		if !strings.HasPrefix(got, "< frame 123 ") || !strings.HasSuffix(got, " "+want+" >") {
			t.Fatalf("client from %s received %q, want the frame 123#%s", src, got, want)
		}
	}
	c2, c1 := start("127.0.0.2"), start("127.0.0.1")

	var silent []net.Conn
	for range 16 {
		c, err := net.Dial("tcp", "127.0.0.1:29577")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		silent = append(silent, c)
	}
	waitStatus(t, g, "12 refusals", func(e EndpointStatus) bool { return e.Rejected["max_clients_per_peer"] == 12 })
	recv(c2, "127.0.0.2", "DEADBEEF")
	// The silent four still held their slots while it opened the bus.
	if e := g.status(t).endpoint("sc"); e.Rejected["handshake_timeout"] != 0 || e.Peers != 5 {
		t.Fatalf("the client from 127.0.0.2 got in only after the silent ones were closed: %+v", e)
	}

	// The four silent connections that got a slot are closed and counted.
	for _, c := range silent {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.Copy(io.Discard, c); err != nil && !strings.Contains(err.Error(), "reset") {
			t.Fatalf("silent connection not closed: %v", err)
		}
	}
	e := waitStatus(t, g, "4 timeouts", func(e EndpointStatus) bool { return e.Rejected["handshake_timeout"] == 4 && e.Peers == 1 })
	if len(e.Rejected) != 2 {
		t.Fatalf("sc %+v", e)
	}
	recv(c1, "127.0.0.1", "0102")
	e = g.status(t).endpoint("sc")
	if e.Peers != 2 || e.Dropped["malformed"] != 0 {
		t.Fatalf("sc %+v", e)
	}
	// 12 refusals and 4 timeouts (16 lines, plus connects and
	// disconnects) wrote at most 5 lines about 127.0.0.1.
	g.Signal(os.Interrupt)
	g.Wait()
	var about int
	for _, l := range strings.Split(g.Stderr(), "\n") {
		if strings.Contains(l, "peer=127.0.0.1:") {
			about++
		}
	}
	t.Logf("sc %+v; %d log lines about 127.0.0.1", e, about)
	if about > 5 || e.LogSuppressed < 16 {
		t.Fatalf("%d log lines about 127.0.0.1 (want at most 5), %d suppressed:\n%s", about, e.LogSuppressed, g.Stderr())
	}
}

// TestHILVsockPerCID: vsock peers are limited per CID: every connection
// over vsock_loopback comes from CID 1, so the third of
// max_clients_per_peer: 2 is refused and counted, while a silent one is
// closed after handshake_timeout.
func TestHILVsockPerCID(t *testing.T) {
	g := startGW(t, 9278, `
endpoints:
  link: {kind: vsock, port: 21077, max_clients_per_peer: 2, handshake_timeout: 1s}
  bus: {kind: can, interface: vcan0}
routes:
  - {name: r, from: [link], to: [bus], allow: ["000:000"]}
`)
	dial := func(handshake bool) net.Conn {
		t.Helper()
		c, err := vsock.Dial(t.Context(), vsock.CIDLocal, 21077, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if handshake {
			io.WriteString(c, cannelloni.Handshake)
		}
		return c
	}
	dial(true)
	dial(true)
	waitStatus(t, g, "2 peers", func(e EndpointStatus) bool { return e.Peers == 2 })
	third := dial(true)
	third.SetReadDeadline(time.Now().Add(5 * time.Second))
	if b, err := io.ReadAll(third); (err != nil && !strings.Contains(err.Error(), "reset")) || len(b) != 0 {
		t.Fatalf("third connection of CID 1: read %q, %v; want closed unserved", b, err)
	}
	waitStatus(t, g, "the refusal", func(e EndpointStatus) bool { return e.Rejected["max_clients_per_peer"] == 1 })
	time.Sleep(1500 * time.Millisecond)
	if e := g.status(t).endpoint("link"); e.Peers != 2 || len(e.Rejected) != 1 {
		t.Fatalf("linked peers are kicked or more was counted: %+v", e)
	}
}

// waitStatus polls g's status of endpoint sc (or link) until cond holds.
func waitStatus(t *testing.T, g *gw, what string, cond func(EndpointStatus) bool) EndpointStatus {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := g.status(t)
		e := st.endpoint("sc")
		if e.Name == "" {
			e = st.endpoint("link")
		}
		if cond(e) {
			return e
		}
		if time.Now().After(deadline) {
			t.Fatalf("timeout waiting for %s: %+v", what, e)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
