package slcan_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/endpoints/slcan"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

// ptyPeer is the program on the other side of a device's pty.
type ptyPeer struct {
	t *testing.T
	f *os.File
}

func openPeer(t *testing.T, path string) *ptyPeer {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &ptyPeer{t: t, f: f}
}

// ask writes cmd and reads exactly len(want) bytes, which must be want.
func (p *ptyPeer) ask(cmd, want string) {
	p.t.Helper()
	if _, err := p.f.WriteString(cmd); err != nil {
		p.t.Fatal(err)
	}
	p.expect(want)
}

func (p *ptyPeer) expect(want string) {
	p.t.Helper()
	p.f.SetReadDeadline(time.Now().Add(20 * time.Second))
	got := make([]byte, 0, len(want))
	buf := make([]byte, len(want))
	for len(got) < len(want) {
		n, err := p.f.Read(buf[:len(want)-len(got)])
		got = append(got, buf[:n]...)
		if err != nil {
			p.t.Fatalf("read %q so far, want %q: %v", got, want, err)
		}
	}
	if string(got) != want {
		p.t.Fatalf("got %q, want %q", got, want)
	}
}

// TestDevicePTY: fieldgate as an adapter on a pty: the Lawicel commands
// are answered byte by byte as a CANUSB does, frames cross both ways once
// the peer opened the channel, and bad input is counted by reason.
func TestDevicePTY(t *testing.T) {
	link := filepath.Join(t.TempDir(), "slcan-pty")
	r := open(t, &slcan.Config{Options: slcan.Options{Role: slcan.Device, Reconnect: config.Backoff{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond}}, Transport: slcan.TransportPTY, Link: link})
	slave := r.tr.(interface{ Transport() slcan.Transport }).Transport().(*slcan.PTY).Slave()
	if dst, err := os.Readlink(link); err != nil || dst != slave {
		t.Fatalf("link %s -> %q (%v), want %s", link, dst, err, slave)
	}
	if !strings.Contains(r.logs.String(), "slave="+slave) {
		t.Errorf("the slave path is not logged: %s", r.logs.String())
	}
	p := openPeer(t, link)

	// Sent before the channel is open: dropped, no peer.
	if _, err := r.tr.Send(t.Context(), []frame.Frame{gf(t, "123#11")}); endpoint.DropReason(err) != endpoint.ReasonNoPeer {
		t.Fatalf("send before O: %v", err)
	}
	p.ask("\r\r", "\r\r")
	p.ask("C\r", "\a") // not open
	p.ask("S6\r", "\r")
	p.ask("s031C\r", "\r")
	p.ask("V\r", "V1013\r")
	p.ask("N\r", "NFG01\r")
	p.ask("F\r", "\a") // not open
	p.ask("t1230\r", "\a")
	if n := r.drop(endpoint.ReasonLinkDown); n != 1 {
		t.Errorf("link_down drops %d, want 1", n)
	}
	p.ask("O\r", "\r")
	p.ask("O\r", "\a")  // already open
	p.ask("S6\r", "\a") // not while open
	p.ask("t12380102030405060708\rT1ABCDEF02AABB\rr7FF2\r", "z\rZ\rz\r")
	for _, want := range []string{"123#0102030405060708", "1ABCDEF0#AABB", "7FF#R2"} {
		f := r.next(t)
		if got := f.String(); got != want {
			t.Errorf("delivered %s, want %s", got, want)
		}
	}
	p.ask("F\r", "F00\r")
	// Malformed lines: BEL and counted.
	p.ask("x\rt12\rt1231GG\rd1230\r", "\a\a\a\a")
	if m, u := r.drop(endpoint.ReasonMalformed), r.drop(endpoint.ReasonUnsupported); m != 3 || u != 1 {
		t.Errorf("malformed %d, unsupported %d; want 3, 1", m, u)
	}

	// Frames from the gateway: exact lines, then with timestamps.
	fs := []frame.Frame{gf(t, "321#112233"), gf(t, "12345678#"), gf(t, "001#R"), gf(t, "042##1AA")}
	n, err := r.tr.Send(t.Context(), fs)
	if n != 3 || endpoint.DropReason(err) != endpoint.ReasonUnsupported {
		t.Errorf("send: %d %v; want 3, unsupported (FD without fd: true)", n, err)
	}
	p.expect("t3213112233\rT123456780\rr0010\r")
	p.ask("Z1\r", "\r")
	f := gf(t, "7FF#01")
	f.Time = time.Date(2026, 1, 1, 0, 0, 59, 999_000_000, time.UTC).UnixNano()
	if n, err := r.tr.Send(t.Context(), []frame.Frame{f}); n != 1 || err != nil {
		t.Fatal(n, err)
	}
	p.expect("t7FF101EA5F\r")

	// An oversize line closes the channel.
	p.ask("C\r", "\r")
	p.ask("O\r", "\r")
	if _, err := p.f.WriteString(strings.Repeat("A", 300) + "\r"); err != nil {
		t.Fatal(err)
	}
	gatewaytest.WaitFor(t, 20*time.Second, "the oversize drop", func() bool { return r.drop(endpoint.ReasonOversize) == 1 })
	p.ask("t1230\r", "\a") // closed again
	p.ask("O\r", "\r")
	p.ask("t1230\r", "z\r")
	if f := r.next(t); f.String() != "123#" {
		t.Errorf("delivered %s", f.String())
	}
	if m := r.drop(endpoint.ReasonMalformed); m != 3 {
		t.Errorf("malformed %d after the oversize line, want still 3", m)
	}

	// Peers come and go: a second program opens the same pty.
	p.ask("C\r", "\r")
	p.f.Close()
	p2 := openPeer(t, slave)
	p2.ask("O\r", "\r")
	p2.ask("t5550\r", "z\r")
	if f := r.next(t); f.String() != "555#" {
		t.Errorf("delivered %s", f.String())
	}

	r.tr.Close()
	if _, err := os.Lstat(link); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("link left behind after Close: %v", err)
	}
}

