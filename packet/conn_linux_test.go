//go:build linux && !hil

package packet

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestCaptureByteExact sends frames of many sizes on A and checks that B's
// socket returns exactly those bytes, in order, with metadata, for the
// ring reader (zero-copy and copying) and the recvmsg reader.
func TestCaptureByteExact(t *testing.T) {
	for _, tc := range []struct {
		name string
		ring *RingConfig
		zc   bool
	}{
		{"recvmsg", nil, false},
		{"ring-copy", &RingConfig{BlockSize: 1 << 16, BlockCount: 4, RetireTimeout: 2 * time.Millisecond}, false},
		{"ring-zerocopy", &RingConfig{BlockSize: 1 << 16, BlockCount: 4, RetireTimeout: 2 * time.Millisecond}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newVethNet(t)
			rx := n.listen(t, "B", &Config{Ring: tc.ring})
			tx := n.listen(t, "A", &Config{IgnoreOutgoing: true})
			sizes := []int{14, 60, 61, 64, 100, 500, 1000, 1514}
			var want [][]byte
			for i, sz := range sizes {
				f := testFrame(i, sz)
				want = append(want, f)
				if n, err := tx.Write(f); err != nil || n != sz {
					t.Fatalf("write %d bytes: n=%d err=%v", sz, n, err)
				}
			}
			ctx := ctxTimeout(t, 5*time.Second)
			var got []Packet
			var datas [][]byte
			buf := make([]byte, 2048)
			for len(got) < len(want) {
				if tc.zc {
					b, err := rx.ReadBlock(ctx)
					if err != nil {
						t.Fatalf("ReadBlock after %d packets: %v", len(got), err)
					}
					for {
						p, ok := b.Next()
						if !ok {
							break
						}
						datas = append(datas, bytes.Clone(p.Data))
						got = append(got, p)
					}
					b.Release()
					continue
				}
				p, err := rx.ReadPacket(ctx, buf)
				if err != nil {
					t.Fatalf("ReadPacket after %d packets: %v", len(got), err)
				}
				datas = append(datas, bytes.Clone(p.Data))
				got = append(got, p)
			}
			if len(got) != len(want) {
				t.Fatalf("got %d packets, want %d", len(got), len(want))
			}
			ifB := rx.LocalAddr().(*Addr).Interface
			for i := range want {
				if !bytes.Equal(datas[i], want[i]) {
					t.Errorf("packet %d: bytes differ\n got %x\nwant %x", i, datas[i], want[i])
				}
				p := got[i]
				if p.Length != len(want[i]) || p.Interface != ifB || p.Protocol != 0x88b5 || p.Type != Host ||
					p.HardwareType != unix.ARPHRD_ETHER || p.HasVLAN {
					t.Errorf("packet %d metadata: len=%d if=%d(want %d) proto=%#x type=%v hatype=%d vlan=%v",
						i, p.Length, p.Interface, ifB, p.Protocol, p.Type, p.HardwareType, p.HasVLAN)
				}
				if d := time.Since(p.Timestamp); d < 0 || d > 10*time.Second {
					t.Errorf("packet %d timestamp %v is %v from now", i, p.Timestamp, d)
				}
			}
			st, err := rx.Stats()
			if err != nil {
				t.Fatal(err)
			}
			if st.Packets != uint64(len(want)) || st.Drops != 0 {
				t.Errorf("stats %+v, want %d packets 0 drops", st, len(want))
			}
		})
	}
}

