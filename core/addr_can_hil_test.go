//go:build hil

package core

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func ifIndex(t *testing.T, name string) int {
	t.Helper()
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		t.Fatalf("interface %s: %v", name, err)
	}
	return ifi.Index
}

// pyTuple formats our decoded values the way json.Marshal prints the list
// Python's getsockname returned, so the two compare as strings.
func pyTuple(vals ...any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		if s, ok := v.(string); ok {
			parts[i] = fmt.Sprintf("%q", s)
		} else {
			parts[i] = fmt.Sprint(v)
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func pyGot(v any) string {
	if l, ok := v.([]any); ok {
		parts := make([]string, len(l))
		for i, x := range l {
			switch x := x.(type) {
			case string:
				parts[i] = fmt.Sprintf("%q", x)
			case json.Number:
				parts[i] = x.String()
			case float64:
				parts[i] = fmt.Sprintf("%d", uint64(x))
			default:
				parts[i] = fmt.Sprint(x)
			}
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	return fmt.Sprint(v)
}

func TestRigCANRawBind(t *testing.T) {
	fd := rigSocket(t, unix.AF_CAN, unix.SOCK_RAW, unix.CAN_RAW)
	if err := rigBind(fd, CANAddr{Interface: "vcan0"}); err != nil {
		t.Fatal(err)
	}
	a, raw := rigSockName(t, fd, unix.SOCK_RAW, unix.CAN_RAW)
	got := a.(*CANAddr)
	if got.Interface != "vcan0" || got.Index != ifIndex(t, "vcan0") {
		t.Fatalf("getsockname % x = %+v", raw, got)
	}
	if py := pyGot(pythonRig(t)["can"]); py != pyTuple(got.Interface) {
		t.Errorf("CPython getsockname %s, ours %s", py, pyTuple(got.Interface))
	}
	// Interface "" binds to every CAN interface.
	fd2 := rigSocket(t, unix.AF_CAN, unix.SOCK_RAW, unix.CAN_RAW)
	if err := rigBind(fd2, CANAddr{}); err != nil {
		t.Fatalf("bind to all CAN interfaces: %v", err)
	}
	// A 1024-character name fails before the kernel, naming the field.
	err := rigBind(fd2, CANAddr{Interface: strings.Repeat("x", 1024)})
	var ae *AddrError
	if !errors.As(err, &ae) || ae.Field != "Interface" || !errors.Is(err, syscall.ENAMETOOLONG) {
		t.Fatalf("1024-char interface: %v", err)
	}
	// BCM: connect to (vcan0) with the same encoding.
	bcm := rigSocket(t, unix.AF_CAN, unix.SOCK_DGRAM, unix.CAN_BCM)
	if err := rigConnect(bcm, &CANAddr{Interface: "vcan0"}); err != nil {
		t.Fatalf("BCM connect: %v", err)
	}
}

func TestRigISOTPBind(t *testing.T) {
	py := pythonRig(t)
	for _, c := range []struct {
		key  string
		addr ISOTPAddr
	}{
		{"isotp", ISOTPAddr{Interface: "vcan0", RxID: 0x123, TxID: 0x456}},
		{"isotp-eff", ISOTPAddr{Interface: "vcan1", RxID: 0x18DA00F1 | unix.CAN_EFF_FLAG, TxID: 0x18DAF100 | unix.CAN_EFF_FLAG}},
	} {
		fd := rigSocket(t, unix.AF_CAN, unix.SOCK_DGRAM, unix.CAN_ISOTP)
		if err := rigBind(fd, c.addr); err != nil {
			t.Fatalf("%s: bind: %v", c.key, err)
		}
		a, raw := rigSockName(t, fd, unix.SOCK_DGRAM, unix.CAN_ISOTP)
		got := a.(*ISOTPAddr)
		if got.Interface != c.addr.Interface || got.RxID != c.addr.RxID || got.TxID != c.addr.TxID || len(raw) < 16 {
			t.Fatalf("%s: getsockname (%d bytes) %+v, bound %+v", c.key, len(raw), got, c.addr)
		}
		ours := pyTuple(got.Interface, got.RxID, got.TxID)
		if p := pyGot(py[c.key]); p != ours {
			t.Errorf("%s: CPython %s, ours %s", c.key, p, ours)
		}
	}
}

func TestRigJ1939Bind(t *testing.T) {
	py := pythonRig(t)
	for _, c := range []struct {
		key  string
		addr J1939Addr
	}{
		{"j1939", J1939Addr{Interface: "vcan0", Name: J1939_NO_NAME, PGN: J1939_NO_PGN, Addr: J1939_NO_ADDR}},
		{"j1939-addr", J1939Addr{Interface: "vcan1", Name: 0x1122334455667788, PGN: 0x0EF00, Addr: 0x20}},
	} {
		fd := rigSocket(t, unix.AF_CAN, unix.SOCK_DGRAM, unix.CAN_J1939)
		if err := rigBind(fd, &c.addr); err != nil {
			t.Fatalf("%s: bind: %v", c.key, err)
		}
		a, raw := rigSockName(t, fd, unix.SOCK_DGRAM, unix.CAN_J1939)
		got := a.(*J1939Addr)
		want := c.addr
		want.Index = ifIndex(t, want.Interface)
		// bind's PGN is a receive filter: getsockname reports the
		// send PGN, which only connect sets (net/can/j1939/socket.c).
		want.PGN = J1939_NO_PGN
		if *got != want || len(raw) != SizeofSockaddrCAN {
			t.Fatalf("%s: getsockname (%d bytes) %+v, want %+v", c.key, len(raw), got, want)
		}
		ours := pyTuple(got.Interface, got.Name, got.PGN, got.Addr)
		if p := pyGot(py[c.key]); p != ours {
			t.Errorf("%s: CPython %s, ours %s", c.key, p, ours)
		}
		if c.addr.PGN == J1939_NO_PGN {
			continue
		}
		// connect sets the peer and the PGN: both names decode.
		peer := J1939Addr{Interface: c.addr.Interface, Name: J1939_NO_NAME, PGN: c.addr.PGN, Addr: 0x30}
		if err := rigConnect(fd, peer); err != nil {
			t.Fatalf("%s: connect: %v", c.key, err)
		}
		a, _ = rigSockName(t, fd, unix.SOCK_DGRAM, unix.CAN_J1939)
		if got := a.(*J1939Addr); got.PGN != c.addr.PGN || got.Addr != c.addr.Addr || got.Name != c.addr.Name {
			t.Errorf("%s: getsockname after connect %+v", c.key, got)
		}
		p, err := ParseSockaddr(rigName(t, unix.SYS_GETPEERNAME, fd), unix.SOCK_DGRAM, unix.CAN_J1939)
		peer.Index = want.Index
		if err != nil || *p.(*J1939Addr) != peer {
			t.Errorf("%s: getpeername %+v (%v), want %+v", c.key, p, err, peer)
		}
	}
}

func TestRigPacketBind(t *testing.T) {
	fd := rigSocket(t, unix.AF_PACKET, unix.SOCK_RAW, int(htonsConst(ETH_P_CAN)))
	if err := rigBind(fd, PacketAddr{Interface: "vcan0", Protocol: ETH_P_CAN}); err != nil {
		t.Fatal(err)
	}
	a, raw := rigSockName(t, fd, unix.SOCK_RAW, 0)
	got := a.(*PacketAddr)
	if got.Interface != "vcan0" || got.Protocol != ETH_P_CAN || got.HAType != unix.ARPHRD_CAN || len(got.HWAddr) != 0 {
		t.Fatalf("getsockname % x = %+v", raw, got)
	}
	// Python: (ifname, proto, pkttype, hatype, addr), addr as hex.
	if p, o := pyGot(pythonRig(t)["packet"]), pyTuple(got.Interface, got.Protocol, got.PktType, got.HAType, got.HWAddr.String()); p != o {
		t.Errorf("CPython %s, ours %s", p, o)
	}
}

func htonsConst(v uint16) uint16 { return v<<8 | v>>8 }
