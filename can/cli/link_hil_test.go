//go:build hil

package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

func runNLCLI(t *testing.T, main func(context.Context, []string, io.Writer, io.Writer) error, args string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if err := main(context.Background(), strings.Fields(args), &out, &errb); err != nil {
		t.Fatalf("%s: %v\n%s", args, err, errb.String())
	}
	return out.String()
}

func TestHILLinkCLI(t *testing.T) {
	t.Cleanup(func() {
		var b bytes.Buffer
		for _, n := range []string{"can0", "fgcli0"} {
			if n == "can0" {
				linkMain(context.Background(), strings.Fields("set can0 down bitrate 500000 restart-ms 0 one-shot off up"), &b, &b)
			} else {
				linkMain(context.Background(), []string{"del", n}, &b, &b)
			}
		}
	})
	runNLCLI(t, linkMain, "set can0 down type can bitrate 250000 sample-point 0.875 restart-ms 100 one-shot on up")
	ip, err := exec.Command("ip", "-d", "link", "show", "can0").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"can <ONE-SHOT> state ERROR-ACTIVE", "restart-ms 100", "bitrate 250000 sample-point 0.875"} {
		if !strings.Contains(string(ip), want) {
			t.Fatalf("ip -d link show can0 lacks %q:\n%s", want, ip)
		}
	}
	show := runNLCLI(t, linkMain, "show can0")
	for _, want := range []string{"can <ONE-SHOT> state ERROR-ACTIVE", "restart-ms 100", "bitrate 250000 sample-point 0.875", "sja1000: tseg1 1..16"} {
		if !strings.Contains(show, want) {
			t.Fatalf("link show can0 lacks %q:\n%s", want, show)
		}
	}
	// Changing the bit rate of a running controller names the fix.
	var out, errb bytes.Buffer
	err = linkMain(context.Background(), strings.Fields("set can0 bitrate 125000"), &out, &errb)
	if err == nil || !strings.Contains(err.Error(), `add "down ... up"`) {
		t.Fatalf("set on a running controller: %v", err)
	}
	runNLCLI(t, linkMain, "add fgcli0 type vcan fd")
	if show := runNLCLI(t, linkMain, "show fgcli0"); !strings.Contains(show, "mtu 72") || !strings.Contains(show, "kind vcan") {
		t.Fatalf("link show fgcli0:\n%s", show)
	}
	runNLCLI(t, linkMain, "del fgcli0")
	err = linkMain(context.Background(), []string{"show", "fgcli0"}, &out, &errb)
	if err == nil {
		t.Fatal("deleted link still shown")
	}
}

func TestHILGatewayCLI(t *testing.T) {
	var b bytes.Buffer
	t.Cleanup(func() { gwMain(context.Background(), []string{"flush"}, &b, &b) })
	runNLCLI(t, gwMain, "flush")
	runNLCLI(t, gwMain, "add -s vcan0 -d vcan1 -e -f 123:7FF -m SET:IL:333.4.1122334455667788 -x 0:6:7:AA")
	runNLCLI(t, gwMain, "add -s vcan1 -d vcan0 -Xti -l 1 -M XOR:IFLD:1.1.8."+strings.Repeat("0F", 64)+" -u 7")
	ours := runNLCLI(t, gwMain, "list")
	cangw, err := exec.Command("cangw", "-L").Output()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	if ours != string(cangw) || strings.Count(ours, "\n") != 2 {
		t.Fatalf("fieldgate can gw list:\n%s\ncangw -L:\n%s", ours, cangw)
	}
	runNLCLI(t, gwMain, "del -s vcan0 -d vcan1 -e -f 123:7FF -m SET:IL:333.4.1122334455667788 -x 0:6:7:AA")
	if ours := runNLCLI(t, gwMain, "list"); strings.Count(ours, "\n") != 1 || !strings.Contains(ours, "-u 7") {
		t.Fatalf("after del:\n%s", ours)
	}
	t.Logf("gw list == cangw -L:\n%s", cangw)
}
