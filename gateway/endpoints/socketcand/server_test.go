package socketcand

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// testServer opens a socketcand endpoint on 127.0.0.1 with a fake
// BusAccess and runs its Receive; frames it delivers go to the returned
// channel.
func testServer(t *testing.T, iface string, access func(iface string, id uint32, write bool) bool) (*server, *endpoint.Env, <-chan frame.Frame) {
	t.Helper()
	return testServerWith(t, &Config{Listen: "127.0.0.1:0", Bus: "vcan0", Interface: iface, MaxClients: 2}, access)
}

// testServerWith is testServer with the given settings.
func testServerWith(t testing.TB, cfg *Config, access func(iface string, id uint32, write bool) bool) (*server, *endpoint.Env, <-chan frame.Frame) {
	t.Helper()
	env := &endpoint.Env{
		Name:      "sc",
		Stats:     &endpoint.Stats{},
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		BusAccess: access,
	}
	ec := &config.Endpoint{Name: "sc", Kind: "socketcand", Settings: cfg}
	ctx, cancel := context.WithCancel(context.Background())
	tr, err := open(ctx, ec, env)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := tr.(*server)
	in := make(chan frame.Frame, 64)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := s.Receive(ctx, func(fs []frame.Frame) {
			for i := range fs {
				in <- fs[i]
			}
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Receive: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		s.Close()
		wg.Wait()
	})
	return s, env, in
}

// dial connects a client, opens the bus and switches to mode (if any).
func dial(t *testing.T, s *server, mode string) (net.Conn, *bufio.Reader) {
	t.Helper()
	return dialBus(t, s, "vcan0", mode)
}

// dialBus is dial for the bus named bus.
func dialBus(t *testing.T, s *server, bus, mode string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := bufio.NewReader(c)
	exchange(t, c, r, "", "< hi >")
	exchange(t, c, r, "< open "+bus+" >", "< ok >")
	if mode != "" {
		exchange(t, c, r, "< "+mode+" >", "< ok >")
	}
	return c, r
}

// exchange sends msg (if any) and expects the reply want.
func exchange(t *testing.T, c net.Conn, r *bufio.Reader, msg, want string) {
	t.Helper()
	if msg != "" {
		if _, err := io.WriteString(c, msg); err != nil {
			t.Fatal(err)
		}
	}
	if got := readMsg(t, c, r); got != want {
		t.Fatalf("%s: got %q, want %q", msg, got, want)
	}
}

// readMsg reads one "< ... >" message.
func readMsg(t *testing.T, c net.Conn, r *bufio.Reader) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	if _, err := r.ReadString('<'); err != nil {
		t.Fatal(err)
	}
	s, err := r.ReadString('>')
	if err != nil {
		t.Fatal(err)
	}
	return "<" + s
}

