//go:build hil

package bluetooth_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"

	bt "github.com/fieldgate/fieldgate/bluetooth"
	"github.com/fieldgate/fieldgate/bluetooth/bttest"
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
	cs, cmd, err := bttest.Virtual(2, &rig.log)
	if err != nil {
		return err
	}
	rig.cmd, rig.a, rig.b = cmd, cs[0], cs[1]
	return nil
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
