// Package bttest sets up emulated Bluetooth controllers for rig tests:
// bluez-test-tools' btvirt makes BR/EDR controllers on /dev/vhci that
// reach each other, so RFCOMM and L2CAP connections between them run
// through the kernel's stack on both sides.
//
// btvirt is left running when a test binary ends: the rig's guest powers
// off after its tests, and removing controllers that still have links has
// upset its kernel.
package bttest

import (
	"fmt"
	"io"
	"os/exec"
	"slices"
	"time"

	bt "github.com/fieldgate/fieldgate/bluetooth"
	"github.com/fieldgate/fieldgate/core"
)

// Btvirt is the path of bluez-test-tools' controller emulator.
const Btvirt = "/usr/bin/btvirt"

// Virtual starts btvirt with n controllers, waits up to 15 s for them to
// appear, brings them up with page and inquiry scan on, and returns them
// ordered by index, with btvirt's process (its CPU time is the emulated
// radio's cost). btvirt's output goes to log.
func Virtual(n int, log io.Writer) ([]bt.DeviceInfo, *exec.Cmd, error) {
	before, err := bt.Devices()
	if err != nil {
		return nil, nil, err
	}
	old := map[uint16]bool{}
	for _, d := range before {
		old[d.ID] = true
	}
	cmd := exec.Command(Btvirt, fmt.Sprintf("-l%d", n))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	var ids []uint16
	for deadline := time.Now().Add(15 * time.Second); len(ids) < n; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			return nil, nil, fmt.Errorf("btvirt -l%d made controllers %v in 15s, want %d", n, ids, n)
		}
		ds, err := bt.Devices()
		if err != nil {
			return nil, nil, err
		}
		ids = ids[:0]
		for _, d := range ds {
			if !old[d.ID] {
				ids = append(ids, d.ID)
			}
		}
	}
	cs, err := Up(ids[:n])
	return cs, cmd, err
}

// Up brings the controllers of ids up with page and inquiry scan on and
// returns them ordered by index. Two controllers that share an address
// are an error.
func Up(ids []uint16) ([]bt.DeviceInfo, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	out := make([]bt.DeviceInfo, 0, len(ids))
	seen := map[core.BDAddr]uint16{}
	for _, id := range ids {
		if err := bt.DeviceUp(int(id)); err != nil {
			return nil, err
		}
		if err := bt.SetScan(int(id), bt.ScanPage|bt.ScanInquiry); err != nil {
			return nil, err
		}
		d, err := bt.Device(int(id))
		if err != nil {
			return nil, err
		}
		if other, ok := seen[d.BDAddr]; ok {
			return nil, fmt.Errorf("controllers hci%d and hci%d share the address %v", other, id, d.BDAddr)
		}
		seen[d.BDAddr] = id
		out = append(out, d)
	}
	return out, nil
}
