//go:build hil

package bluetooth

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/core"
	"github.com/fieldgate/fieldgate/internal/peer"
	"golang.org/x/sys/unix"
)

// Devices and Device report what hciconfig reports for the same
// controllers: name, address, bus and up/down state.
func TestHILDevicesMatchHciconfig(t *testing.T) {
	a, b := controllers(t)
	ds, err := Devices()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []DeviceInfo{a, b} {
		i := slicesIndex(ds, want.ID)
		if i < 0 {
			t.Fatalf("Devices() %v has no hci%d", ds, want.ID)
		}
		d := ds[i]
		if d.Name != fmt.Sprintf("hci%d", d.ID) || d.Bus != BusVirtual || !d.Flags.Up() || d.Flags&FlagRunning == 0 || d.Flags&FlagPScan == 0 {
			t.Errorf("hci%d: %+v (flags %v)", d.ID, d, d.Flags)
		}
		if d.BDAddr == core.BDAddrAny {
			t.Errorf("hci%d: zero address", d.ID)
		}
		out, err := exec.Command("hciconfig", d.Name).CombinedOutput()
		if err != nil {
			t.Fatalf("hciconfig %s: %v: %s", d.Name, err, out)
		}
		s := string(out)
		if !strings.Contains(s, "BD Address: "+d.BDAddr.String()) || !strings.Contains(s, "Bus: "+d.Bus.String()) ||
			!strings.Contains(s, "UP RUNNING PSCAN ISCAN") || !strings.Contains(s, fmt.Sprintf("ACL MTU: %d:%d", d.ACLMTU, d.ACLPackets)) {
			t.Errorf("hciconfig says\n%s\nwe say %s %v bus %v flags %v acl %d:%d", s, d.Name, d.BDAddr, d.Bus, d.Flags, d.ACLMTU, d.ACLPackets)
		}
		t.Logf("%s %v %v %v acl %d:%d cmds %d events %d", d.Name, d.BDAddr, d.Bus, d.Flags, d.ACLMTU, d.ACLPackets, d.Stats.CmdTx, d.Stats.EvtRx)
	}
	if _, err := Device(4000); !errors.Is(err, unix.ENODEV) {
		t.Errorf("Device(4000): %v, want ENODEV", err)
	}
}

func slicesIndex(ds []DeviceInfo, id uint16) int {
	for i, d := range ds {
		if d.ID == id {
			return i
		}
	}
	return -1
}

