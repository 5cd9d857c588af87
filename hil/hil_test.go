package hil

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadOrderPutsDependenciesFirst(t *testing.T) {
	dir := t.TempDir()
	dep := filepath.Join(dir, "modules.dep")
	os.WriteFile(dep, []byte(strings.Join([]string{
		"kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/netfs/netfs.ko",
		"kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko",
		"kernel/net/9p/9pnet.ko:",
		"kernel/fs/netfs/netfs.ko:",
		"kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_modern_dev.ko",
		"kernel/drivers/virtio/virtio_pci_modern_dev.ko:",
		"kernel/net/can/can-raw.ko: kernel/net/can/can.ko",
		"kernel/net/can/can.ko:",
	}, "\n")+"\n"), 0o644)
	deps, err := readModulesDep(dep)
	if err != nil {
		t.Fatal(err)
	}
	got, err := loadOrder(deps, []string{"virtio_pci", "9pnet_virtio", "9p", "can_raw"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"kernel/drivers/virtio/virtio_pci_modern_dev.ko", "kernel/drivers/virtio/virtio_pci.ko",
		"kernel/net/9p/9pnet.ko", "kernel/net/9p/9pnet_virtio.ko", "kernel/fs/netfs/netfs.ko",
		"kernel/fs/9p/9p.ko", "kernel/net/can/can.ko", "kernel/net/can/can-raw.ko",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("order\n got %v\nwant %v", got, want)
	}
	if _, err := loadOrder(deps, []string{"nosuch"}); err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Fatalf("unknown module: err = %v, want one naming it", err)
	}
}

func TestReadModulesDepRejectsGarbage(t *testing.T) {
	dep := filepath.Join(t.TempDir(), "modules.dep")
	os.WriteFile(dep, []byte("a.ko:\nno colon here\n"), 0o644)
	if _, err := readModulesDep(dep); err == nil || !strings.Contains(err.Error(), ":2:") {
		t.Fatalf("err = %v, want one naming line 2", err)
	}
}

func TestCpioNewcLayout(t *testing.T) {
	var b bytes.Buffer
	w := newCpioWriter(&b)
	w.dir("dev")
	w.file("init", []byte("hello"), 0o755)
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	// Each header is 110 bytes of "070701" + 13 hex fields, then the
	// NUL-terminated name padded to 4 bytes, then data padded to 4.
	if !strings.HasPrefix(s, "070701") || b.Len()%4 != 0 {
		t.Fatalf("not a newc archive (len %d): %q", b.Len(), s[:20])
	}
	hdr2 := strings.Index(s[6:], "070701") + 6
	h := s[hdr2 : hdr2+110]
	if mode := h[14:22]; mode != "000081ED" {
		t.Fatalf("init mode field %s, want 000081ED (regular 0755)", mode)
	}
	if size := h[54:62]; size != "00000005" {
		t.Fatalf("init size field %s, want 00000005", size)
	}
	if name := s[hdr2+110 : hdr2+115]; name != "init\x00" {
		t.Fatalf("name %q", name)
	}
	if !strings.Contains(s, "TRAILER!!!\x00") {
		t.Fatal("no trailer")
	}
}

func TestTallyCountsAndReports(t *testing.T) {
	var out, rep bytes.Buffer
	ty := newTally(&out)
	ty.Write([]byte("=== hil package ./a\n--- PASS: TestA (0.1s)\n    --- PASS: TestA/sub (0s)\n--- FA"))
	ty.Write([]byte("IL: TestB (0.2s)\nhil-result: ./a rc=1 1500ms\n=== hil package ./b\n--- SKIP: TestC (0s)\nhil-result: ./b rc=0 20ms\n"))
	ty.Flush()
	if !strings.Contains(out.String(), "--- FAIL: TestB") {
		t.Fatalf("output not passed through: %q", out.String())
	}
	code, err := ty.report(&rep, []string{"./a", "./b", "./c"}, 0, nil, 0)
	if err != nil || code != 1 {
		t.Fatalf("report = %d, %v; want 1, nil", code, err)
	}
	for _, want := range []string{
		"hil: FAIL ./a (exit status 1)", "hil: ok   ./b (0.0s)", "hil: FAIL ./c (no result",
		"hil: failed test ./a TestB", "hil: 1 passed, 1 failed, 1 skipped",
	} {
		if !strings.Contains(rep.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, rep.String())
		}
	}
}

func TestQemuArgsRejectUnsafePaths(t *testing.T) {
	_, err := qemuArgs(BootConfig{RunDir: "/tmp/a b", Cwd: "/x", BinDir: "/y", Kernel: Kernel{Dir: "/k"}})
	if err == nil || !strings.Contains(err.Error(), `"/tmp/a b"`) {
		t.Fatalf("err = %v, want one naming the path", err)
	}
	args, err := qemuArgs(BootConfig{RunDir: "/r", Cwd: "/c", BinDir: "/b", Kernel: Kernel{Dir: "/k", Release: "6.1.0-1-amd64"}, Console: "/r/console.log"})
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(args, " ")
	for _, want := range []string{"-accel tcg", "-smp 1", "kvaser_pci,canbus=canbus0", "readonly=on,multidevs=remap", "fg.run=/r", "/k/boot/vmlinuz-6.1.0-1-amd64"} {
		if !strings.Contains(joined, want) {
			t.Errorf("qemu args lack %q: %s", want, joined)
		}
	}
}

func TestBinName(t *testing.T) {
	for in, want := range map[string]string{"./can": "can.test", "./can/cli": "can_cli.test", ".": "root.test"} {
		if got := binName(in); got != want {
			t.Errorf("binName(%q) = %q, want %q", in, got, want)
		}
	}
}
