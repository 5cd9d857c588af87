package stream_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
	"github.com/fieldgate/fieldgate/gateway/endpoints/tcp"
	"github.com/fieldgate/fieldgate/gateway/endpoints/unix"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/internal/certtest"
)

var backoff = config.Backoff{Min: 10 * time.Millisecond, Max: 100 * time.Millisecond}

// running is one open endpoint with its Receive loop.
type running struct {
	t    *testing.T
	tr   endpoint.Transceiver
	env  *endpoint.Env
	got  chan frame.Frame
	done chan error
}

// open opens an endpoint of settings s through the registry and runs its
// Receive, copying every delivered frame to got.
func open(t *testing.T, ctx context.Context, name, kind string, s config.Settings) *running {
	t.Helper()
	env := &endpoint.Env{Name: name, Stats: &endpoint.Stats{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	tr, err := endpoint.Open(ctx, &config.Endpoint{Name: name, Kind: kind, Settings: s}, env)
	if err != nil {
		t.Fatal(err)
	}
	r := &running{t: t, tr: tr, env: env, got: make(chan frame.Frame, 1024), done: make(chan error, 1)}
	go func() {
		r.done <- tr.Receive(ctx, func(fs []frame.Frame) {
			for i := range fs {
				r.got <- fs[i]
			}
		})
	}()
	t.Cleanup(func() { tr.Close() })
	return r
}

// addr returns a server's listening address.
func (r *running) addr() net.Addr {
	return r.tr.(interface{ Addr() net.Addr }).Addr()
}

func waitPeers(t *testing.T, rs ...*running) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, r := range rs {
		for r.env.Stats.Peers.Load() != 1 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d peers, want 1", r.env.Name, r.env.Stats.Peers.Load())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func canFrames() []frame.Frame {
	fs := make([]frame.Frame, 4)
	fs[0] = frame.Frame{Type: frame.CAN, ID: 0x123, Len: 8}
	copy(fs[0].Data[:], "\x01\x02\x03\x04\x05\x06\x07\x08")
	fs[1] = frame.Frame{Type: frame.CAN, ID: 0x1ABCDEF0 | frame.CANEFFFlag, Len: 3}
	copy(fs[1].Data[:], "\xAA\xBB\xCC")
	fs[2] = frame.Frame{Type: frame.CAN, ID: 0x7FF | frame.CANRTRFlag, Len: 2}
	fs[3] = frame.Frame{Type: frame.CANFD, ID: 0x42, Flags: frame.CANFDBRS, Len: 64}
	for i := range 64 {
		fs[3].Data[i] = byte(i * 3)
	}
	return fs
}

func pduFrames() []frame.Frame {
	fs := make([]frame.Frame, 3)
	fs[0] = frame.Frame{Type: frame.ISOTP, ID: 0x7E8, Len: 4095}
	fs[1] = frame.Frame{Type: frame.J1939, ID: 0x18FEF1, Addr: 0x21, Len: 1785}
	fs[2] = frame.Frame{Type: frame.Ethernet, Len: 1514}
	for i := range fs {
		for j := range int(fs[i].Len) {
			fs[i].Data[j] = byte(j*7 + i)
		}
	}
	return fs
}

// exchange sends fs from a to b and checks that they arrive in order,
// byte-exact.
func exchange(t *testing.T, a, b *running, fs []frame.Frame) {
	t.Helper()
	n, err := a.tr.Send(context.Background(), fs)
	if err != nil || n != len(fs) {
		t.Fatalf("%s: Send: %d, %v; want %d", a.env.Name, n, err, len(fs))
	}
	for i := range fs {
		w := &fs[i]
		select {
		case g := <-b.got:
			same := g.Type == w.Type && g.ID == w.ID && g.Flags == w.Flags && g.Addr == w.Addr && g.Len == w.Len
			if w.ID&frame.CANRTRFlag == 0 || !w.IsCAN() {
				same = same && bytes.Equal(g.Payload(), w.Payload())
			}
			if !same {
				t.Fatalf("%s → %s: frame %d:\n got %v\nwant %v", a.env.Name, b.env.Name, i, &g, w)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s → %s: frame %d did not arrive", a.env.Name, b.env.Name, i)
		}
	}
}

// link checks a server and a client: frames both ways, PDUs when enabled,
// no_peer before a client is connected, unsupported frames without pdus.
func link(t *testing.T, kind string, srv func(pdus bool) config.Settings, cli func(pdus bool, srv net.Addr) config.Settings, pdus bool) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := open(t, ctx, "srv", kind, srv(pdus))
	if _, err := s.tr.Send(ctx, canFrames()); endpoint.DropReason(err) != endpoint.ReasonNoPeer {
		t.Errorf("Send without peers: %v, want no_peer", err)
	}
	c := open(t, ctx, "cli", kind, cli(pdus, s.addr()))
	waitPeers(t, s, c)
	exchange(t, c, s, canFrames())
	exchange(t, s, c, canFrames())
	if pdus {
		exchange(t, c, s, pduFrames())
		exchange(t, s, c, pduFrames())
		mixed := append(canFrames(), pduFrames()...)
		mixed = append(mixed, canFrames()...)
		exchange(t, c, s, mixed)
		exchange(t, s, c, mixed)
	} else {
		fs := append(canFrames()[:2], pduFrames()...)
		n, err := c.tr.Send(ctx, fs)
		var de *endpoint.DropError
		if n != 2 || !errors.As(err, &de) || de.Reason != endpoint.ReasonUnsupported || !de.One {
			t.Errorf("Send of a PDU without pdus: %d, %v; want 2 and a single unsupported drop", n, err)
		}
		for range 2 {
			<-s.got
		}
	}
	if got := s.env.Stats.Connects.Load(); got != 1 {
		t.Errorf("server connects: %d", got)
	}
	if d := s.env.Stats.Drops.Total() + c.env.Stats.Drops.Total(); d != 0 {
		t.Errorf("drops counted by the endpoints: %d", d)
	}
	cancel()
	for _, r := range []*running{s, c} {
		select {
		case err := <-r.done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s: Receive returned %v after cancel", r.env.Name, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: Receive did not return after cancel", r.env.Name)
		}
	}
}

func TestTCP(t *testing.T) {
	for _, pdus := range []bool{false, true} {
		t.Run(fmt.Sprintf("pdus=%v", pdus), func(t *testing.T) {
			link(t, "tcp", func(pdus bool) config.Settings {
				return &tcp.Config{Config: stream.Config{Role: config.Server, MaxClients: 4, PDUs: pdus, Reconnect: backoff}, Listen: "127.0.0.1:0"}
			}, func(pdus bool, srv net.Addr) config.Settings {
				return &tcp.Config{Config: stream.Config{Role: config.Client, MaxClients: 4, PDUs: pdus, Reconnect: backoff}, Peer: srv.String()}
			}, pdus)
		})
	}
}

func TestUnix(t *testing.T) {
	for _, tc := range []struct {
		typ  config.SocketType
		pdus bool
	}{{unix.Stream, false}, {unix.Stream, true}, {unix.SeqPacket, false}} {
		t.Run(fmt.Sprintf("%s/pdus=%v", tc.typ, tc.pdus), func(t *testing.T) {
			if runtime.GOOS != "linux" && tc.typ == unix.SeqPacket {
				t.Skip("seqpacket unix sockets are Linux only")
			}
			path := filepath.Join(t.TempDir(), "bus.sock")
			// A stale socket file from an earlier run is replaced.
			stale, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			stale.(*net.UnixListener).SetUnlinkOnClose(false)
			stale.Close()
			link(t, "unix", func(pdus bool) config.Settings {
				return &unix.Config{Config: stream.Config{Role: config.Server, MaxClients: 4, PDUs: pdus, Reconnect: backoff}, Path: path, SocketType: tc.typ}
			}, func(pdus bool, _ net.Addr) config.Settings {
				return &unix.Config{Config: stream.Config{Role: config.Client, MaxClients: 4, PDUs: pdus, Reconnect: backoff}, Path: path, SocketType: tc.typ}
			}, tc.pdus)
		})
	}
}

// TestUnixSocketFile: a server replaces a stale socket file but not a
// regular file, and removes its socket when closed.
func TestUnixSocketFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "reg")
	os.WriteFile(path, nil, 0o644)
	s := &unix.Config{Config: stream.Config{Role: config.Server, MaxClients: 1}, Path: path, SocketType: unix.Stream}
	env := &endpoint.Env{Name: "u", Stats: &endpoint.Stats{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := endpoint.Open(context.Background(), &config.Endpoint{Name: "u", Kind: "unix", Settings: s}, env); err == nil {
		t.Fatal("listening over a regular file succeeded")
	}
	s.Path = filepath.Join(dir, "bus.sock")
	tr, err := endpoint.Open(context.Background(), &config.Endpoint{Name: "u", Kind: "unix", Settings: s}, env)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(s.Path); err != nil || st.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket file: %v %v", st, err)
	}
	tr.Close()
	if _, err := os.Lstat(s.Path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file after Close: %v", err)
	}
}

