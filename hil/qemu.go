package hil

import (
	"fmt"
	"os"
	"strings"
)

// BootConfig describes one guest boot.
type BootConfig struct {
	Kernel    Kernel
	Initramfs string
	RunDir    string // exchange folder, writable by the guest
	Cwd       string // working directory of the command in the guest
	BinDir    string // first on the guest's PATH
	MemoryMB  int    // default 1024
	KVM       bool   // opt-in: KVM hangs on the CI machine kind, TCG is the default
	Console   string // file receiving the kernel console (first serial port)
	// ExtraCmdline is appended to the kernel command line
	// (FIELDGATE_HIL_CMDLINE), e.g. "mitigations=off" for a benchmark
	// comparison.
	ExtraCmdline string
}

// extraCmdline returns FIELDGATE_HIL_CMDLINE, refusing characters QEMU's
// -append cannot carry.
func extraCmdline() (string, error) {
	v := strings.TrimSpace(os.Getenv("FIELDGATE_HIL_CMDLINE"))
	if strings.ContainsAny(v, "\n\t,\"'") {
		return "", fmt.Errorf("hil: FIELDGATE_HIL_CMDLINE %q: kernel parameters are separated by single spaces and cannot contain commas, quotes or newlines", v)
	}
	return v, nil
}

// kvmRequested reports whether FIELDGATE_HIL_KVM asks for KVM.
func kvmRequested() bool {
	v := os.Getenv("FIELDGATE_HIL_KVM")
	return v != "" && v != "0"
}

// qemuArgs builds the QEMU command line. The command's output arrives on
// the guest's second serial port, which QEMU writes to file descriptor 3.
func qemuArgs(c BootConfig) ([]string, error) {
	for _, p := range []string{c.RunDir, c.Cwd, c.BinDir, c.Kernel.Dir} {
		if strings.ContainsAny(p, " \t\n,") {
			return nil, fmt.Errorf("hil: path %q has a space or comma; the kernel command line and QEMU options cannot carry it", p)
		}
	}
	mem := c.MemoryMB
	if mem == 0 {
		mem = 1024
	}
	accel := []string{"-accel", "tcg"}
	if c.KVM {
		accel = []string{"-accel", "kvm", "-cpu", "host"}
	}
	appendLine := strings.Join([]string{
		"console=ttyS0", "loglevel=4", "panic=-1", "oops=panic", "8250.nr_uarts=2",
		"rdinit=/init", "fg.run=" + c.RunDir, "fg.kdir=" + c.Kernel.Dir,
		"fg.cwd=" + c.Cwd, "fg.path=" + c.BinDir,
	}, " ")
	if c.ExtraCmdline != "" {
		appendLine += " " + c.ExtraCmdline
	}
	args := append(accel,
		"-m", fmt.Sprint(mem), "-smp", "1",
		"-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
		"-kernel", c.Kernel.Vmlinuz(), "-initrd", c.Initramfs, "-append", appendLine,
		"-chardev", "file,id=console,path="+c.Console, "-serial", "chardev:console",
		"-chardev", "file,id=out,path=/dev/fd/3", "-serial", "chardev:out",
		"-device", "virtio-rng-pci",
		"-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
		"-virtfs", "local,path="+c.RunDir+",mount_tag=xchg,security_model=none,multidevs=remap",
		// Two SJA1000 controllers (Kvaser PCI) on one virtual CAN bus: can0, can1.
		"-object", "can-bus,id=canbus0",
		"-device", "kvaser_pci,canbus=canbus0",
		"-device", "kvaser_pci,canbus=canbus0",
	)
	return args, nil
}