// TestHostPTY: fieldgate drives the test's adapter on a pty: the open
// sequence byte by byte, frames both ways, status flags and a bus-off
// state report as error frames, the adapter's BEL replies counted, and a
// reopen after the adapter vanishes.
func TestHostPTY(t *testing.T) {
	link := filepath.Join(t.TempDir(), "adapter")
	a := startPTYAdapter(t, link)
	r := open(t, &slcan.Config{Options: slcan.Options{Role: slcan.Host, Bitrate: 500000, Timestamps: true, ErrorFrames: true,
		StatusInterval: 20 * time.Millisecond, CommandTimeout: 5 * time.Second,
		Reconnect: config.Backoff{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond}},
		Transport: slcan.TransportSerial, Device: link, Baud: 115200})
	gatewaytest.WaitFor(t, 20*time.Second, "the adapter to open", func() bool { return r.env.Stats.Peers.Load() == 1 })
	const openSeq = "C\rV\rN\rS6\rZ1\rO\rF\r"
	if got := a.received(); !strings.HasPrefix(got, openSeq) {
		t.Fatalf("open sequence %q, want %q", got, openSeq)
	}

	// Frames from the adapter, with and without timestamps.
	a.send("t12380102030405060708EA5F\rT1ABCDEF02AABB0000\rr0013\rz\r\r")
	for _, want := range []string{"123#0102030405060708", "1ABCDEF0#AABB", "001#R3"} {
		if got := r.nextString(t); got != want {
			t.Errorf("delivered %s, want %s", got, want)
		}
	}
	// Frames to the adapter.
	fs := []frame.Frame{gf(t, "321#112233"), gf(t, "12345678#"), gf(t, "7FF#R")}
	if n, err := r.tr.Send(t.Context(), fs); n != 3 || err != nil {
		t.Fatal(n, err)
	}
	gatewaytest.WaitFor(t, 20*time.Second, "the adapter to get 3 frames", func() bool { return len(a.sent()) == 3 })
	if got := strings.Join(a.sent(), " "); got != "t3213112233 T123456780 r7FF0" {
		t.Errorf("adapter got %s", got)
	}
	if got := withoutPolls(a.received()[len(openSeq):]); got != "t3213112233\rT123456780\rr7FF0\r" {
		t.Errorf("bytes after the open sequence %q", got)
	}

	// Status: bus error and error passive, then a bus-off state report.
	a.set(func(a *adapter) { a.status = 0xA0 })
	f := r.next(t)
	if f.ID != frame.CANERRFlag|uint32(can.ErrCtrl|can.ErrBusError) || f.Len != 8 || f.Data[1] != byte(can.CtrlRxPassive|can.CtrlTxPassive) {
		t.Errorf("status error frame %s", f.String())
	}
	a.send("sb000255\r")
	f = r.next(t)
	if f.ID != frame.CANERRFlag|uint32(can.ErrBusOff|can.ErrCnt) || f.Data[6] != 255 || f.Data[7] != 0 {
		t.Errorf("bus-off error frame %s", f.String())
	}
	if n := r.env.Stats.ErrorFrames.Load(); n != 2 {
		t.Errorf("error frames %d, want 2", n)
	}
	if !strings.Contains(r.logs.String(), "state=bus-off") {
		t.Error("bus-off not logged")
	}

	// The adapter refuses a frame: BEL counted and logged.
	a.set(func(a *adapter) { a.refuseTx = true })
	if n, err := r.tr.Send(t.Context(), fs[:1]); n != 1 || err != nil {
		t.Fatal(n, err)
	}
	gatewaytest.WaitFor(t, 20*time.Second, "the BEL", func() bool { return r.drop(endpoint.ReasonWriteError) == 1 })
	if !strings.Contains(r.logs.String(), "adapter answered BEL") {
		t.Error("BEL not logged")
	}
	// Malformed lines from the adapter, and an oversize one (reopen).
	a.send("t12\rq\r")
	gatewaytest.WaitFor(t, 20*time.Second, "2 malformed", func() bool { return r.drop(endpoint.ReasonMalformed) == 2 })

	// The adapter vanishes (its pty closes) and comes back.
	a.vanish()
	gatewaytest.WaitFor(t, 20*time.Second, "the adapter to be gone", func() bool { return r.env.Stats.Peers.Load() == 0 })
	if _, err := r.tr.Send(t.Context(), fs[:1]); endpoint.DropReason(err) != endpoint.ReasonLinkDown {
		t.Errorf("send while gone: %v", err)
	}
	b := startPTYAdapter(t, link)
	gatewaytest.WaitFor(t, 20*time.Second, "the adapter to reopen", func() bool { return r.env.Stats.Peers.Load() == 1 })
	if got := b.received(); !strings.HasPrefix(got, openSeq) {
		t.Fatalf("reopen sequence %q, want %q", got, openSeq)
	}
	if c := r.env.Stats.Connects.Load(); c != 2 {
		t.Errorf("connects %d, want 2", c)
	}
	b.send("t7770\r")
	if got := r.nextString(t); got != "777#" {
		t.Errorf("after reopen: %s", got)
	}
}