func waitPeers(t *testing.T, env *endpoint.Env, n int64) {
	t.Helper()
	for i := 0; env.Stats.Peers.Load() != n; i++ {
		if i == 500 {
			t.Fatalf("peers = %d, want %d", env.Stats.Peers.Load(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRawMode runs a raw-mode client through the Transceiver API: a frame
// from the client comes out of Receive, a frame given to Send reaches the
// client in socketcand's format.
func TestRawMode(t *testing.T) {
	s, env, in := testServerWith(t, &Config{Listen: "127.0.0.1:0", Bus: "vcan0", MaxClients: 2, RTR: RTRMessage}, nil)
	if n, err := s.Send(context.Background(), []frame.Frame{{ID: 1, Type: frame.CAN}}); n != 0 || endpoint.DropReason(err) != endpoint.ReasonNoPeer {
		t.Fatalf("Send without clients: %d, %v", n, err)
	}
	c, r := dial(t, s, "rawmode")
	waitPeers(t, env, 1)

	io.WriteString(c, "< send 123 3 11 22 33 >< send 1ABCDEF0 0 >")
	for _, want := range []frame.Frame{
		{ID: 0x123, Type: frame.CAN, Len: 3, Data: [frame.MaxData]byte{0x11, 0x22, 0x33}},
		{ID: 0x1ABCDEF0 | frame.CANEFFFlag, Type: frame.CAN},
	} {
		select {
		case f := <-in:
			if f.ID != want.ID || f.Type != want.Type || f.Len != want.Len || f.Data != want.Data || f.Time != 0 {
				t.Errorf("received %v, want %v", &f, &want)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no frame from the client")
		}
	}

	time.Sleep(RawHold) // frames are held back briefly after "< ok >"
	out := []frame.Frame{
		{ID: 0x456, Type: frame.CAN, Len: 2, Data: [frame.MaxData]byte{0xAB, 0xCD}, Time: 1700000000_123456000},
		{ID: 0x7FF | frame.CANRTRFlag, Type: frame.CAN, Len: 4, Time: 1700000001_000001000},
		{ID: 0x18DAF110 | frame.CANEFFFlag, Type: frame.CANFD, Flags: frame.CANFDBRS, Len: 12, Time: 1700000002_000000000},
		{ID: 0x100, Type: frame.ISOTP, Len: 1},
	}
	n, err := s.Send(context.Background(), out)
	if n != 3 || endpoint.DropReason(err) != endpoint.ReasonUnsupported {
		t.Fatalf("Send: %d, %v", n, err)
	}
	for _, want := range []string{
		"< frame 456 1700000000.123456 ABCD >",
		"< rtr 7FF 1700000001.000001 4 >",
		"< fdframe 18DAF110 01 1700000002.000000 000000000000000000000000 >",
	} {
		if got := readMsg(t, c, r); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	if got := env.Stats.Connects.Load(); got != 1 {
		t.Errorf("connects = %d", got)
	}
	if d := env.Stats.Drops.Total(); d != 0 {
		t.Errorf("drops %v", env.Stats.Drops.Snapshot())
	}
	c.Close()
	waitPeers(t, env, 0)
}

// TestBCMAndControl checks BCM subscriptions on routed frames, a malformed
// send, the unknown-command reply and the bus name check.
func TestBCMAndControl(t *testing.T) {
	s, env, _ := testServer(t, "vcan0", nil)
	c, r := dial(t, s, "")
	exchange(t, c, r, "< rawframes >", "< error unknown command >")
	io.WriteString(c, "< send XYZ 1 00 >")
	io.WriteString(c, "< subscribe 0 0 321 >")
	exchange(t, c, r, "< echo >", "< echo >")
	if got := env.Stats.Drops.Load(endpoint.ReasonMalformed); got != 1 {
		t.Errorf("malformed drops = %d", got)
	}
	frames := []frame.Frame{
		{ID: 0x321, Type: frame.CAN, Len: 2, Data: [frame.MaxData]byte{1, 2}, Time: 5_000007000},
		{ID: 0x322, Type: frame.CAN, Len: 1},
	}
	n, err := s.Send(context.Background(), frames)
	if n != 1 || endpoint.DropReason(err) != endpoint.ReasonNoPeer {
		t.Fatalf("Send: %d, %v", n, err)
	}
	if got, want := readMsg(t, c, r), "< frame 321 5.000007 01 02 >"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}

	c2, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	r2 := bufio.NewReader(c2)
	exchange(t, c2, r2, "", "< hi >")
	exchange(t, c2, r2, "< open vcan9 >", "< error could not open bus >")
}

// TestKernelModesCheckRoutes checks that ISO-TP mode and muxfilter ask
// Env.BusAccess before opening a kernel socket, and refuse what the routes
// do not allow with an error reply and a not_allowed drop.
func TestKernelModesCheckRoutes(t *testing.T) {
	type q struct {
		iface string
		id    uint32
		write bool
	}
	var mu sync.Mutex
	var asked []q
	s, env, _ := testServer(t, "vcan0", func(iface string, id uint32, write bool) bool {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, q{iface, id, write})
		return id == 0x7E0 && write // 7E0 may be written, nothing read
	})
	c, r := dial(t, s, "isotpmode")
	exchange(t, c, r, "< isotpconf 7E1 7E9 0 0 0 >", "< error isotpconf: tx_id 7E1 may not be written to vcan0 (no route allows it) >")
	exchange(t, c, r, "< isotpconf 7E0 7E8 0 0 0 >", "< error isotpconf: rx_id 7E8 of vcan0 is not routed to this endpoint >")
	exchange(t, c, r, "< sendpdu 0011 >", "< error sendpdu: no ISO-TP channel, send isotpconf first >")
	exchange(t, c, r, "< bcmmode >", "< ok >")
	exchange(t, c, r, "< muxfilter 0 0 123 2 FF 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 >", "< error muxfilter: can id 123 of vcan0 is not routed to this endpoint >")
	mu.Lock()
	want := []q{{"vcan0", 0x7E1, true}, {"vcan0", 0x7E0, true}, {"vcan0", 0x7E8, false}, {"vcan0", 0x123, false}}
	if fmt.Sprint(asked) != fmt.Sprint(want) {
		t.Errorf("BusAccess asked %v, want %v", asked, want)
	}
	mu.Unlock()
	if got := env.Stats.Drops.Load(endpoint.ReasonNotAllowed); got != 3 {
		t.Errorf("not_allowed drops = %d, want 3", got)
	}
	if got := env.Stats.Drops.Load(endpoint.ReasonMalformed); got != 1 {
		t.Errorf("malformed drops = %d, want 1 (sendpdu without a channel)", got)
	}
}

// TestNoInterface checks the replies of the kernel modes without the
// interface option.
func TestNoInterface(t *testing.T) {
	s, _, _ := testServer(t, "", nil)
	c, r := dial(t, s, "")
	exchange(t, c, r, "< muxfilter 0 0 123 2 FF 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 >", "< error muxfilter needs the endpoint's interface option >")
	exchange(t, c, r, "< isotpmode >", "< error isotpmode needs the endpoint's interface option >")
	if !strings.HasPrefix(s.Addr().String(), "127.0.0.1:") {
		t.Errorf("listening on %v", s.Addr())
	}
}
