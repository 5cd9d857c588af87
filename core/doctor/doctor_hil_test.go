//go:build hil

package doctor

import "testing"

// In the rig every family is present and the emulated controllers report
// the bit rate the rig configured.
func TestRigHasEverything(t *testing.T) {
	r := Collect()
	if !r.InRig {
		t.Fatal("FIELDGATE_HIL is not set: not running in the rig")
	}
	for _, f := range r.Families {
		if !f.Supported {
			t.Errorf("%s missing in the rig: %s (needs %s)", f.Name, f.Error, f.Needs)
		}
	}
	want := map[string]uint32{"can0": 500000, "can1": 500000, "vcan0": 0, "vcan1": 0, "vxcan0": 0, "vxcan1": 0}
	for _, i := range r.Interfaces {
		br, ok := want[i.Name]
		if !ok {
			continue
		}
		delete(want, i.Name)
		if !i.Up || i.Bitrate != br {
			t.Errorf("%s: up=%v bitrate=%d, want up at %d", i.Name, i.Up, i.Bitrate, br)
		}
	}
	for name := range want {
		t.Errorf("interface %s not listed", name)
	}
}