// TestHostSerialMissing: a serial device that is not there is waited for:
// the endpoint opens, and drives the adapter once it appears.
func TestHostSerialMissing(t *testing.T) {
	link := t.TempDir() + "/later"
	r := open(t, &slcan.Config{Options: slcan.Options{Role: slcan.Host, CommandTimeout: 5 * time.Second, Reconnect: fastBackoff},
		Transport: slcan.TransportSerial, Device: link, Baud: 115200})
	if _, err := r.tr.Send(t.Context(), []frame.Frame{gf(t, "123#")}); endpoint.DropReason(err) != endpoint.ReasonLinkDown {
		t.Errorf("send without adapter: %v", err)
	}
	a := startPTYAdapter(t, link)
	gatewaytest.WaitFor(t, 20*time.Second, "the adapter to open", func() bool { return r.env.Stats.Peers.Load() == 1 })
	if got := a.received(); got != "C\rV\rN\rO\rF\r" {
		t.Errorf("open sequence %q", got)
	}
}

// TestDeviceAllocs: a batch of 64 frames each way through a device on a
// pty (64 lines read, 64 acknowledgements written, 64 frames sent)
// allocates nothing per frame.
func TestDeviceAllocs(t *testing.T) {
	link := filepath.Join(t.TempDir(), "pty")
	r := open(t, &slcan.Config{Options: slcan.Options{Role: slcan.Device, Reconnect: config.Backoff{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond}}, Transport: slcan.TransportPTY, Link: link})
	var delivered atomic.Uint64
	go func() {
		for range r.got {
			delivered.Add(1)
		}
	}()
	p := openPeer(t, link)
	p.ask("O\r", "\r")
	in := []byte(strings.Repeat("t12380102030405060708\r", 64))
	fs := make([]frame.Frame, 64)
	for i := range fs {
		fs[i] = gf(t, "321#1122334455667788")
	}
	want := 64*len("z\r") + 64*len("t32181122334455667788\r")
	buf := make([]byte, want)
	round := func() {
		base := delivered.Load()
		p.f.Write(in)
		for delivered.Load()-base < 64 {
			runtime.Gosched()
		}
		if n, err := r.tr.Send(context.Background(), fs); n != 64 || err != nil {
			t.Fatal(n, err)
		}
		if _, err := io.ReadFull(p.f, buf); err != nil {
			t.Fatal(err)
		}
	}
	round()
	if allocs := testing.AllocsPerRun(50, round); allocs > 0 {
		t.Errorf("%v allocations per 64 frames each way, want none", allocs)
	}
}

