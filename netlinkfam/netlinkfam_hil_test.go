//go:build hil

package netlinkfam

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The rig boots with can0 and can1 (emulated SJA1000s on one QEMU CAN bus)
// up at 500 kbit/s; every test that changes them restores that.

func restoreCAN(t *testing.T, c *Conn) {
	t.Helper()
	t.Cleanup(func() {
		off := uint32(0)
		for _, n := range []string{"can0", "can1"} {
			c.SetLinkDown(n)
			err := c.SetCAN(n, &CANConfig{
				BitTiming:    &BitTiming{Bitrate: 500000},
				CtrlModeMask: CtrlModeLoopback | CtrlModeListenOnly | CtrlModeOneShot | CtrlModeBerrReporting | CtrlMode3Samples,
				RestartMs:    &off,
			})
			if err != nil {
				t.Errorf("restore %s: %v", n, err)
			}
			if err := c.SetLinkUp(n); err != nil {
				t.Errorf("restore %s up: %v", n, err)
			}
		}
	})
}

func setBitrate(t *testing.T, c *Conn, name string, rate uint32) {
	t.Helper()
	if err := c.SetLinkDown(name); err != nil {
		t.Fatal(err)
	}
	if err := c.SetCAN(name, &CANConfig{BitTiming: &BitTiming{Bitrate: rate}}); err != nil {
		t.Fatalf("set %s bitrate %d: %v", name, rate, err)
	}
	if err := c.SetLinkUp(name); err != nil {
		t.Fatal(err)
	}
}

// ipBitrates parses `ip -d link show` for each CAN link's "bitrate N
// sample-point F".
func ipBitrates(t *testing.T) map[string]string {
	t.Helper()
	out, err := exec.Command("ip", "-d", "link", "show").CombinedOutput()
	if err != nil {
		t.Fatalf("ip -d link show: %v\n%s", err, out)
	}
	res := map[string]string{}
	var cur string
	head := regexp.MustCompile(`^\d+: ([^:@]+)[:@]`)
	rate := regexp.MustCompile(`^\s+bitrate (\d+) sample-point ([0-9.]+)`)
	for _, line := range strings.Split(string(out), "\n") {
		if m := head.FindStringSubmatch(line); m != nil {
			cur = m[1]
		} else if m := rate.FindStringSubmatch(line); m != nil {
			res[cur] = m[1] + " " + m[2]
		}
	}
	return res
}

func ipDetails(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("ip", "-d", "link", "show", name).CombinedOutput()
	if err != nil {
		t.Fatalf("ip -d link show %s: %v\n%s", name, err, out)
	}
	return string(out)
}

// rawCAN opens a CAN_RAW socket bound to name with a receive timeout.
func rawCAN(t *testing.T, name string) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_CAN, unix.SOCK_RAW, unix.CAN_RAW)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	l, err := LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrCAN{Ifindex: l.Index}); err != nil {
		t.Fatalf("bind %s: %v", name, err)
	}
	tv := unix.NsecToTimeval((1500 * time.Millisecond).Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	return fd
}

func canFrame(id uint32, data ...byte) []byte {
	b := make([]byte, 16)
	ne.PutUint32(b, id)
	b[4] = byte(len(data))
	copy(b[8:], data)
	return b
}

// crosses sends a frame on from and reports whether to received it.
func crosses(t *testing.T, from, to int, frame []byte) bool {
	t.Helper()
	if _, err := unix.Write(from, frame); err != nil {
		t.Fatalf("send: %v", err)
	}
	buf := make([]byte, 16)
	for {
		n, err := unix.Read(to, buf)
		if errors.Is(err, unix.EAGAIN) {
			return false
		}
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		if n == 16 && bytes.Equal(buf, frame) {
			return true
		}
	}
}

