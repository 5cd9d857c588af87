//go:build linux

package udpmulticast

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/internal/netnstest"
)

// The interop tests run fieldgate's endpoint in one network namespace and
// python-can 4.1's udp_multicast bus in another, joined by a veth pair
// (IPv4 10.77.0.0/24 and IPv6 fd77::/64, a multicast route on the veth),
// as two hosts on a LAN.

type mcNet struct {
	a, b string // namespace names: fieldgate in a (link va), python in b (link vb)
	na   *netnstest.Net
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	netnstest.Run(t, name, args...)
}

func newMcNet(t *testing.T) *mcNet {
	t.Helper()
	na, nb := netnstest.New(t, "fgmca"), netnstest.New(t, "fgmcb")
	n := &mcNet{a: na.Name, b: nb.Name, na: na}
	na.EnableIPv6(t)
	nb.EnableIPv6(t)
	na.IP(t, "link", "add", "va", "type", "veth", "peer", "name", "vb")
	na.IP(t, "link", "set", "vb", "netns", n.b)
	for i, c := range []struct {
		ns   *netnstest.Net
		link string
	}{{na, "va"}, {nb, "vb"}} {
		c.ns.IP(t, "addr", "add", fmt.Sprintf("10.77.0.%d/24", i+1), "dev", c.link)
		c.ns.IP(t, "addr", "add", fmt.Sprintf("fd77::%d/64", i+1), "dev", c.link, "nodad")
		c.ns.IP(t, "link", "set", c.link, "up")
		c.ns.IP(t, "route", "add", "224.0.0.0/4", "dev", c.link)
	}
	na.WaitUp(t, "va")
	nb.WaitUp(t, "vb")
	return n
}

// open opens a udp_multicast endpoint with fields inside namespace a, on
// a locked thread that dies afterwards.
func (n *mcNet) open(t *testing.T, fields string) (endpoint.Transceiver, *endpoint.Stats) {
	t.Helper()
	c, err := config.Parse("m.yaml", []byte(fmt.Sprintf("endpoints:\n  m: {kind: udp_multicast, %s}\n  l: {kind: udp_multicast, group: 239.1.1.1, port: 9}\nroutes: [{from: [m], to: [l]}]\n", fields)))
	if err != nil {
		t.Fatal(err)
	}
	st := &endpoint.Stats{}
	type res struct {
		tr  endpoint.Transceiver
		err error
	}
	var r res
	r.err = n.na.Do(func() error {
		var err error
		r.tr, err = endpoint.Open(context.Background(), c.Endpoint("m"), &endpoint.Env{Name: "m", Stats: st, Log: slog.New(slog.DiscardHandler)})
		return err
	})
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { r.tr.Close() })
	return r.tr, st
}

// peer starts testdata/peer.py in namespace b (or a) and returns its
// output lines.
func peer(t *testing.T, ns string, stdin io.Reader, args ...string) (*exec.Cmd, <-chan string) {
	t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns, "/usr/bin/python3", "testdata/peer.py"}, args...)...)
	cmd.Stdin = stdin
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 1<<16)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	return cmd, lines
}

func nextLine(t *testing.T, lines <-chan string, what string) string {
	t.Helper()
	select {
	case l, ok := <-lines:
		if !ok {
			t.Fatalf("python-can ended before %s", what)
		}
		return l
	case <-time.After(30 * time.Second):
		t.Fatalf("no %s from python-can in 30 s", what)
	}
	return ""
}

var groups = []struct{ name, group string }{{"ipv4", DefaultGroupIPv4}, {"ipv6", DefaultGroupIPv6}}

// TestPythonReceives: python-can's bus in the other namespace receives
// every frame fieldgate sends, classic, remote, FD and error frames, with
// identical fields; its timestamps are its receive times, as python-can
// sets them, within the sending window. fieldgate does not read back its
// own datagrams although loopback is on.
func TestPythonReceives(t *testing.T) {
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			n := newMcNet(t)
			tr, st := n.open(t, fmt.Sprintf("group: %q, interface: va, hop_limit: 2", g.group))
			var own atomic.Int64
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); tr.Receive(ctx, func(fs []frame.Frame) { own.Add(int64(len(fs))) }) }()
			fs := sampleFrames()
			_, lines := peer(t, n.b, nil, "recv", g.group, strconv.Itoa(DefaultPort), strconv.Itoa(len(fs)))
			nextLine(t, lines, "ready")
			before := time.Now()
			if k, err := tr.Send(context.Background(), fs); k != len(fs) || err != nil {
				t.Fatalf("Send: %d, %v", k, err)
			}
			for i := range fs {
				var m pyMsg
				if err := json.Unmarshal([]byte(nextLine(t, lines, "message")), &m); err != nil {
					t.Fatal(err)
				}
				w := toPy(&fs[i])
				gotT, _ := strconv.ParseFloat(m.T, 64)
				m.T = w.T
				if m != w {
					t.Errorf("message %d: python-can got %+v, want %+v", i, m, w)
				}
				if rt := time.Unix(0, int64(gotT*1e9)); rt.Before(before.Add(-time.Millisecond)) || rt.After(time.Now()) {
					t.Errorf("message %d: receive timestamp %v outside the send window from %v", i, rt, before)
				}
			}
			time.Sleep(200 * time.Millisecond) // our own datagrams would be read by now
			cancel()
			wg.Wait()
			if own.Load() != 0 || st.Drops.Total() != 0 {
				t.Errorf("fieldgate read %d of its own frames back, drops %v", own.Load(), st.Drops.Snapshot())
			}
		})
	}
}

