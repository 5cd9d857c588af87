//go:build linux && !hil

package gateway

import (
	"errors"
	"net"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fieldgate/fieldgate/internal/netnstest"
	"github.com/fieldgate/fieldgate/netlinkfam"
)

// TestLinkSampler reads a veth's and lo's counters through the bus-load
// sampler's own rtnetlink socket in a throw-away namespace, after sending
// frames of a known size on the veth, and checks them against netlinkfam's
// decoder (read before and after: nothing else sends in the namespace, IPv6
// is off). A missing link is ENODEV; a sample allocates nothing.
func TestLinkSampler(t *testing.T) {
	n := netnstest.New(t, "fgbl", netnstest.Pair{A: "bl0a", B: "bl0b"})
	var ls *linkSampler
	var nl *netlinkfam.Conn
	const frames, size = 37, 100
	err := n.Do(func() error {
		var err error
		if ls, err = openLinkSampler(); err != nil {
			return err
		}
		if nl, err = netlinkfam.Dial(nil); err != nil {
			return err
		}
		ifi, err := net.InterfaceByName("bl0a")
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		f := make([]byte, size)
		copy(f, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x88, 0xb5})
		for range frames {
			if err := unix.Sendto(fd, f, 0, &unix.SockaddrLinklayer{Ifindex: ifi.Index, Halen: 6}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ls.close()
	defer nl.Close()

	before, err := nl.LinkByName("bl0a")
	if err != nil {
		t.Fatal(err)
	}
	var s linkSample
	if err := ls.sample("bl0a", &s); err != nil {
		t.Fatal(err)
	}
	after, err := nl.LinkByName("bl0a")
	if err != nil {
		t.Fatal(err)
	}
	if !s.hasStats || s.ifType != unix.ARPHRD_ETHER || !s.kindIs("veth") || s.kindIs("vet") || s.bitrate != 0 {
		t.Fatalf("bl0a: %+v, want veth, ARPHRD_ETHER, stats, no bit rate", s)
	}
	if s.txPackets < frames || s.txBytes < frames*size {
		t.Fatalf("bl0a: tx %d packets %d bytes, want at least the %d frames of %d bytes sent", s.txPackets, s.txBytes, frames, size)
	}
	for _, c := range []struct {
		name        string
		got, lo, hi uint64
	}{
		{"tx packets", s.txPackets, before.Stats.TxPackets, after.Stats.TxPackets},
		{"tx bytes", s.txBytes, before.Stats.TxBytes, after.Stats.TxBytes},
		{"rx packets", s.rxPackets, before.Stats.RxPackets, after.Stats.RxPackets},
		{"rx bytes", s.rxBytes, before.Stats.RxBytes, after.Stats.RxBytes},
	} {
		if c.got < c.lo || c.got > c.hi {
			t.Errorf("bl0a %s: %d, netlinkfam says %d before and %d after", c.name, c.got, c.lo, c.hi)
		}
	}
	if f, b := s.frames(); f != s.rxPackets+s.txPackets || b != s.rxBytes+s.txBytes {
		t.Errorf("bl0a bus frames %d bytes %d: a veth's bus is both directions", f, b)
	}
	var d linkSample
	if err := ls.sample("lo", &d); err != nil || !d.kindIs("") || d.ifType != unix.ARPHRD_LOOPBACK || !d.hasStats {
		t.Fatalf("lo: %+v, %v (want no kind, ARPHRD_LOOPBACK)", d, err)
	}
	if err := ls.sample("blnothere", &d); !errors.Is(err, unix.ENODEV) {
		t.Fatalf("a missing link: %v, want ENODEV", err)
	}
	if err := ls.sample(strings.Repeat("x", 16), &d); err == nil {
		t.Fatal("a 16-byte name: no error")
	}
	// The next request after an error still pairs with its own reply.
	if err := ls.sample("bl0b", &d); err != nil || !d.kindIs("veth") || d.rxPackets < frames {
		t.Fatalf("bl0b after an error: %+v, %v (want its %d received frames)", d, err, frames)
	}
	if a := testing.AllocsPerRun(200, func() {
		if err := ls.sample("bl0a", &s); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("a sample allocates %.1f times, want 0", a)
	}
}
