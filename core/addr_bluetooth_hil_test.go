//go:build hil

package core

import (
	"encoding/json"
	"fmt"
	"testing"

	"golang.org/x/sys/unix"
)

// Bind round-trips from CPython's Bluetooth tests, with a controller from
// /dev/vhci for HCI.
func TestRigBluetoothBind(t *testing.T) {
	dev := rigHCIDevice(t)
	py := pythonRig(t)

	hci := rigSocket(t, unix.AF_BLUETOOTH, unix.SOCK_RAW, BTPROTO_HCI)
	if err := rigBind(hci, HCIAddr{Device: uint16(dev)}); err != nil {
		t.Fatalf("HCI bind hci%d: %v", dev, err)
	}
	a, raw := rigSockName(t, hci, unix.SOCK_RAW, BTPROTO_HCI)
	if got := *a.(*HCIAddr); got != (HCIAddr{Device: uint16(dev)}) || len(raw) != SizeofSockaddrHCI {
		t.Fatalf("HCI getsockname %+v (% x)", got, raw)
	}
	if p, o := pyGot(py["hci"]), pyTuple(dev); p != o && pyGot(py["hci"]) != pyGot(json.Number(fmt.Sprint(dev))) {
		t.Errorf("CPython HCI %s, ours %s", pyGot(py["hci"]), o)
	}

	for _, c := range []struct {
		key  string
		addr L2CAPAddr
	}{
		{"l2cap-att", L2CAPAddr{BDAddr: BDAddrAny, PSM: 0, CID: L2CAP_CID_ATT, AddrType: BDADDR_LE_PUBLIC}},
		{"l2cap-le", L2CAPAddr{BDAddr: BDAddrAny, PSM: 0x80, CID: 0, AddrType: BDADDR_LE_RANDOM}},
		{"l2cap-bredr", L2CAPAddr{BDAddr: BDAddrAny, PSM: 0x1001}},
	} {
		fd := rigSocket(t, unix.AF_BLUETOOTH, unix.SOCK_SEQPACKET, BTPROTO_L2CAP)
		if err := rigBind(fd, c.addr); err != nil {
			t.Fatalf("%s: bind: %v", c.key, err)
		}
		a, raw := rigSockName(t, fd, unix.SOCK_SEQPACKET, BTPROTO_L2CAP)
		if got := *a.(*L2CAPAddr); got != c.addr || len(raw) != SizeofSockaddrL2 {
			t.Errorf("%s: getsockname %+v (% x), bound %+v", c.key, got, raw, c.addr)
		}
		// Python 3.11 returns (bdaddr, psm); newer ones add cid and type.
		if l, ok := py[c.key].([]any); !ok || l[0] != c.addr.BDAddr.String() || uint16(num(l[1])) != c.addr.PSM {
			t.Logf("%s: CPython %v (3.11 accepts only (bdaddr, psm) for L2CAP)", c.key, py[c.key])
			if c.key == "l2cap-bredr" {
				t.Errorf("%s: CPython %v, ours %v", c.key, py[c.key], c.addr)
			}
		}
	}

	rc := rigSocket(t, unix.AF_BLUETOOTH, unix.SOCK_STREAM, BTPROTO_RFCOMM)
	if err := rigBind(rc, RFCOMMAddr{BDAddr: BDAddrAny, Channel: 0}); err != nil {
		t.Fatalf("RFCOMM bind: %v", err)
	}
	a, raw = rigSockName(t, rc, unix.SOCK_STREAM, BTPROTO_RFCOMM)
	got := *a.(*RFCOMMAddr)
	if got.BDAddr != BDAddrAny || len(raw) != SizeofSockaddrRC {
		t.Fatalf("RFCOMM getsockname %+v (% x)", got, raw)
	}
	if p, o := pyGot(py["rfcomm"]), pyTuple(got.BDAddr.String(), got.Channel); p != o {
		t.Errorf("CPython RFCOMM %s, ours %s", p, o)
	}

	sco := rigSocket(t, unix.AF_BLUETOOTH, unix.SOCK_SEQPACKET, BTPROTO_SCO)
	if err := rigBind(sco, SCOAddr{BDAddr: BDAddrAny}); err != nil {
		t.Fatalf("SCO bind: %v", err)
	}
	a, raw = rigSockName(t, sco, unix.SOCK_SEQPACKET, BTPROTO_SCO)
	if got := *a.(*SCOAddr); got.BDAddr != BDAddrAny || len(raw) != SizeofSockaddrSCO {
		t.Fatalf("SCO getsockname %+v (% x)", got, raw)
	}
	if py["sco"] != BDAddrAny.String() {
		t.Errorf("CPython SCO %v", py["sco"])
	}

	// Malformed addresses fail before the kernel.
	if _, err := ParseBDAddr("00:00:00:00:00"); err == nil {
		t.Error("short bdaddr accepted")
	}
}
