//go:build linux

package netlinkfam

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestVethLifecycle(t *testing.T) {
	c := dialNS(t, newNetNS(t))
	if err := c.AddVeth("fgv0", &PeerConfig{Name: "fgv1"}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddVeth("fgv0", &PeerConfig{Name: "fgv2"}); !errors.Is(err, unix.EEXIST) {
		t.Fatalf("duplicate add: err = %v, want EEXIST", err)
	}
	ls, err := c.Links()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, l := range ls {
		kinds[l.Name] = l.Kind
	}
	if len(ls) != 3 || kinds["fgv0"] != "veth" || kinds["fgv1"] != "veth" || kinds["lo"] != "" {
		t.Fatalf("links = %v, want lo, fgv0, fgv1 (veth)", kinds)
	}
	for _, n := range []string{"fgv0", "fgv1"} {
		if err := c.SetLinkUp(n); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.SetLinkMTU("fgv0", 1400); err != nil {
		t.Fatal(err)
	}
	l, err := c.LinkByName("fgv0")
	if err != nil {
		t.Fatal(err)
	}
	if !l.Up || l.MTU != 1400 || l.Kind != "veth" || l.CAN != nil || l.Stats == nil || l.IsCAN() {
		t.Fatalf("fgv0 = %+v", l)
	}
	if err := c.SetLinkDown("fgv0"); err != nil {
		t.Fatal(err)
	}
	if l, err = c.LinkByName("fgv0"); err != nil || l.Up {
		t.Fatalf("after down: %+v, %v", l, err)
	}
	if err := c.DeleteLink("fgv0"); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"fgv0", "fgv1"} {
		if _, err := c.LinkByName(n); !errors.Is(err, ErrLinkNotFound) {
			t.Errorf("%s after delete: err = %v, want ErrLinkNotFound", n, err)
		}
	}
	if err := c.DeleteLink("fgv0"); !errors.Is(err, ErrLinkNotFound) {
		t.Errorf("delete missing: err = %v", err)
	}
	if err := c.SetLinkUp("bad/name"); err == nil {
		t.Error("bad name accepted")
	}
}

func TestVethPeerInOtherNetNSAndMove(t *testing.T) {
	ns1, ns2 := newNetNS(t), newNetNS(t)
	c1, c2 := dialNS(t, ns1), dialNS(t, ns2)
	if err := c1.AddVeth("fga", &PeerConfig{Name: "fgb", NetNS: ns2}); err != nil {
		t.Fatal(err)
	}
	if _, err := c1.LinkByName("fgb"); !errors.Is(err, ErrLinkNotFound) {
		t.Fatalf("peer visible in ns1: %v", err)
	}
	if l, err := c2.LinkByName("fgb"); err != nil || l.Kind != "veth" {
		t.Fatalf("peer in ns2: %+v, %v", l, err)
	}
	if err := c1.SetLinkNetNS("fga", ns2); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.LinkByName("fga"); err != nil {
		t.Fatalf("moved link not in ns2: %v", err)
	}
	if err := c2.DeleteLink("fga"); err != nil {
		t.Fatal(err)
	}
}

func TestCANOnHostKernelFails(t *testing.T) {
	// The host kernel of the CI machine has no CAN; the request must come
	// back as a kernel error, not be silently accepted. On a kernel with
	// vcan this creates and deletes a vcan in a throwaway namespace.
	c := dialNS(t, newNetNS(t))
	err := c.AddVCAN("fgvcan0", nil)
	if err == nil {
		if err := c.DeleteLink("fgvcan0"); err != nil {
			t.Fatal(err)
		}
		return
	}
	var errno unix.Errno
	if !errors.As(err, &errno) {
		t.Fatalf("AddVCAN error %v is not a unix.Errno", err)
	}
	if err := c.SetCAN("lo", &CANConfig{RestartMs: u32(100)}); !errors.Is(err, unix.EOPNOTSUPP) {
		t.Fatalf("SetCAN on lo: err = %v, want EOPNOTSUPP", err)
	}
}

func TestSubscribeLinks(t *testing.T) {
	ns := newNetNS(t)
	c := dialNS(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch, err := SubscribeLinks(ctx, &SubscribeConfig{NetNS: ns, ListExisting: true})
	if err != nil {
		t.Fatal(err)
	}
	next := func(what string, ok func(LinkEvent) bool) LinkEvent {
		t.Helper()
		for {
			select {
			case ev, open := <-ch:
				if !open {
					t.Fatalf("channel closed waiting for %s", what)
				}
				if ev.Err != nil {
					t.Fatalf("event error waiting for %s: %v", what, ev.Err)
				}
				if ok(ev) {
					return ev
				}
			case <-ctx.Done():
				t.Fatalf("timeout waiting for %s", what)
			}
		}
	}
	next("existing lo", func(ev LinkEvent) bool { return ev.Existing && ev.Name == "lo" })
	if err := c.AddVeth("fgev0", &PeerConfig{Name: "fgev1"}); err != nil {
		t.Fatal(err)
	}
	ev := next("fgev0 created", func(ev LinkEvent) bool { return ev.Name == "fgev0" && !ev.Existing })
	if ev.Kind != "veth" || ev.Up || ev.Deleted {
		t.Fatalf("create event = %+v", ev)
	}
	if err := c.SetLinkUp("fgev0"); err != nil {
		t.Fatal(err)
	}
	next("fgev0 up", func(ev LinkEvent) bool { return ev.Name == "fgev0" && ev.Up })
	if err := c.SetLinkUp("fgev1"); err != nil {
		t.Fatal(err)
	}
	next("fgev0 oper up", func(ev LinkEvent) bool { return ev.Name == "fgev0" && ev.OperState == OperUp && ev.LowerUp })
	if err := c.DeleteLink("fgev0"); err != nil {
		t.Fatal(err)
	}
	next("fgev0 deleted", func(ev LinkEvent) bool { return ev.Name == "fgev0" && ev.Deleted })
	next("fgev1 deleted", func(ev LinkEvent) bool { return ev.Name == "fgev1" && ev.Deleted })
	cancel()
	for range ch {
	}
}

func TestSubscriptionCANStateTracking(t *testing.T) {
	s := &subscription{lastState: map[int]CANState{}}
	l := &Link{Index: 4, Name: "can0", Kind: "can", CAN: &CANInfo{HasState: true, State: CANStateErrorActive}}
	if ev := s.event(l, false, true); ev.CANStateChanged {
		t.Fatal("first sighting reported as change")
	}
	l.CAN = &CANInfo{HasState: true, State: CANStateBusOff}
	ev := s.event(l, false, false)
	if !ev.CANStateChanged || ev.PrevCANState != CANStateErrorActive || ev.CAN.State != CANStateBusOff {
		t.Fatalf("bus-off event = %+v", ev)
	}
	if ev := s.event(l, false, false); ev.CANStateChanged {
		t.Fatal("same state reported as change")
	}
	s.event(l, true, false)
	if _, ok := s.lastState[4]; ok {
		t.Fatal("deleted link's state kept")
	}
}

func TestSubscribeLinksResyncAfterOverflow(t *testing.T) {
	ns := newNetNS(t)
	c := dialNS(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// A tiny socket buffer and a channel of one: while we do not read, the
	// kernel's notifications overflow the socket (ENOBUFS).
	ch, err := SubscribeLinks(ctx, &SubscribeConfig{NetNS: ns, Buffer: 1, ReadBuffer: 1024})
	if err != nil {
		t.Fatal(err)
	}
	const pairs = 40
	for i := range pairs {
		if err := c.AddVeth(fmt.Sprintf("fgr%d", i), &PeerConfig{Name: fmt.Sprintf("fgq%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	resync := false
	for len(seen) < 2*pairs {
		select {
		case ev := <-ch:
			if ev.Err != nil {
				t.Fatal(ev.Err)
			}
			if ev.Existing {
				resync = true
			}
			seen[ev.Name] = true
		case <-ctx.Done():
			t.Fatalf("saw %d of %d links (resync %v)", len(seen), 2*pairs, resync)
		}
	}
	if !resync {
		t.Fatal("no resync: the socket did not overflow, the test proves nothing")
	}
	t.Logf("overflowed and resynchronised: all %d links reported", len(seen))
}

func TestWaitLinkUsable(t *testing.T) {
	ns := newNetNS(t)
	c := dialNS(t, ns)
	if err := c.AddVeth("fgw0", &PeerConfig{Name: "fgw1"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		ev, err := WaitLink(ctx, &SubscribeConfig{NetNS: ns}, "fgw0", (*LinkEvent).Usable)
		if err == nil && (!ev.Up || ev.OperState != OperUp) {
			err = fmt.Errorf("returned %+v", ev)
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("returned before the link was up: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	for _, n := range []string{"fgw0", "fgw1"} {
		if err := c.SetLinkUp(n); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Already usable: returns at once. Unknown link: ctx error.
	if _, err := WaitLink(ctx, &SubscribeConfig{NetNS: ns}, "fgw0", (*LinkEvent).Usable); err != nil {
		t.Fatal(err)
	}
	short, cancel2 := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel2()
	if _, err := WaitLink(short, &SubscribeConfig{NetNS: ns}, "nope0", (*LinkEvent).Usable); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("missing link: err = %v", err)
	}
}

func TestLinkEventUsable(t *testing.T) {
	ok := LinkEvent{Up: true, OperState: OperUp}
	vcan := LinkEvent{Up: true, LowerUp: true, OperState: OperUnknown, CAN: &CANInfo{}}
	vethHalfUp := LinkEvent{Up: true, OperState: OperUnknown}
	busOff := LinkEvent{Up: true, OperState: OperUp, CAN: &CANInfo{HasState: true, State: CANStateBusOff}}
	passive := LinkEvent{Up: true, OperState: OperUp, CAN: &CANInfo{HasState: true, State: CANStateErrorPassive}}
	down := LinkEvent{OperState: OperDown}
	lowerDown := LinkEvent{Up: true, OperState: OperLowerLayerDown}
	for _, tt := range []struct {
		ev   LinkEvent
		want bool
	}{{ok, true}, {vcan, true}, {vethHalfUp, false}, {busOff, false}, {passive, true}, {down, false}, {lowerDown, false}, {LinkEvent{Up: true, Deleted: true}, false}} {
		if got := tt.ev.Usable(); got != tt.want {
			t.Errorf("%+v.Usable() = %v", tt.ev, got)
		}
	}
}
