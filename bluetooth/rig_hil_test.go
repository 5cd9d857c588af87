//go:build hil

package bluetooth

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sync"
	"testing"
	"time"
)

// The rig's kernel has Bluetooth and hci_vhci; bluez-test-tools' btvirt
// (BlueZ's controller emulator) makes two BR/EDR+LE controllers on
// /dev/vhci that reach each other, so L2CAP and RFCOMM connections between
// them run through the real kernel stack on both sides. The peers are
// Debian's /usr/bin/python3 socket module, BlueZ's l2test, rctest and
// hciconfig.

// rig is three btvirt controllers, set up once per test binary: all up,
// connectable and discoverable. a and b carry the connection tests; c is
// only ever power-cycled (TestHILMonitorPowerCycle): cycling a controller
// that had a link leaves its peer holding a stale ACL link until the
// supervision timeout, and the next connection over it hangs.
var rig struct {
	once    sync.Once
	cmd     *exec.Cmd
	log     bytes.Buffer
	a, b, c DeviceInfo
	err     error
}

func TestMain(m *testing.M) {
	// btvirt is left running: the guest powers off after the tests, and
	// removing controllers that still have links has upset this kernel.
	os.Exit(m.Run())
}

// controllers returns emulated controllers a and b (a has the lower index).
func controllers(t *testing.T) (a, b DeviceInfo) {
	t.Helper()
	rig.once.Do(func() { rig.err = startBtvirt() })
	if rig.err != nil {
		t.Fatalf("btvirt controllers: %v; btvirt output: %s", rig.err, rig.log.String())
	}
	return rig.a, rig.b
}

// spare returns controller c, which no test connects.
func spare(t *testing.T) DeviceInfo {
	t.Helper()
	controllers(t)
	return rig.c
}

func startBtvirt() error {
	before, err := Devices()
	if err != nil {
		return err
	}
	old := map[uint16]bool{}
	for _, d := range before {
		old[d.ID] = true
	}
	rig.cmd = exec.Command("/usr/bin/btvirt", "-l3")
	rig.cmd.Stdout, rig.cmd.Stderr = &rig.log, &rig.log
	if err := rig.cmd.Start(); err != nil {
		return err
	}
	var ids []uint16
	for deadline := time.Now().Add(15 * time.Second); len(ids) < 3; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("btvirt -l3 made controllers %v in 15s, want 3", ids)
		}
		ds, err := Devices()
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
		if err := DeviceUp(int(id)); err != nil {
			return err
		}
		if err := SetScan(int(id), ScanPage|ScanInquiry); err != nil {
			return err
		}
	}
	if rig.a, err = Device(int(ids[0])); err != nil {
		return err
	}
	if rig.b, err = Device(int(ids[1])); err != nil {
		return err
	}
	rig.c, err = Device(int(ids[2]))
	return err
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