// TestVLANRestored checks that 802.1Q and 802.1ad tags, which the receive
// path strips, are back in the frame, and that KeepVLAN reports them only.
func TestVLANRestored(t *testing.T) {
	tagged := func(tpid, tci uint16, i int) []byte {
		base := testFrame(i, 100)
		f := append([]byte{}, base[:12]...)
		f = binary.BigEndian.AppendUint16(f, tpid)
		f = binary.BigEndian.AppendUint16(f, tci)
		return append(f, base[12:]...)
	}
	frames := [][]byte{tagged(0x8100, 0x2064, 1), tagged(0x88a8, 0x0fff&42, 2), testFrame(3, 100)}
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"recvmsg", Config{}},
		{"ring", Config{Ring: &RingConfig{BlockSize: 1 << 16, BlockCount: 2, RetireTimeout: time.Millisecond}}},
		{"recvmsg-keep", Config{KeepVLAN: true}},
		{"ring-keep", Config{KeepVLAN: true, Ring: &RingConfig{BlockSize: 1 << 16, BlockCount: 2, RetireTimeout: time.Millisecond}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newVethNet(t)
			rx := n.listen(t, "B", &tc.cfg)
			tx := n.listen(t, "A", nil)
			for _, f := range frames {
				if _, err := tx.Write(f); err != nil {
					t.Fatal(err)
				}
			}
			ctx := ctxTimeout(t, 5*time.Second)
			buf := make([]byte, 2048)
			for i, want := range frames {
				p, err := rx.ReadPacket(ctx, buf)
				if err != nil {
					t.Fatalf("packet %d: %v", i, err)
				}
				wantTag := i < 2
				if p.HasVLAN != wantTag {
					t.Fatalf("packet %d HasVLAN=%v want %v", i, p.HasVLAN, wantTag)
				}
				if wantTag {
					wv := VLAN{TPID: binary.BigEndian.Uint16(want[12:]), TCI: binary.BigEndian.Uint16(want[14:])}
					if p.VLAN != wv {
						t.Errorf("packet %d VLAN %+v want %+v", i, p.VLAN, wv)
					}
				}
				exp := want
				if wantTag && tc.cfg.KeepVLAN {
					exp = append(append([]byte{}, want[:12]...), want[16:]...)
				}
				if !bytes.Equal(p.Data, exp) || p.Length != len(exp) {
					t.Errorf("packet %d (len %d)\n got %x\nwant %x", i, p.Length, p.Data, exp)
				}
			}
		})
	}
}

// TestRingDropsCounted fills a deliberately tiny ring without reading and
// checks that the kernel's drops show up, cumulatively, in Stats.
func TestRingDropsCounted(t *testing.T) {
	n := newVethNet(t)
	page := os.Getpagesize()
	rx := n.listen(t, "B", &Config{Ring: &RingConfig{BlockSize: page, BlockCount: 1, FrameSize: page, RetireTimeout: time.Second}})
	tx := n.listen(t, "A", nil)
	const total = 200
	for i := range total {
		if _, err := tx.Write(testFrame(i, 1000)); err != nil {
			t.Fatal(err)
		}
	}
	st, err := rx.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Packets != total || st.Drops == 0 || st.Drops >= total {
		t.Fatalf("stats %+v: want %d packets, some but not all dropped", st, total)
	}
	// The kernel zeroed its counters; ours must not go backwards.
	for i := range 10 {
		if _, err := tx.Write(testFrame(i, 1000)); err != nil {
			t.Fatal(err)
		}
	}
	st2, err := rx.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st2.Packets != total+10 || st2.Drops < st.Drops+10 {
		t.Fatalf("second stats %+v after %+v: want cumulative %d packets and 10 more drops", st2, st, total+10)
	}
	// Whatever fitted is still readable.
	ctx := ctxTimeout(t, 3*time.Second)
	b, err := rx.ReadBlock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Len(); got == 0 || uint64(got) != st.Packets-st.Drops {
		t.Errorf("block holds %d packets, stats say %d delivered", got, st.Packets-st.Drops)
	}
	b.Release()
}

// forEachWait runs fn for both ways a ring read waits: parked on the
// runtime poller, and in poll(2) on its thread (RingConfig.WaitOnThread).
func forEachWait(t *testing.T, fn func(t *testing.T, onThread bool)) {
	t.Run("poller", func(t *testing.T) { fn(t, false) })
	t.Run("thread", func(t *testing.T) { fn(t, true) })
}