// TestMaxClients: a client beyond max_clients is refused; the first keeps
// its link.
func TestMaxClients(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := open(t, ctx, "srv", "tcp", &tcp.Config{Config: stream.Config{Role: config.Server, MaxClients: 1}, Listen: "127.0.0.1:0"})
	peer := s.addr().String()
	c := open(t, ctx, "cli", "tcp", &tcp.Config{Config: stream.Config{Role: config.Client, Reconnect: backoff}, Peer: peer})
	waitPeers(t, s, c)
	x, err := net.Dial("tcp", peer)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	x.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := x.Read(make([]byte, 1)); err == nil {
		t.Error("a client beyond max_clients was served")
	}
	exchange(t, c, s, canFrames())
}

// TestAllowPeers: a client outside allow_peers is refused and counted as
// an auth drop.
func TestAllowPeers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := open(t, ctx, "srv", "tcp", &tcp.Config{Config: stream.Config{Role: config.Server, MaxClients: 4, AllowPeers: []string{"10.0.0.0/8"}}, Listen: "127.0.0.1:0"})
	x, err := net.Dial("tcp", s.addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	x.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := x.Read(make([]byte, 1)); err == nil {
		t.Error("a refused peer was served")
	}
	if s.env.Stats.Connects.Load() != 0 {
		t.Error("a refused peer was counted as connected")
	}
}

