//go:build hil

package bluetooth_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sync"
	"testing"
	"time"

	bt "github.com/fieldgate/fieldgate/bluetooth"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/can"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/tcp"
)

// The rig's kernel has Bluetooth and hci_vhci; bluez-test-tools' btvirt
// emulates two BR/EDR controllers on /dev/vhci that reach each other, so
// RFCOMM and L2CAP connections between them run through the kernel's
// stack on both sides. The peers are Debian's /usr/bin/python3 socket
// module (AF_BLUETOOTH), cangen, candump and cansend on vcan0 and vcan1.
//
// As the bluetooth package's rig tests found, an L2CAP connect to an
// address nobody answers panics this kernel under btvirt: clients here
// only ever dial a controller that exists.

// rig is two btvirt controllers, set up once per test binary, up and
// connectable: a carries the gateway's servers, b the peers and clients.
var rig struct {
	once sync.Once
	cmd  *exec.Cmd
	log  bytes.Buffer
	a, b bt.DeviceInfo
	err  error
}

func TestMain(m *testing.M) {
	// btvirt is left running: the guest powers off after the tests, and
	// removing controllers that still have links has upset this kernel.
	os.Exit(m.Run())
}

// controllers returns emulated controllers a and b (a has the lower index).
func controllers(t *testing.T) (a, b bt.DeviceInfo) {
	t.Helper()
	rig.once.Do(func() { rig.err = startBtvirt() })
	if rig.err != nil {
		t.Fatalf("btvirt controllers: %v; btvirt output: %s", rig.err, rig.log.String())
	}
	return rig.a, rig.b
}

func startBtvirt() error {
	before, err := bt.Devices()
	if err != nil {
		return err
	}
	old := map[uint16]bool{}
	for _, d := range before {
		old[d.ID] = true
	}
	rig.cmd = exec.Command("/usr/bin/btvirt", "-l2")
	rig.cmd.Stdout, rig.cmd.Stderr = &rig.log, &rig.log
	if err := rig.cmd.Start(); err != nil {
		return err
	}
	var ids []uint16
	for deadline := time.Now().Add(15 * time.Second); len(ids) < 2; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("btvirt -l2 made controllers %v in 15s, want 2", ids)
		}
		ds, err := bt.Devices()
		if err != nil {
			return err
		}
		ids = ids[:0]
		for _, d := range ds {
			if !old[d.ID] {
				ids = append(ids, d.ID)
			}
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := bt.DeviceUp(int(id)); err != nil {
			return err
		}
		if err := bt.SetScan(int(id), bt.ScanPage|bt.ScanInquiry); err != nil {
			return err
		}
	}
	if rig.a, err = bt.Device(int(ids[0])); err != nil {
		return err
	}
	rig.b, err = bt.Device(int(ids[1]))
	return err
}

// kinds are the two kinds' settings for the tests: the socket Python
// opens, and the address field of each.
var kinds = []struct {
	kind, sockType, proto, port string
	addr                        func(port int) string // YAML of the channel or PSM
}{
	{"rfcomm", "SOCK_STREAM", "BTPROTO_RFCOMM", "channel", func(p int) string { return fmt.Sprintf("channel: %d", p) }},
	{"l2cap", "SOCK_SEQPACKET", "BTPROTO_L2CAP", "psm", func(p int) string { return fmt.Sprintf("psm: %#x", p) }},
}

// port returns a channel (RFCOMM) or PSM (L2CAP) for test i of a kind.
func port(kind string, i int) int {
	if kind == "rfcomm" {
		return 10 + i
	}
	return 0x1011 + 2*i
}
