//go:build hil

package can

import (
	"context"
	"os/exec"
	"testing"
	"time"
)

// This file sorts last so that the controller reset below happens after
// the other can0/can1 tests.

// TestHILErrorFrames: with can1 down nobody acknowledges can0's frames, and
// the SJA1000 reports errors as error frames that decode into ErrorFrame.
func TestHILErrorFrames(t *testing.T) {
	if out, err := exec.Command("ip", "link", "set", "can1", "down").CombinedOutput(); err != nil {
		t.Fatalf("ip link set can1 down: %v %s", err, out)
	}
	defer func() {
		// Reset both controllers: error-active again for later users.
		for _, cmd := range [][]string{{"can1", "up"}, {"can0", "down"}, {"can0", "up"}} {
			exec.Command("ip", "link", "set", cmd[0], cmd[1]).Run()
		}
	}()
	rx := listen(t, "can0", &RawConfig{ErrorMask: ErrMaskAll, Filters: []Filter{}})
	tx := listen(t, "can0", nil)
	f, _ := ParseFrame("123#01")
	tx.WriteFrame(nil, &f)
	var m RecvMsg
	var seen []string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := rx.ReadFrame(ctx, &m)
		cancel()
		if err != nil {
			break
		}
		if !m.Frame.Error {
			t.Fatalf("data frame %s with an empty filter list", m.Frame)
		}
		e, err := ParseError(&m.Frame)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, e.Error())
		if e.Class&(ErrAck|ErrProt|ErrCtrl|ErrBusOff|ErrBusError) != 0 && len(seen) >= 2 {
			break
		}
	}
	if len(seen) == 0 {
		t.Fatal("no error frames from the SJA1000 with the bus unacknowledged")
	}
	t.Logf("error frames: %q", seen)
}
