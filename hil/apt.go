package hil

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// HostPackages are the Debian packages the rig and the rig tests need on
// the host: QEMU and the host userland that the guest runs (real peers
// such as can-utils, python3-can, kcapi-tools, bluez testers, socat,
// tshark, tcpdump, iproute2), systemd for the host test that runs
// systemd-analyze on configs/fieldgate.service, nats-server for the
// nats kind's cluster tests, mosquitto and python3-paho-mqtt for the mqtt
// kind, python3-msgpack and python3-serial for python-can's udp_multicast
// and slcan interfaces, and chromium for the web console's browser tests.
var HostPackages = []string{
	"qemu-system-x86", "kmod", "iproute2", "can-utils", "python3", "python3-can",
	"kcapi-tools", "bluez-test-tools", "socat", "tshark", "wireshark-common",
	"tcpdump", "systemd", "nats-server", "mosquitto", "mosquitto-clients",
	"python3-paho-mqtt", "python3-msgpack", "python3-serial", "bluez", "chromium",
}

// missingPackages returns the packages of want that dpkg does not list as
// installed.
func missingPackages(ctx context.Context, want []string) ([]string, error) {
	args := append([]string{"-W", "-f", "${Package} ${db:Status-Status}\n"}, want...)
	out, _ := exec.CommandContext(ctx, "dpkg-query", args...).Output()
	installed := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[1] == "installed" {
			installed[strings.SplitN(f[0], ":", 2)[0]] = true
		}
	}
	var missing []string
	for _, p := range want {
		if !installed[p] {
			missing = append(missing, p)
		}
	}
	return missing, nil
}

// apt runs apt-get non-interactively, showing its output on w.
func apt(ctx context.Context, w io.Writer, args ...string) error {
	cmd := exec.CommandContext(ctx, "apt-get", append([]string{"-q", "-y"}, args...)...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	cmd.Stdout = w
	cmd.Stderr = w
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("hil: apt-get %s: %w", strings.Join(args, " "), err)
	}
	return nil
}