// Commands on a raw socket reach the emulated controller and its Command
// Complete comes back through our filter; Python reads the same address
// with its own socket, and the kernel stores Python's filter bytes and ours
// identically.
func TestHILCommandsMatchPython(t *testing.T) {
	a, _ := controllers(t)
	h, err := OpenHCI(int(a.ID), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if f, err := h.Filter(); err != nil || f != AllEvents() {
		t.Fatalf("default filter %+v, %v; want AllEvents %+v", f, err, AllEvents())
	}
	if sa, err := h.Socket().SockName(); err != nil || *sa.(*core.HCIAddr) != (core.HCIAddr{Device: a.ID}) {
		t.Fatalf("getsockname %v, %v", sa, err)
	}
	ctx := ctxT(t, 10*time.Second)
	addr, err := h.ReadBDAddr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if addr != a.BDAddr {
		t.Errorf("Read BD_ADDR %v, HCIGETDEVINFO %v", addr, a.BDAddr)
	}
	v, err := h.ReadLocalVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// hciconfig -a: "HCI Version: 5.0 (0x9) ... Manufacturer: The Linux Foundation (1521)".
	if v.HCIVersion != 9 || v.LMPVersion != 9 || v.Manufacturer != 1521 {
		t.Errorf("local version %+v, want HCI/LMP 5.0 (9), manufacturer 1521", v)
	}
	name := "fieldgate " + strconv.Itoa(int(time.Now().UnixNano()%1000))
	if err := h.WriteLocalName(ctx, name); err != nil {
		t.Fatal(err)
	}
	if got, err := h.ReadLocalName(ctx); err != nil || got != name {
		t.Errorf("local name %q, %v; wrote %q", got, err, name)
	}
	// An opcode the controller does not know: a status, not a hang.
	_, err = h.Command(ctx, NewOpcode(0x04, 0x3ff), nil)
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 0x01 {
		t.Errorf("unknown command: %v, want HCI status 0x01", err)
	}
	if f, err := h.Filter(); err != nil || f != AllEvents() {
		t.Errorf("filter after Command %+v, %v; want it restored", f, err)
	}

	p := peer.StartPython(t, `
import socket, struct, sys
s = socket.socket(socket.AF_BLUETOOTH, socket.SOCK_RAW, socket.BTPROTO_HCI)
s.bind((int(sys.argv[1]),))
s.setsockopt(socket.SOL_HCI, socket.HCI_FILTER, struct.pack("<IIIH2x", 1 << 4, (1 << 14) | (1 << 15), 0, 0x1009))
print("filter", s.getsockopt(socket.SOL_HCI, socket.HCI_FILTER, 16).hex())
s.send(bytes([1, 0x09, 0x10, 0]))
while True:
    p = s.recv(260)
    if p[0] == 4 and p[1] == 0x0e and p[4:6] == b"\x09\x10":
        print("bdaddr", p[6], ":".join("%02X" % c for c in reversed(p[7:13])))
        break
`, strconv.Itoa(int(a.ID)))
	pyFilter := p.Fields(t, "filter", 60*time.Second)
	var f Filter
	f.SetType(EventPacket)
	f.SetEvent(EvtCommandComplete)
	f.SetEvent(EvtCommandStatus)
	f.Opcode = OpReadBDAddr
	if err := h.SetFilter(f); err != nil {
		t.Fatal(err)
	}
	raw, err := h.Socket().GetsockoptBytes(unix.SOL_HCI, core.HCI_FILTER, SizeofFilter)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(raw) != pyFilter[0] {
		t.Errorf("kernel holds our filter as %x, Python's as %s", raw, pyFilter[0])
	}
	if got := p.Fields(t, "bdaddr", 30*time.Second); got[0] != "0" || got[1] != a.BDAddr.String() {
		t.Errorf("Python: status %s address %s; ours %v", got[0], got[1], a.BDAddr)
	}
}

// The monitor channel shows the kernel's own traffic: the replay of the
// existing controllers on open, then a power cycle of one of them, whose
// initialisation commands and events decode with our parsers.
func TestHILMonitorPowerCycle(t *testing.T) {
	a, b := controllers(t)
	c := spare(t)
	m, err := OpenMonitor()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx := ctxT(t, 20*time.Second)
	seen := map[uint16]NewIndex{}
	info := map[uint16]IndexInfo{}
	for len(seen) < 2 || len(info) < 2 {
		p, err := m.Next(ctx)
		if err != nil {
			t.Fatalf("replay: %v (new index %v, index info %v)", err, seen, info)
		}
		switch p.Opcode {
		case MonNewIndex:
			ni, err := p.NewIndex()
			if err != nil {
				t.Fatal(err)
			}
			if p.Index == a.ID || p.Index == b.ID {
				seen[p.Index] = ni
			}
		case MonIndexInfo:
			ii, err := p.IndexInfo()
			if err != nil {
				t.Fatal(err)
			}
			if p.Index == a.ID || p.Index == b.ID {
				info[p.Index] = ii
			}
		}
	}
	for _, d := range []DeviceInfo{a, b} {
		if ni := seen[d.ID]; ni.Name != d.Name || ni.Bus != BusVirtual || ni.BDAddr != d.BDAddr || ni.Type != 0 {
			t.Errorf("NewIndex for hci%d %+v, device %v %v", d.ID, ni, d.Name, d.BDAddr)
		}
		if ii := info[d.ID]; ii.BDAddr != d.BDAddr || ii.Manufacturer != 1521 {
			t.Errorf("IndexInfo for hci%d %+v", d.ID, ii)
		}
	}

	if err := DeviceDown(int(c.ID)); err != nil {
		t.Fatal(err)
	}
	if d, err := Device(int(c.ID)); err != nil || d.Flags.Up() {
		t.Fatalf("after DeviceDown: %v %v", d.Flags, err)
	}
	waitMon(t, m, c.ID, "CloseIndex", func(p MonitorPacket) bool { return p.Opcode == MonCloseIndex })
	if err := DeviceUp(int(c.ID)); err != nil {
		t.Fatal(err)
	}
	defer SetScan(int(c.ID), ScanPage|ScanInquiry)
	waitMon(t, m, c.ID, "OpenIndex", func(p MonitorPacket) bool { return p.Opcode == MonOpenIndex })
	waitMon(t, m, c.ID, "Reset command", func(p MonitorPacket) bool {
		c, err := p.Command()
		return err == nil && c.Opcode == OpReset && len(c.Params) == 0
	})
	var got core.BDAddr
	cmds := 0
	waitMon(t, m, c.ID, "Read BD_ADDR complete", func(p MonitorPacket) bool {
		if p.Opcode == MonCommand {
			cmds++
		}
		e, err := p.Event()
		if err != nil {
			return false
		}
		cc, err := e.CommandComplete()
		if err != nil || cc.Opcode != OpReadBDAddr || len(cc.Return) != 7 || cc.Return[0] != 0 {
			return false
		}
		got, _ = parseBDAddr(cc.Return[1:])
		return true
	})
	if got != c.BDAddr {
		t.Errorf("kernel read BD_ADDR %v during init, device has %v", got, c.BDAddr)
	}
	if d, err := Device(int(c.ID)); err != nil || !d.Flags.Up() {
		t.Fatalf("after DeviceUp: %v %v", d.Flags, err)
	}
	t.Logf("hci%d power cycle seen on the monitor; %d commands between Reset and Read BD_ADDR", c.ID, cmds)
}

func waitMon(t *testing.T, m *Monitor, index uint16, what string, ok func(MonitorPacket) bool) {
	t.Helper()
	ctx := ctxT(t, 15*time.Second)
	for {
		p, err := m.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %s on hci%d: %v", what, index, err)
		}
		if p.Index == index && ok(p) {
			return
		}
	}
}
