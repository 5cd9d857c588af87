//go:build hil

package can

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/internal/peer"
	"golang.org/x/sys/unix"
)

func gwIndex(t *testing.T, name string) int {
	t.Helper()
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return ifi.Index
}

func gwName(i int) string {
	ifi, err := net.InterfaceByIndex(i)
	if err != nil {
		return "(null)"
	}
	return ifi.Name
}

func gwDial(t *testing.T) *Gateway {
	t.Helper()
	g, err := DialGateway(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Flush(); err != nil {
		t.Fatalf("flush: %v", err)
	}
	t.Cleanup(func() {
		g.Flush()
		g.Close()
	})
	return g
}

// ourListing formats rules the way cangw -L prints them.
func ourListing(rs []GatewayRule) []string {
	var lines []string
	for i := range rs {
		r := &rs[i]
		lines = append(lines, fmt.Sprintf("cangw -A %s# %d handled %d dropped %d deleted", r.CangwArgs(gwName), r.Handled, r.Dropped, r.Deleted))
	}
	return lines
}

func cangwList(t *testing.T) []string {
	t.Helper()
	// cangw -L exits with a non-zero status even when it succeeds (it
	// returns the length of its last netlink read), so only its output and
	// the ability to run it count.
	b, err := exec.Command("cangw", "-L").Output()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("cangw -L: %v", err)
	}
	out := strings.TrimSpace(string(b))
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

func TestHILGatewayRulesVsCangw(t *testing.T) {
	g := gwDial(t)
	v0, v1 := gwIndex(t, "vcan0"), gwIndex(t, "vcan1")
	data := func(b ...byte) (d [FDMaxLen]byte) { copy(d[:], b); return }
	fdData := data()
	for i := range fdData {
		fdData[i] = byte(i)
	}
	ours := []*GatewayRule{
		{SrcIndex: v0, DstIndex: v1, Flags: GatewayEcho, Filter: &Filter{ID: 0x123, Mask: 0x7FF},
			Set: &GatewayMod{Targets: GatewayModID | GatewayModLen, ID: 0x333, Len: 4, Data: data(0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88)}},
		{SrcIndex: v1, DstIndex: v0, Flags: GatewaySrcTimestamp | GatewayIIFTxOK, HopLimit: 1, UID: 0x42,
			Filter: &Filter{ID: 0x100, Mask: 0x700, Inverted: true},
			And:    &GatewayMod{Targets: GatewayModID | GatewayModData, ID: 0x7FF, Data: data(0xFF, 0, 0xFF, 0, 0xFF, 0, 0xFF, 0)},
			Or:     &GatewayMod{Targets: GatewayModData, Data: data(1)},
			Xor:    &GatewayMod{Targets: GatewayModLen, Len: 0xF},
			Set:    &GatewayMod{Targets: GatewayModData, Data: data(9, 8, 7, 6, 5, 4, 3, 2)},
			XOR:    &GatewayXOR{From: 0, To: 5, Result: 6, Init: 0xAA},
			CRC8:   &GatewayCRC8{From: 0, To: -3, Result: -1, Init: 0xFF, FinalXOR: 0xFF, Table: CRC8Table(0x1D), Profile: GatewayCRC8OneU8, ProfileData: [20]uint8{0x5A}}},
		{SrcIndex: v0, DstIndex: v1, Flags: GatewayFD | GatewayEcho,
			Xor: &GatewayMod{Targets: GatewayModID | GatewayModFlags | GatewayModLen | GatewayModData, ID: 0x1, Flags: 1, Len: 8, Data: fdData}},
	}
	for _, r := range ours {
		if err := g.Add(r); err != nil {
			t.Fatalf("add %v: %v", r, err)
		}
	}
	rs, err := g.Rules()
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != len(ours) {
		t.Fatalf("listed %d rules, added %d", len(rs), len(ours))
	}
	// The kernel lists newest first.
	for i := range rs {
		if want := ours[len(ours)-1-i]; !reflect.DeepEqual(&rs[i], want) {
			t.Errorf("rule %d read back\n %+v\nwant\n %+v", i, rs[i], *want)
		}
	}
	got, want := ourListing(rs), cangwList(t)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("our listing differs from cangw -L:\nours:\n%s\ncangw:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	t.Logf("%d rules listed identically by us and cangw -L", len(rs))

	// A rule added by cangw decodes to the rule we would build.
	peer.Run(t, "cangw", "-A", "-s", "vcan1", "-d", "vcan0", "-e", "-f", "7FF:7FF", "-m", "XOR:IL:1.1.0000000000000000", "-l", "1")
	rs, err = g.Rules()
	if err != nil {
		t.Fatal(err)
	}
	wantCangw := GatewayRule{SrcIndex: v1, DstIndex: v0, Flags: GatewayEcho, HopLimit: 1, Filter: &Filter{ID: 0x7FF, Mask: 0x7FF},
		Xor: &GatewayMod{Targets: GatewayModID | GatewayModLen, ID: 1, Len: 1}}
	if !reflect.DeepEqual(rs[0], wantCangw) {
		t.Fatalf("cangw's rule decoded as\n %+v\nwant\n %+v", rs[0], wantCangw)
	}
	// Delete ours and cangw's by value; the listing shrinks accordingly.
	if err := g.Delete(&wantCangw); err != nil {
		t.Fatal(err)
	}
	if err := g.Delete(ours[0]); err != nil {
		t.Fatal(err)
	}
	if err := g.Delete(ours[0]); !errors.Is(err, unix.EINVAL) {
		t.Fatalf("deleting a missing rule: err = %v, want EINVAL", err)
	}
	if n := len(cangwList(t)); n != 2 {
		t.Fatalf("cangw -L lists %d rules after two deletes, want 2", n)
	}
	// A rule with a UID is deleted by UID alone.
	if err := g.Delete(&GatewayRule{SrcIndex: v1, DstIndex: v0, Flags: GatewaySrcTimestamp | GatewayIIFTxOK, HopLimit: 1, UID: 0x42,
		Filter: &Filter{ID: 0x100, Mask: 0x700, Inverted: true}, Or: &GatewayMod{Targets: GatewayModData}}); err != nil {
		t.Fatalf("delete by UID: %v", err)
	}
	if err := g.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := len(cangwList(t)); n != 0 {
		t.Fatalf("cangw -L lists %d rules after flush", n)
	}
	// Rules are checked before they reach the kernel.
	if err := g.Add(&GatewayRule{SrcIndex: v0, DstIndex: v1, UID: 1}); !errors.Is(err, ErrGatewayRule) {
		t.Fatalf("UID without modification: err = %v", err)
	}
	if err := g.Add(&GatewayRule{SrcIndex: v0, DstIndex: 1 << 30}); !errors.Is(err, unix.ENODEV) {
		t.Fatalf("missing destination: err = %v, want ENODEV", err)
	}
}

func TestHILGatewayForwardsWithModifications(t *testing.T) {
	g := gwDial(t)
	v0, v1 := gwIndex(t, "vcan0"), gwIndex(t, "vcan1")
	rule := &GatewayRule{SrcIndex: v0, DstIndex: v1, Flags: GatewayEcho, Filter: &Filter{ID: 0x123, Mask: 0x7FF},
		And: &GatewayMod{Targets: GatewayModData, Data: [FDMaxLen]byte{0xFF, 0, 0xFF, 0, 0xFF, 0, 0xFF, 0}},
		Set: &GatewayMod{Targets: GatewayModID, ID: 0x333},
		XOR: &GatewayXOR{From: 0, To: 6, Result: 7, Init: 0xAA}}
	if err := g.Add(rule); err != nil {
		t.Fatal(err)
	}
	fd := &GatewayRule{SrcIndex: v0, DstIndex: v1, Flags: GatewayEcho | GatewayFD, Filter: &Filter{ID: 0x124, Mask: 0x7FF},
		Set: &GatewayMod{Targets: GatewayModID | GatewayModFlags, ID: 0x444, Flags: 0x01}}
	if err := g.Add(fd); err != nil {
		t.Fatal(err)
	}
	// CRC8 (SAE J1850 table, profile 1U8) over data[0..6] into data[7];
	// the kernel needs a modification for checksums: OR with zero.
	crcRule := &GatewayRule{SrcIndex: v0, DstIndex: v1, Flags: GatewayEcho, Filter: &Filter{ID: 0x126, Mask: 0x7FF},
		Or:   &GatewayMod{Targets: GatewayModData},
		CRC8: &GatewayCRC8{From: 0, To: 6, Result: 7, Init: 0xFF, FinalXOR: 0xFF, Table: CRC8Table(0x1D), Profile: GatewayCRC8OneU8, ProfileData: [20]uint8{0x5A}}}
	if err := g.Add(crcRule); err != nil {
		t.Fatal(err)
	}
	crcData := [FDMaxLen]byte{1, 2, 3, 4, 5, 6, 7, 0}
	crc := crcRule.CRC8.Init
	for _, v := range crcData[:7] {
		crc = crcRule.CRC8.Table[crc^v]
	}
	crc = crcRule.CRC8.Table[crc^0x5A]
	crcData[7] = crc ^ 0xFF
	wantCRC := "vcan1 126#" + strings.ToUpper(hex.EncodeToString(crcData[:8]))

	dump := peer.Start(t, "candump", "-L", "vcan1")
	send := func(iface string, frame []byte) {
		t.Helper()
		s, err := unix.Socket(unix.AF_CAN, unix.SOCK_RAW, unix.CAN_RAW)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(s)
		if len(frame) == FDMTU {
			if err := unix.SetsockoptInt(s, unix.SOL_CAN_RAW, unix.CAN_RAW_FD_FRAMES, 1); err != nil {
				t.Fatal(err)
			}
		}
		if err := unix.Bind(s, &unix.SockaddrCAN{Ifindex: gwIndex(t, iface)}); err != nil {
			t.Fatal(err)
		}
		if _, err := unix.Write(s, frame); err != nil {
			t.Fatalf("send on %s: %v", iface, err)
		}
	}
	mk := func(f FDFrame) []byte {
		b, err := f.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// Wait until candump is reading: send probes on vcan1 until one shows.
	deadline := time.Now().Add(20 * time.Second)
	probe := mk(FDFrame{ID: 0x7FF, Len: 1})
	for ready := false; !ready; {
		send("vcan1", probe)
		l, ok := dump.Next(t, 300*time.Millisecond)
		ready = ok && strings.HasSuffix(l, "vcan1 7FF#00")
		if !ready && time.Now().After(deadline) {
			t.Fatal("candump did not start")
		}
	}
	dump.Drain()
	send("vcan0", mk(FDFrame{ID: 0x123, Len: 8, Data: [FDMaxLen]byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}}))
	send("vcan0", mk(FDFrame{ID: 0x125, Len: 2, Data: [FDMaxLen]byte{1, 2}})) // matches no rule
	send("vcan0", mk(FDFrame{ID: 0x124, Len: 12, Flags: FDF, Data: [FDMaxLen]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}))
	send("vcan0", mk(FDFrame{ID: 0x126, Len: 8, Data: [FDMaxLen]byte{1, 2, 3, 4, 5, 6, 7, 0}}))
	// 11^33^55^77 = 00; ^AA = AA.
	// The FD frame's flags nibble is 1 (BRS, set by the rule) or 5 when
	// the kernel adds FDF.
	want := []string{"vcan1 333#11003300550077AA", "vcan1 444##", wantCRC}
	var got []string
	for _, w := range want {
		l, ok := dump.Next(t, 5*time.Second)
		if !ok {
			t.Fatalf("candump: no line, want %q", w)
		}
		got = append(got, l)
		if !strings.Contains(l, w) || (strings.Contains(w, "##") && !strings.HasSuffix(l, "0102030405060708090A0B0C") &&
			!strings.Contains(l, "##1") && !strings.Contains(l, "##5")) {
			t.Fatalf("candump: %q, want %q", l, w)
		}
	}
	if l, ok := dump.Next(t, 300*time.Millisecond); ok {
		t.Fatalf("candump saw an unexpected frame: %q", l)
	}
	rs, err := g.Rules()
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 || rs[0].Handled != 1 || rs[1].Handled != 1 || rs[2].Handled != 1 || rs[0].Dropped != 0 || rs[1].Deleted != 0 {
		t.Fatalf("counters: %+v", rs)
	}
	if l := cangwList(t); len(l) != 3 || !strings.HasSuffix(l[0], "# 1 handled 0 dropped 0 deleted") {
		t.Fatalf("cangw -L: %q", l)
	}
	t.Logf("forwarded with modifications, candump saw %q; counters handled %d/%d/%d", got, rs[0].Handled, rs[1].Handled, rs[2].Handled)
}