// TestReadDeadlineAndClose checks that a ring wait honours deadlines and
// contexts and that Close wakes it, in either wait.
func TestReadDeadlineAndClose(t *testing.T) {
	forEachWait(t, func(t *testing.T, onThread bool) {
		n := newVethNet(t)
		rx := n.listen(t, "B", &Config{Ring: &RingConfig{BlockSize: 1 << 16, BlockCount: 2, WaitOnThread: onThread}})
		if err := rx.SetReadDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		_, err := rx.ReadBlock(context.Background())
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("ReadBlock past deadline: %v, want os.ErrDeadlineExceeded", err)
		}
		rx.SetReadDeadline(time.Time{})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err = rx.ReadPacket(ctx, make([]byte, 100))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("ReadPacket with expired context: %v", err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := rx.ReadBlock(context.Background())
			done <- err
		}()
		time.Sleep(50 * time.Millisecond)
		rx.Close()
		select {
		case err := <-done:
			if !errors.Is(err, os.ErrClosed) {
				t.Fatalf("ReadBlock interrupted by Close: %v, want os.ErrClosed", err)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("Close did not wake the ring reader")
		}
		if _, err := rx.ReadBlock(context.Background()); !errors.Is(err, os.ErrClosed) {
			t.Fatalf("ReadBlock after Close: %v, want os.ErrClosed", err)
		}
	})
}

// TestRingContextWatch checks the context watch kept across ring waits:
// a context canceled during a wait ends it, one canceled between waits
// ends the next wait on it, and neither leaves an expired deadline behind
// for a wait on another context, which still gets its frames.
func TestRingContextWatch(t *testing.T) {
	forEachWait(t, func(t *testing.T, onThread bool) {
		n := newVethNet(t)
		rx := n.listen(t, "B", &Config{Ring: &RingConfig{BlockSize: 1 << 16, BlockCount: 4, RetireTimeout: time.Millisecond, WaitOnThread: onThread}})
		tx := n.listen(t, "A", &Config{SendOnly: true})
		frame := ether(macB, macA, 0x0800, ipv4("10.8.0.1", "10.8.0.2", 17, 0, nil, udpDgram(20000, 9, make([]byte, 14))))
		read := func(ctx context.Context) int {
			t.Helper()
			b, err := rx.ReadBlock(ctx)
			if err != nil {
				t.Fatalf("ReadBlock: %v", err)
			}
			defer b.Release()
			for p, ok := b.Next(); ok; p, ok = b.Next() {
				if !bytes.Equal(p.Data, frame) {
					t.Fatalf("read % x, want % x", p.Data, frame)
				}
			}
			return b.Len()
		}
		// Canceled during a wait.
		ctx1, cancel1 := context.WithCancel(context.Background())
		time.AfterFunc(20*time.Millisecond, cancel1)
		if _, err := rx.ReadBlock(ctx1); !errors.Is(err, context.Canceled) {
			t.Fatalf("ReadBlock canceled while waiting: %v, want context.Canceled", err)
		}
		// A live context, used for several waits, then canceled between
		// waits.
		ctx2, cancel2 := context.WithCancel(context.Background())
		for i := range 3 {
			if _, err := tx.Write(frame); err != nil {
				t.Fatal(err)
			}
			if got := read(ctx2); got != 1 {
				t.Fatalf("wait %d on one context: %d frames, want 1", i, got)
			}
		}
		cancel2()
		if _, err := rx.ReadBlock(ctx2); !errors.Is(err, context.Canceled) {
			t.Fatalf("ReadBlock on a context canceled between waits: %v, want context.Canceled", err)
		}
		// Another context, then none: the expired deadline is gone.
		for _, ctx := range []context.Context{ctxTimeout(t, 5*time.Second), context.Background()} {
			if _, err := tx.Write(frame); err != nil {
				t.Fatal(err)
			}
			if got := read(ctx); got != 1 {
				t.Fatalf("wait after canceled contexts: %d frames, want 1", got)
			}
		}
	})
}