// TestPythonSends: fieldgate receives every message python-can's bus
// sends, with the fields and, with timestamp: sender, python-can's
// timestamps to the microsecond (receive time by default); datagrams that
// are not msgpack or that can.Message would refuse are counted malformed
// and nothing else.
func TestPythonSends(t *testing.T) {
	for _, g := range groups {
		for _, ts := range []string{"receive", "sender"} {
			t.Run(g.name+"-"+ts, func(t *testing.T) {
				n := newMcNet(t)
				tr, st := n.open(t, fmt.Sprintf("group: %q, timestamp: %s", g.group, ts))
				got := make(chan frame.Frame, 64)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				go tr.Receive(ctx, func(fs []frame.Frame) {
					for i := range fs {
						got <- fs[i]
					}
				})
				fs := sampleFrames()
				var in strings.Builder
				for i := range fs {
					b, _ := json.Marshal(toPy(&fs[i]))
					in.Write(append(b, '\n'))
				}
				// A datagram that is not msgpack, one with a DLC over 8
				// on a classic frame; then python-can's messages.
				bad := Message{Timestamp: 1, ID: 1, DLC: 9}
				_, raw := peer(t, n.b, nil, "raw", g.group, strconv.Itoa(DefaultPort), "00ff", hex.EncodeToString(AppendMessage(nil, &bad)))
				nextLine(t, raw, "sent")
				before := time.Now()
				_, lines := peer(t, n.b, strings.NewReader(in.String()), "send", g.group, strconv.Itoa(DefaultPort))
				nextLine(t, lines, "sent")
				for i := range fs {
					var f frame.Frame
					select {
					case f = <-got:
					case <-time.After(30 * time.Second):
						t.Fatalf("frame %d not received in 30 s", i)
					}
					w := fs[i]
					if f.ID != w.ID || f.Type != w.Type || f.Flags != w.Flags || f.Len != w.Len || (w.ID&frame.CANRTRFlag == 0 && string(f.Payload()) != string(w.Payload())) {
						t.Errorf("frame %d: %v, want %v", i, &f, &w)
					}
					if ts == "sender" {
						if d := f.Time - w.Time; d < -1000 || d > 1000 {
							t.Errorf("frame %d: time %d, python-can sent %d", i, f.Time, w.Time)
						}
					} else if rt := time.Unix(0, f.Time); rt.Before(before) || rt.After(time.Now()) {
						t.Errorf("frame %d: receive time %v outside [%v, now]", i, rt, before)
					}
				}
				deadline := time.Now().Add(20 * time.Second)
				for st.Drops.Load(endpoint.ReasonMalformed) != 2 && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
				if m := st.Drops.Snapshot(); len(m) != 1 || m["malformed"] != 2 {
					t.Errorf("drops %v, want 2 malformed", m)
				}
				if e := st.ErrorFrames.Load(); e != 1 {
					t.Errorf("%d error frames counted, want 1", e)
				}
			})
		}
	}
}

// TestLocalPeerHearsUs: with loopback on, a python-can bus on the same
// host (namespace) receives what fieldgate sends, while fieldgate ignores
// its own datagrams; python-can's datagrams from this host are read.
func TestLocalPeerHearsUs(t *testing.T) {
	n := newMcNet(t)
	tr, _ := n.open(t, fmt.Sprintf("group: %q, interface: va", DefaultGroupIPv4))
	got := make(chan frame.Frame, 64)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go tr.Receive(ctx, func(fs []frame.Frame) {
		for i := range fs {
			got <- fs[i]
		}
	})
	fs := sampleFrames()[:2]
	_, lines := peer(t, n.a, nil, "recv", DefaultGroupIPv4, strconv.Itoa(DefaultPort), "2")
	nextLine(t, lines, "ready")
	if k, err := tr.Send(context.Background(), fs); k != 2 || err != nil {
		t.Fatalf("Send: %d %v", k, err)
	}
	for range 2 {
		nextLine(t, lines, "message")
	}
	b, _ := json.Marshal(toPy(&fs[0]))
	_, sent := peer(t, n.a, strings.NewReader(string(b)+"\n"), "send", DefaultGroupIPv4, strconv.Itoa(DefaultPort))
	nextLine(t, sent, "sent")
	select {
	case f := <-got:
		if f.ID != fs[0].ID {
			t.Fatalf("read %v, want python-can's %v (our own frames are ignored)", &f, &fs[0])
		}
	case <-time.After(30 * time.Second):
		t.Fatal("python-can's frame from this host not received")
	}
	select {
	case f := <-got:
		t.Fatalf("extra frame %v: our own?", &f)
	case <-time.After(300 * time.Millisecond):
	}
}

// TestHopLimit: hop_limit sets the IPv4 TTL and the IPv6 hop limit of the
// datagrams, as python-can's hop_limit does (its default is 1).
func TestHopLimit(t *testing.T) {
	for _, g := range groups {
		for _, hl := range []int{1, 7} {
			t.Run(fmt.Sprintf("%s-%d", g.name, hl), func(t *testing.T) {
				n := newMcNet(t)
				tr, _ := n.open(t, fmt.Sprintf("group: %q, hop_limit: %d", g.group, hl))
				_, lines := peer(t, n.b, nil, "ttl", g.group, strconv.Itoa(DefaultPort))
				nextLine(t, lines, "ready")
				fs := sampleFrames()[:1]
				// Send until the peer reports (the first may race its join).
				deadline := time.Now().Add(20 * time.Second)
				for {
					if _, err := tr.Send(context.Background(), fs); err != nil {
						t.Fatal(err)
					}
					select {
					case l := <-lines:
						if l != strconv.Itoa(hl) {
							t.Fatalf("TTL/hop limit %s, want %d", l, hl)
						}
						return
					case <-time.After(100 * time.Millisecond):
					}
					if time.Now().After(deadline) {
						t.Fatal("no datagram reached the peer")
					}
				}
			})
		}
	}
}