// TestHostOpenRefused: an adapter that refuses O, then one that does not
// answer, fail the open sequence (counted as handshake_failed and
// handshake_timeout) and are retried until the adapter opens.
func TestHostOpenRefused(t *testing.T) {
	link := filepath.Join(t.TempDir(), "adapter")
	a := startPTYAdapter(t, link)
	a.set(func(a *adapter) { a.refuseO = true })
	r := open(t, &slcan.Config{Options: slcan.Options{Role: slcan.Host, CommandTimeout: 500 * time.Millisecond,
		Reconnect: config.Backoff{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond}},
		Transport: slcan.TransportSerial, Device: link, Baud: 115200})
	gatewaytest.WaitFor(t, 20*time.Second, "two refused opens", func() bool { return r.env.Stats.Rejected.Load(endpoint.ConnHandshakeFailed) >= 2 })
	a.set(func(a *adapter) { a.refuseO, a.mute = false, true })
	gatewaytest.WaitFor(t, 20*time.Second, "an unanswered open", func() bool { return r.env.Stats.Rejected.Load(endpoint.ConnHandshakeTimeout) >= 1 })
	if p := r.env.Stats.Peers.Load(); p != 0 {
		t.Fatalf("peers %d before the adapter opened", p)
	}
	a.set(func(a *adapter) { a.mute = false })
	gatewaytest.WaitFor(t, 20*time.Second, "the adapter to open", func() bool { return r.env.Stats.Peers.Load() == 1 })
	if !strings.Contains(r.logs.String(), "adapter refused O (BEL)") {
		t.Error("the refusal is not logged")
	}
}

// TestDeviceFD: with fd: true a device takes and sends CAN FD lines (d, b,
// D, B); without it they are unsupported.
func TestDeviceFD(t *testing.T) {
	link := filepath.Join(t.TempDir(), "pty")
	r := open(t, &slcan.Config{Options: slcan.Options{Role: slcan.Device, FD: true, Reconnect: config.Backoff{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond}}, Transport: slcan.TransportPTY, Link: link})
	p := openPeer(t, link)
	p.ask("O\r", "\r")
	p.ask("b1239"+strings.Repeat("AB", 12)+"\rD1ABCDEF0F"+strings.Repeat("01", 64)+"\r", "z\rZ\r")
	if got := r.nextString(t); got != "123##1"+strings.Repeat("AB", 12) {
		t.Errorf("delivered %s", got)
	}
	f := r.next(t)
	if f.Type != frame.CANFD || f.Len != 64 || f.Flags != 0 || f.ID != 0x1ABCDEF0|frame.CANEFFFlag {
		t.Errorf("delivered %s (%v)", f.String(), f.Type)
	}
	if n, err := r.tr.Send(t.Context(), []frame.Frame{gf(t, "321##1112233"), gf(t, "12345678##0AA")}); n != 2 || err != nil {
		t.Fatal(n, err)
	}
	p.expect("b3213112233\rD123456781AA\r")
}
