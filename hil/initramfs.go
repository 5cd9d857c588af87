package hil

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// initramfsModules are the modules the guest needs before it can mount the
// host root; everything else is loaded from the host root by setup.sh.
var initramfsModules = []string{"virtio_pci", "virtio_rng", "9pnet_virtio", "9p"}

// BuildInitramfs builds the guest's initramfs into dir: our static init
// (hil/guestinit) and the virtio/9p modules with their dependencies, in
// load order. It returns the archive's path.
func BuildInitramfs(ctx context.Context, p Paths, k Kernel, dir string) (string, error) {
	initBin := filepath.Join(dir, "init")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", initBin, "./hil/guestinit")
	cmd.Dir = p.Root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("hil: build guest init: %w\n%s", err, out)
	}
	deps, err := readModulesDep(filepath.Join(k.ModulesDir(), "modules.dep"))
	if err != nil {
		return "", err
	}
	order, err := loadOrder(deps, initramfsModules)
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "initramfs.cpio")
	f, err := os.Create(out)
	if err != nil {
		return "", err
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	cw := newCpioWriter(bw)
	for _, d := range []string{"dev", "proc", "sys", "host", "modules"} {
		cw.dir(d)
	}
	if err := cw.fileFrom("init", initBin, 0o755); err != nil {
		return "", err
	}
	var names []string
	for _, rel := range order {
		name := filepath.Base(rel)
		names = append(names, name)
		if err := cw.fileFrom("modules/"+name, filepath.Join(k.ModulesDir(), rel), 0o644); err != nil {
			return "", err
		}
	}
	cw.file("modules/order", []byte(strings.Join(names, "\n")+"\n"), 0o644)
	if err := cw.close(); err != nil {
		return "", err
	}
	if err := bw.Flush(); err != nil {
		return "", err
	}
	return out, f.Close()
}

// readModulesDep parses depmod's modules.dep: "path.ko: dep1.ko dep2.ko".
// The result maps a module's name (dashes as underscores) to its path and
// its dependencies' paths.
func readModulesDep(path string) (map[string][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("hil: %w", err)
	}
	defer f.Close()
	deps := map[string][]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		mod, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			return nil, fmt.Errorf("hil: %s:%d: no colon", path, n)
		}
		deps[modName(mod)] = append([]string{mod}, strings.Fields(rest)...)
	}
	return deps, sc.Err()
}

func modName(path string) string {
	b := strings.TrimSuffix(filepath.Base(path), ".ko")
	return strings.ReplaceAll(b, "-", "_")
}

// loadOrder returns the module paths to load for want, dependencies first.
func loadOrder(deps map[string][]string, want []string) ([]string, error) {
	var order []string
	seen := map[string]bool{}
	var visit func(name string) error
	visit = func(name string) error {
		if seen[name] {
			return nil
		}
		seen[name] = true
		d, ok := deps[name]
		if !ok {
			return fmt.Errorf("hil: module %s not in modules.dep", name)
		}
		for _, dep := range d[1:] {
			if err := visit(modName(dep)); err != nil {
				return err
			}
		}
		order = append(order, d[0])
		return nil
	}
	for _, w := range want {
		if err := visit(w); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// cpioWriter writes the "newc" cpio format the kernel unpacks as initramfs.
type cpioWriter struct {
	w   io.Writer
	ino int
	err error
}

func newCpioWriter(w io.Writer) *cpioWriter { return &cpioWriter{w: w, ino: 1} }

func (c *cpioWriter) header(name string, mode uint32, size int) {
	if c.err != nil {
		return
	}
	c.ino++
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		c.ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, len(name)+1, 0)
	_, c.err = io.WriteString(c.w, hdr+name+"\x00")
	c.pad(len(hdr) + len(name) + 1)
}

func (c *cpioWriter) pad(n int) {
	if c.err == nil && n%4 != 0 {
		_, c.err = c.w.Write(make([]byte, 4-n%4))
	}
}

func (c *cpioWriter) dir(name string) { c.header(name, 0o040755, 0) }

func (c *cpioWriter) file(name string, data []byte, perm uint32) {
	c.header(name, 0o100000|perm, len(data))
	if c.err == nil {
		_, c.err = c.w.Write(data)
		c.pad(len(data))
	}
}

func (c *cpioWriter) fileFrom(name, path string, perm uint32) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("hil: %w", err)
	}
	c.file(name, b, perm)
	return c.err
}

func (c *cpioWriter) close() error {
	c.header("TRAILER!!!", 0, 0)
	return c.err
}