// TestRingWaitAllocs checks that a ring read cycle (a wait, in the runtime
// poller or on the thread, with a cancelable context, Next over the frames, Release)
// allocates nothing, whether the block is already there or the reader
// has to park for it.
func TestRingWaitAllocs(t *testing.T) {
	forEachWait(t, func(t *testing.T, onThread bool) {
		n := newVethNet(t)
		rx := n.listen(t, "B", &Config{Ring: &RingConfig{BlockSize: 1 << 16, BlockCount: 4, RetireTimeout: time.Millisecond, WaitOnThread: onThread}})
		frame := ether(macB, macA, 0x0800, ipv4("10.8.0.1", "10.8.0.2", 17, 0, nil, udpDgram(20000, 9, make([]byte, 14))))
		// A plain socket and write(2): the sender allocates nothing either.
		var fd int
		n.do(t, func() {
			ifi, err := net.InterfaceByName("A")
			if err != nil {
				t.Error(err)
				return
			}
			if fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0); err != nil {
				t.Error(err)
				return
			}
			if err := unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: ifi.Index}); err != nil {
				t.Error(err)
			}
		})
		defer unix.Close(fd)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var frames int
		var werr, rerr error
		allocs := testing.AllocsPerRun(200, func() {
			if _, err := unix.Write(fd, frame); err != nil {
				werr = err
				return
			}
			b, err := rx.ReadBlock(ctx)
			if err != nil {
				rerr = err
				return
			}
			for _, ok := b.Next(); ok; _, ok = b.Next() {
				frames++
			}
			b.Release()
		})
		if werr != nil || rerr != nil {
			t.Fatalf("write: %v, ReadBlock: %v", werr, rerr)
		}
		if frames != 201 {
			t.Errorf("read %d frames, want 201 (one per run)", frames)
		}
		if allocs != 0 {
			t.Errorf("%v allocations per ring read cycle, want 0", allocs)
		}
	})
}

// TestRingWrapsAround cycles many times through a two-block ring, each
// round a few frames, with both readers, checking order and content.
func TestRingWrapsAround(t *testing.T) {
	for _, zc := range []bool{false, true} {
		n := newVethNet(t)
		rx := n.listen(t, "B", &Config{Ring: &RingConfig{BlockSize: 4096, BlockCount: 2, RetireTimeout: time.Millisecond}})
		tx := n.listen(t, "A", nil)
		ctx := ctxTimeout(t, 20*time.Second)
		buf := make([]byte, 2048)
		seq := 0
		for round := range 60 {
			for k := range 3 {
				if _, err := tx.Write(testFrame(round*3+k, 300)); err != nil {
					t.Fatal(err)
				}
			}
			for got := 0; got < 3; {
				if zc {
					b, err := rx.ReadBlock(ctx)
					if err != nil {
						t.Fatalf("round %d: %v", round, err)
					}
					for p, ok := b.Next(); ok; p, ok = b.Next() {
						if !bytes.Equal(p.Data, testFrame(seq, 300)) {
							t.Fatalf("round %d: packet %d out of order or corrupt", round, seq)
						}
						seq++
						got++
					}
					b.Release()
					continue
				}
				p, err := rx.ReadPacket(ctx, buf)
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				if !bytes.Equal(p.Data, testFrame(seq, 300)) {
					t.Fatalf("round %d: packet %d out of order or corrupt", round, seq)
				}
				seq++
				got++
			}
		}
		if st, _ := rx.Stats(); st.Drops != 0 || st.Packets != 180 {
			t.Errorf("zero-copy %v: stats %+v", zc, st)
		}
	}
}