func TestHILBitratesReadBackAndFrames(t *testing.T) {
	c := dialNS(t, 0)
	restoreCAN(t, c)
	for i, rate := range []uint32{250000, 500000, 1000000} {
		setBitrate(t, c, "can0", rate)
		setBitrate(t, c, "can1", rate)
		ip := ipBitrates(t)
		for _, n := range []string{"can0", "can1"} {
			l, err := c.LinkByName(n)
			if err != nil {
				t.Fatal(err)
			}
			bt := l.CAN.BitTiming
			if bt == nil || bt.Bitrate != rate {
				t.Fatalf("%s: our read-back %+v, want bitrate %d", n, bt, rate)
			}
			want := fmt.Sprintf("%d %.3f", rate, float64(bt.SamplePoint)/1000)
			if ip[n] != want {
				t.Fatalf("%s: ip -d link show says %q, we read %q", n, ip[n], want)
			}
			if l.CAN.BitTimingConst == nil || l.CAN.BitTimingConst.Name != "sja1000" || l.CAN.ClockHz == 0 {
				t.Fatalf("%s: constants %+v clock %d", n, l.CAN.BitTimingConst, l.CAN.ClockHz)
			}
		}
		s0, s1 := rawCAN(t, "can0"), rawCAN(t, "can1")
		if f := canFrame(0x100+uint32(i), 0xde, 0xad, byte(i)); !crosses(t, s0, s1, f) {
			t.Fatalf("frame %x did not cross can0 -> can1 at %d bit/s on both sides", f, rate)
		}
		t.Logf("%d bit/s: ip -d link show agrees (%s), frame crossed can0 -> can1", rate, ip["can0"])
	}
	// Changing the bit timing of a running controller is refused.
	if err := c.SetCAN("can0", &CANConfig{BitTiming: &BitTiming{Bitrate: 250000}}); !errors.Is(err, unix.EBUSY) {
		t.Fatalf("SetCAN on an up link: err = %v, want EBUSY", err)
	}
	// Disagreeing bit rates: real controllers would not see each other's
	// frames. QEMU's CAN bus passes frames regardless of bit timing, so the
	// frame crosses; this asserts the emulation's behaviour we document.
	setBitrate(t, c, "can0", 1000000)
	setBitrate(t, c, "can1", 250000)
	s0, s1 := rawCAN(t, "can0"), rawCAN(t, "can1")
	if crosses(t, s0, s1, canFrame(0x1ff, 1)) {
		t.Log("QEMU limitation: a frame crossed from can0 at 1 Mbit/s to can1 at 250 kbit/s (the emulated bus does not model bit timing)")
	} else {
		t.Log("frame did not cross at mismatched bitrates: the emulation now models bit timing")
	}
}