// TestTLS: frames cross a TLS link whose server requires a client
// certificate from the configured CA.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := certtest.Write(t, dir, "ca", nil, nil)
	certtest.Write(t, dir, "server", ca, caKey)
	certtest.Write(t, dir, "client", ca, caKey)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := open(t, ctx, "srv", "tcp", &tcp.Config{Config: stream.Config{Role: config.Server, MaxClients: 4, PDUs: true,
		TLS: &config.TLS{Cert: dir + "/server.crt", Key: dir + "/server.key", CA: dir + "/ca.crt"}}, Listen: "127.0.0.1:0"})
	c := open(t, ctx, "cli", "tcp", &tcp.Config{Config: stream.Config{Role: config.Client, PDUs: true, Reconnect: backoff,
		TLS: &config.TLS{Cert: dir + "/client.crt", Key: dir + "/client.key", CA: dir + "/ca.crt", ServerName: "localhost"}}, Peer: s.addr().String()})
	waitPeers(t, s, c)
	exchange(t, c, s, append(canFrames(), pduFrames()...))
	exchange(t, s, c, append(canFrames(), pduFrames()...))
}

// TestSendAllocs: sending to a connected client, and receiving, allocates
// nothing per batch once the buffers have grown.
func TestSendAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocations")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := open(t, ctx, "srv", "tcp", &tcp.Config{Config: stream.Config{Role: config.Server, MaxClients: 1, PDUs: true}, Listen: "127.0.0.1:0"})
	c := open(t, ctx, "cli", "tcp", &tcp.Config{Config: stream.Config{Role: config.Client, PDUs: true, Reconnect: backoff}, Peer: s.addr().String()})
	waitPeers(t, s, c)
	fs := append(canFrames(), pduFrames()...)
	exchange(t, s, c, fs)
	allocs := testing.AllocsPerRun(50, func() {
		if n, err := s.tr.Send(ctx, fs); n != len(fs) || err != nil {
			t.Fatal(n, err)
		}
		for range fs {
			<-c.got
		}
	})
	if allocs > 0 {
		t.Errorf("%v allocations per batch", allocs)
	}
}