// TestPacketTypesAllInterfacesCooked covers binding to every interface,
// the packet types the kernel reports, cooked (Datagram) sockets and
// multicast membership.
func TestPacketTypesAllInterfacesCooked(t *testing.T) {
	n := newVethNet(t)
	// Outgoing frames reach only ETH_P_ALL sockets (dev_queue_xmit_nit), so
	// the all-interfaces socket takes every protocol and filters.
	onlyOurs, err := AssembleFilter("ether proto 0x88b5", nil)
	if err != nil {
		t.Fatal(err)
	}
	all := n.listen(t, "", &Config{Filter: onlyOurs})
	rxB := n.listen(t, "B", &Config{Promiscuous: true, Protocol: 0x88b5})
	cooked := n.listen(t, "B", &Config{Type: Datagram, Protocol: 0x88b5})
	tx := n.listen(t, "A", &Config{SendOnly: true})
	ifA := tx.LocalAddr().(*Addr).Interface
	ifB := rxB.LocalAddr().(*Addr).Interface
	dsts := []struct {
		mac []byte
		typ PacketType
	}{
		{macB, Host},
		{macBcast, Broadcast},
		{[]byte{0x01, 0x00, 0x5e, 0x01, 0x02, 0x03}, Multicast},
		{[]byte{0x02, 0, 0, 0, 0, 0x99}, OtherHost},
	}
	var sent [][]byte
	for i, d := range dsts {
		f := testFrame(i, 64)
		copy(f, d.mac)
		sent = append(sent, f)
		if _, err := tx.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	ctx := ctxTimeout(t, 5*time.Second)
	buf := make([]byte, 2048)
	for i, d := range dsts {
		p, err := rxB.ReadPacket(ctx, buf)
		if err != nil {
			t.Fatalf("B packet %d: %v", i, err)
		}
		if p.Type != d.typ || !bytes.Equal(p.Data, sent[i]) || !bytes.Equal(p.Addr, macA) {
			t.Errorf("B packet %d: type %v want %v, addr %v", i, p.Type, d.typ, p.Addr)
		}
		c, err := cooked.ReadPacket(ctx, buf)
		if err != nil {
			t.Fatalf("cooked packet %d: %v", i, err)
		}
		if !bytes.Equal(c.Data, sent[i][14:]) || c.Protocol != 0x88b5 || c.Type != d.typ {
			t.Errorf("cooked packet %d: %x proto %#x type %v", i, c.Data, c.Protocol, c.Type)
		}
	}
	// The all-interfaces socket sees each frame leave A and arrive on B.
	seen := map[[2]int]int{}
	for range 2 * len(dsts) {
		p, err := all.ReadPacket(ctx, buf)
		if err != nil {
			t.Fatal(err)
		}
		seen[[2]int{p.Interface, int(p.Type)}]++
	}
	if seen[[2]int{ifA, int(Outgoing)}] != len(dsts) || seen[[2]int{ifB, int(Host)}] != 1 || seen[[2]int{ifB, int(OtherHost)}] != 1 {
		t.Errorf("all-interfaces socket saw (ifindex, type): %v; want %d outgoing on A (%d) and each type once on B (%d)", seen, len(dsts), ifA, ifB)
	}
	if _, err := all.Write(sent[0]); err == nil {
		t.Error("Write on an all-interfaces socket without an address succeeded")
	}
	if _, err := all.WriteTo(sent[0], &Addr{Interface: ifA}); err != nil {
		t.Errorf("WriteTo with an interface on an all-interfaces socket: %v", err)
	}

	// Multicast membership shows up in the interface's list and goes away.
	group := net.HardwareAddr{0x01, 0x00, 0x5e, 0x7f, 0x00, 0x42}
	if err := rxB.JoinMulticast(group); err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, "ip", "-n", n.name, "maddr", "show", "dev", "B"); !strings.Contains(out, group.String()) {
		t.Errorf("after JoinMulticast, B's addresses lack %s:\n%s", group, out)
	}
	if err := rxB.LeaveMulticast(group); err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, "ip", "-n", n.name, "maddr", "show", "dev", "B"); strings.Contains(out, group.String()) {
		t.Errorf("after LeaveMulticast, B still has %s", group)
	}
	if err := all.JoinMulticast(group); err == nil {
		t.Error("JoinMulticast on an all-interfaces socket succeeded")
	}
}

// TestFilterDirection: "outbound" passes only frames this host sends,
// "inbound" only those it receives.
func TestFilterDirection(t *testing.T) {
	n := newVethNet(t)
	outF, err := AssembleFilter("outbound and ether proto 0x88b5", nil)
	if err != nil {
		t.Fatal(err)
	}
	inF, _ := AssembleFilter("inbound and ether proto 0x88b5", nil)
	onA := n.listen(t, "A", &Config{Filter: outF})
	inA := n.listen(t, "A", &Config{Filter: inF})
	a := n.listen(t, "A", &Config{SendOnly: true})
	b := n.listen(t, "B", &Config{SendOnly: true})
	fromA, fromB := testFrame(1, 64), testFrame(2, 64)
	copy(fromB, macA)
	copy(fromB[6:], macB)
	a.Write(fromA)
	b.Write(fromB)
	for _, tc := range []struct {
		c    *Conn
		want []byte
	}{{onA, fromA}, {inA, fromB}} {
		got := drain(t, tc.c, 100*time.Millisecond)
		if len(got) != 1 || !bytes.Equal(got[0], tc.want) {
			t.Errorf("got %d frames %x, want only %x", len(got), got, tc.want)
		}
	}
	if _, err := CompileFilter("inbound", nil); err == nil {
		t.Error("inbound compiled for files")
	}
}
