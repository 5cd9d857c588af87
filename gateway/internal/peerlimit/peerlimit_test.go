package peerlimit

import (
	"bytes"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/tipc"
)

// TestSlots: the total and the per-peer limit, refusals by reason, and
// released slots taken again.
func TestSlots(t *testing.T) {
	s := NewSlots(6, 4)
	for i := range 4 {
		if _, ok := s.Acquire("10.0.0.1"); !ok {
			t.Fatalf("connection %d of 10.0.0.1 refused", i)
		}
	}
	if r, ok := s.Acquire("10.0.0.1"); ok || r != endpoint.ConnMaxPerPeer {
		t.Fatalf("5th connection of one peer: %v %v, want max_clients_per_peer", r, ok)
	}
	for _, k := range []string{"10.0.0.2", ""} {
		if _, ok := s.Acquire(k); !ok {
			t.Fatalf("peer %q refused", k)
		}
	}
	if r, ok := s.Acquire("10.0.0.3"); ok || r != endpoint.ConnMaxClients {
		t.Fatalf("7th connection: %v %v, want max_clients", r, ok)
	}
	s.Release("10.0.0.1")
	if total, n := s.Open("10.0.0.1"); total != 5 || n != 3 {
		t.Fatalf("after release: total %d, peer %d", total, n)
	}
	if _, ok := s.Acquire("10.0.0.1"); !ok {
		t.Fatal("a released slot was not given again")
	}
	for range 4 {
		s.Release("10.0.0.1")
	}
	s.Release("10.0.0.2")
	s.Release("")
	if total, n := s.Open("10.0.0.1"); total != 0 || n != 0 || len(s.byPeer) != 0 {
		t.Fatalf("all released: total %d, peer %d, map %v", total, n, s.byPeer)
	}
}

func TestDefaults(t *testing.T) {
	if MaxPerPeer(0, 16) != 4 || MaxPerPeer(0, 2) != 2 || MaxPerPeer(8, 16) != 8 || MaxPerPeer(20, 16) != 16 {
		t.Error("MaxPerPeer")
	}
	if HandshakeTimeout(0) != 5*time.Second || HandshakeTimeout(time.Second) != time.Second {
		t.Error("HandshakeTimeout")
	}
}

// lines counts the lines a text logger wrote.
type lines struct{ bytes.Buffer }

func (l *lines) n() int { return strings.Count(l.String(), "\n") }

// TestLogLimit: a peer gets Burst lines per window, the rest are counted
// and reported in one summary line when the window ends; other peers keep
// their own budget; lines below the logger's level are not counted.
func TestLogLimit(t *testing.T) {
	var out lines
	var supp atomic.Uint64
	now := time.Unix(1000, 0)
	l := &Log{Logger: slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Suppressed: &supp, Burst: 3, Window: time.Minute, Now: func() time.Time { return now }}
	for range 100 {
		l.Log(slog.LevelWarn, "10.0.0.1", "junk", "peer", "10.0.0.1:1234")
	}
	if out.n() != 3 || supp.Load() != 97 {
		t.Fatalf("100 lines of one peer: %d written, %d suppressed; want 3, 97\n%s", out.n(), supp.Load(), out.String())
	}
	l.Log(slog.LevelWarn, "10.0.0.2", "other peer")
	l.Log(slog.LevelDebug, "10.0.0.2", "below the level")
	if out.n() != 4 || supp.Load() != 97 {
		t.Fatalf("another peer: %d lines, %d suppressed", out.n(), supp.Load())
	}
	now = now.Add(time.Minute)
	l.Log(slog.LevelWarn, "10.0.0.1", "new window")
	got := out.String()
	if out.n() != 6 || !strings.Contains(got, `peer=10.0.0.1 suppressed=97 window=1m0s`) || !strings.HasSuffix(got, "msg=\"new window\"\n") {
		t.Fatalf("after the window: want a summary then the line:\n%s", got)
	}
	for range 5 {
		l.Log(slog.LevelWarn, "10.0.0.1", "junk")
	}
	l.Flush()
	if out.n() != 9 || !strings.HasSuffix(out.String(), "peer=10.0.0.1 suppressed=3 window=1m0s\n") || supp.Load() != 100 {
		t.Fatalf("flush: %d lines, %d suppressed\n%s", out.n(), supp.Load(), out.String())
	}
}

// TestLogManyPeers: beyond 256 peers at once, new peers share one budget,
// so a flood from many addresses is bounded too: one line for each of
// the first 256, two (the burst) for all the others.
func TestLogManyPeers(t *testing.T) {
	var out lines
	var supp atomic.Uint64
	l := &Log{Logger: slog.New(slog.NewTextHandler(&out, nil)), Suppressed: &supp, Burst: 2}
	for i := range 10000 {
		l.Log(slog.LevelWarn, "peer"+string(rune('a'+i%26))+string(rune(i)), "junk")
	}
	if want := maxLogPeers + 2; out.n() != want || supp.Load() != uint64(10000-want) {
		t.Fatalf("10000 peers: %d lines, %d suppressed; want %d", out.n(), supp.Load(), want)
	}
}

// TestIdentify: TCP peers by address without port (127.0.0.2 is its own
// peer), unix peers by uid on Linux.
func TestIdentify(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Skipf("cannot bind 127.0.0.2: %v", err)
	}
	defer c.Close()
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := Identify(s)
	if p.Key != "127.0.0.2" || p.Name != c.LocalAddr().String() || p.Addr.String() != "127.0.0.2" {
		t.Errorf("tcp peer %+v (client %v)", p, c.LocalAddr())
	}

	path := t.TempDir() + "/s.sock"
	ul, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ul.Close()
	uc, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	us, err := ul.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer us.Close()
	p = Identify(us)
	if runtime.GOOS == "linux" {
		if want := "uid " + strconv.Itoa(os.Getuid()); p.Key != want || !strings.HasPrefix(p.Name, want+" pid ") || p.Addr.IsValid() {
			t.Errorf("unix peer %+v, want key %q", p, want)
		}
	} else if p.Key != "" {
		t.Errorf("unix peer off Linux: %+v", p)
	}
}

// TestIdentifyTIPC: every socket of one TIPC node is one peer.
func TestIdentifyTIPC(t *testing.T) {
	a := tipcConn{tipc.Addr{Value: tipc.SocketID{Node: 0x1001, Ref: 7}}}
	b := tipcConn{tipc.Addr{Value: tipc.SocketID{Node: 0x1001, Ref: 9}}}
	pa, pb := Identify(a), Identify(b)
	if pa.Key != "tipc node 4097" || pa.Key != pb.Key || pa.Name != "<4097:7>" {
		t.Fatalf("peers %+v %+v", pa, pb)
	}
}

type tipcConn struct{ addr net.Addr }

func (c tipcConn) RemoteAddr() net.Addr           { return c.addr }
func (tipcConn) Read([]byte) (int, error)         { return 0, nil }
func (tipcConn) Write([]byte) (int, error)        { return 0, nil }
func (tipcConn) Close() error                     { return nil }
func (tipcConn) LocalAddr() net.Addr              { return nil }
func (tipcConn) SetDeadline(time.Time) error      { return nil }
func (tipcConn) SetReadDeadline(time.Time) error  { return nil }
func (tipcConn) SetWriteDeadline(time.Time) error { return nil }