func TestHILCtrlModeRestartAndBusOffAttempt(t *testing.T) {
	c := dialNS(t, 0)
	restoreCAN(t, c)
	restart := uint32(100)
	if err := c.SetLinkDown("can0"); err != nil {
		t.Fatal(err)
	}
	err := c.SetCAN("can0", &CANConfig{
		CtrlModeMask: CtrlModeLoopback | CtrlModeOneShot | CtrlModeBerrReporting,
		CtrlMode:     CtrlModeLoopback | CtrlModeOneShot | CtrlModeBerrReporting,
		RestartMs:    &restart,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetCAN("can0", &CANConfig{CtrlModeMask: CtrlModeFD, CtrlMode: CtrlModeFD}); !errors.Is(err, unix.EOPNOTSUPP) {
		t.Fatalf("FD mode on an SJA1000: err = %v, want EOPNOTSUPP", err)
	}
	if err := c.SetLinkUp("can0"); err != nil {
		t.Fatal(err)
	}
	ip := ipDetails(t, "can0")
	if !strings.Contains(ip, "can <LOOPBACK,ONE-SHOT,BERR-REPORTING> state ERROR-ACTIVE") || !strings.Contains(ip, "restart-ms 100") {
		t.Fatalf("ip -d link show can0:\n%s", ip)
	}
	l, err := c.LinkByName("can0")
	if err != nil {
		t.Fatal(err)
	}
	if l.CAN.CtrlMode != CtrlModeLoopback|CtrlModeOneShot|CtrlModeBerrReporting || l.CAN.RestartMs != 100 ||
		l.CAN.BerrCounter == nil || l.CAN.Stats == nil || !l.CAN.HasState {
		t.Fatalf("read back %+v", l.CAN)
	}
	// A manual restart is refused while automatic restart is configured.
	if err := c.RestartCAN("can0"); !errors.Is(err, unix.EINVAL) {
		t.Fatalf("RestartCAN with restart-ms 100: err = %v, want EINVAL", err)
	}

	// Bus-off attempt: can0 alone on the bus (can1 down), one-shot off,
	// restart-ms 100. A real controller gets no ACK, its TX error counter
	// climbs to error-passive and, with other errors, bus-off.
	if err := c.SetLinkDown("can1"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetLinkDown("can0"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetCAN("can0", &CANConfig{CtrlModeMask: CtrlModeLoopback | CtrlModeOneShot}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetLinkUp("can0"); err != nil {
		t.Fatal(err)
	}
	before, err := c.LinkByName("can0")
	if err != nil {
		t.Fatal(err)
	}
	s0 := rawCAN(t, "can0")
	for i := range 20 {
		if _, err := unix.Write(s0, canFrame(0x123, byte(i))); err != nil && !errors.Is(err, unix.ENOBUFS) {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	time.Sleep(300 * time.Millisecond)
	after, err := c.LinkByName("can0")
	if err != nil {
		t.Fatal(err)
	}
	if after.CAN.State == CANStateBusOff || after.CAN.State == CANStateErrorPassive {
		t.Logf("controller alone reached %s (berr tx %d)", after.CAN.State, after.CAN.BerrCounter.TxErr)
	} else {
		// What QEMU's SJA1000 gives: transmissions complete without ACK.
		if after.CAN.State != CANStateErrorActive || after.CAN.BerrCounter.TxErr != 0 || after.CAN.Stats.BusOff != 0 {
			t.Fatalf("unexpected state %+v", after.CAN)
		}
		if after.Stats.TxPackets < before.Stats.TxPackets+20 {
			t.Fatalf("tx packets %d -> %d, want +20", before.Stats.TxPackets, after.Stats.TxPackets)
		}
		// Without automatic restart, a manual restart of a controller that
		// is not bus-off is refused.
		zero := uint32(0)
		if err := c.SetLinkDown("can0"); err != nil {
			t.Fatal(err)
		}
		if err := c.SetCAN("can0", &CANConfig{RestartMs: &zero}); err != nil {
			t.Fatal(err)
		}
		if err := c.SetLinkUp("can0"); err != nil {
			t.Fatal(err)
		}
		if err := c.RestartCAN("can0"); !errors.Is(err, unix.EBUSY) {
			t.Fatalf("RestartCAN on an error-active controller: err = %v, want EBUSY", err)
		}
		t.Logf("QEMU limitation: 20 frames sent with can0 alone on the bus completed (tx packets %d -> %d); state %s, berr tx %d rx %d: the emulated SJA1000 does not model missing ACKs, so bus-off cannot be produced",
			before.Stats.TxPackets, after.Stats.TxPackets, after.CAN.State, after.CAN.BerrCounter.TxErr, after.CAN.BerrCounter.RxErr)
	}
}

func TestHILLinkEventsCANState(t *testing.T) {
	c := dialNS(t, 0)
	restoreCAN(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ch, err := SubscribeLinks(ctx, &SubscribeConfig{ListExisting: true})
	if err != nil {
		t.Fatal(err)
	}
	next := func(what string, ok func(LinkEvent) bool) LinkEvent {
		t.Helper()
		for {
			select {
			case ev, open := <-ch:
				if !open || ev.Err != nil {
					t.Fatalf("waiting for %s: closed %v err %v", what, !open, ev.Err)
				}
				if ok(ev) {
					return ev
				}
			case <-ctx.Done():
				t.Fatalf("timeout waiting for %s", what)
			}
		}
	}
	ev := next("can0 listed", func(ev LinkEvent) bool { return ev.Existing && ev.Name == "can0" })
	if ev.CAN == nil || ev.CAN.State != CANStateErrorActive || !ev.Up {
		t.Fatalf("can0 listed as %+v", ev)
	}
	if err := c.SetLinkDown("can0"); err != nil {
		t.Fatal(err)
	}
	ev = next("can0 stopped", func(ev LinkEvent) bool { return ev.Name == "can0" && ev.CANStateChanged })
	if ev.Up || ev.CAN.State != CANStateStopped || ev.PrevCANState != CANStateErrorActive {
		t.Fatalf("down event %+v (state %s)", ev, ev.CAN.State)
	}
	if err := c.SetLinkUp("can0"); err != nil {
		t.Fatal(err)
	}
	ev = next("can0 error-active", func(ev LinkEvent) bool { return ev.Name == "can0" && ev.CANStateChanged })
	if !ev.Up || ev.CAN.State != CANStateErrorActive || ev.PrevCANState != CANStateStopped {
		t.Fatalf("up event %+v (state %s)", ev, ev.CAN.State)
	}
	t.Logf("events: can0 %s -> %s -> %s", CANStateErrorActive, CANStateStopped, CANStateErrorActive)

	// WaitLink, as the gateway uses it: wait for can0 to come back.
	if err := c.SetLinkDown("can0"); err != nil {
		t.Fatal(err)
	}
	got := make(chan LinkEvent, 1)
	go func() {
		ev, err := WaitLink(ctx, nil, "can0", (*LinkEvent).Usable)
		if err != nil {
			t.Error(err)
		}
		got <- ev
	}()
	select {
	case ev := <-got:
		t.Fatalf("WaitLink returned while can0 was down: %+v", ev)
	case <-time.After(300 * time.Millisecond):
	}
	if err := c.SetLinkUp("can0"); err != nil {
		t.Fatal(err)
	}
	if ev := <-got; ev.CAN == nil || ev.CAN.State != CANStateErrorActive || !ev.Up {
		t.Fatalf("WaitLink returned %+v", ev)
	}
}

func TestHILVirtualCANLinks(t *testing.T) {
	c := dialNS(t, 0)
	if err := c.AddVCAN("fgvcan9", &VCANConfig{FD: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.DeleteLink("fgvcan9") })
	if err := c.SetLinkUp("fgvcan9"); err != nil {
		t.Fatal(err)
	}
	l, err := c.LinkByName("fgvcan9")
	if err != nil {
		t.Fatal(err)
	}
	if l.Kind != "vcan" || l.MTU != 72 || !l.FD() || !l.Up || l.CAN == nil {
		t.Fatalf("vcan = %+v", l)
	}
	ns := newNetNS(t)
	if err := c.AddVXCAN("fgvx0", &PeerConfig{Name: "fgvx1", NetNS: ns}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.DeleteLink("fgvx0") })
	nc := dialNS(t, ns)
	peer, err := nc.LinkByName("fgvx1")
	if err != nil {
		t.Fatalf("vxcan peer in the other namespace: %v", err)
	}
	if peer.Kind != "vxcan" || !peer.IsCAN() {
		t.Fatalf("peer = %+v", peer)
	}
	if _, err := c.LinkByName("fgvx1"); !errors.Is(err, ErrLinkNotFound) {
		t.Fatalf("peer visible in our namespace: %v", err)
	}
	if out := ipDetails(t, "fgvx0"); !strings.Contains(out, "vxcan") {
		t.Fatalf("ip -d link show fgvx0:\n%s", out)
	}
	// A local pair carries frames.
	if err := c.AddVXCAN("fgvx2", &PeerConfig{Name: "fgvx3"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.DeleteLink("fgvx2") })
	for _, n := range []string{"fgvx2", "fgvx3"} {
		if err := c.SetLinkUp(n); err != nil {
			t.Fatal(err)
		}
	}
	a, b := rawCAN(t, "fgvx2"), rawCAN(t, "fgvx3")
	if !crosses(t, a, b, canFrame(0x42, 1, 2, 3)) {
		t.Fatal("frame did not cross the vxcan pair")
	}
	if err := c.DeleteLink("fgvx0"); err != nil {
		t.Fatal(err)
	}
	if _, err := nc.LinkByName("fgvx1"); !errors.Is(err, ErrLinkNotFound) {
		t.Fatalf("peer survived deleting its pair: %v", err)
	}
}
