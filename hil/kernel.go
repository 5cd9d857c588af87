package hil

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Kernel is an unpacked Debian kernel package ready to boot.
type Kernel struct {
	Package string // linux-image-6.1.0-NN-amd64
	Release string // 6.1.0-NN-amd64 (uname -r)
	Dir     string // holds boot/ and lib/modules/RELEASE/
}

// Vmlinuz is the kernel image to boot.
func (k Kernel) Vmlinuz() string { return filepath.Join(k.Dir, "boot", "vmlinuz-"+k.Release) }

// ModulesDir is lib/modules/RELEASE inside the unpacked package.
func (k Kernel) ModulesDir() string { return filepath.Join(k.Dir, "lib", "modules", k.Release) }

// metaPackage is the Debian package whose dependency names the current
// kernel. Debian drops superseded kernel packages after point releases, so
// the version is resolved at provisioning time and then cached.
const metaPackage = "linux-image-amd64"

// cachedKernel returns the kernel recorded by an earlier provisioning run.
func cachedKernel(p Paths) (Kernel, bool) {
	b, err := os.ReadFile(filepath.Join(p.KernelDir(), "PACKAGE"))
	if err != nil {
		return Kernel{}, false
	}
	pkg := strings.TrimSpace(string(b))
	k := Kernel{Package: pkg, Release: strings.TrimPrefix(pkg, "linux-image-"), Dir: p.KernelDir()}
	for _, f := range []string{k.Vmlinuz(), filepath.Join(k.ModulesDir(), "modules.dep")} {
		if _, err := os.Stat(f); err != nil {
			return Kernel{}, false
		}
	}
	return k, true
}

// resolveKernelPackage asks apt which kernel package linux-image-amd64
// depends on today.
func resolveKernelPackage(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "apt-cache", "depends", metaPackage).Output()
	if err != nil {
		return "", fmt.Errorf("hil: apt-cache depends %s: %w", metaPackage, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if name, ok := strings.CutPrefix(line, "Depends: "); ok && strings.HasPrefix(name, "linux-image-") {
			return name, nil
		}
	}
	return "", fmt.Errorf("hil: %s has no linux-image-* dependency in apt's lists (run apt-get update?)", metaPackage)
}

// packageSize is the .deb size apt reports, for progress display; 0 if unknown.
func packageSize(ctx context.Context, pkg string) int64 {
	out, _ := exec.CommandContext(ctx, "apt-cache", "show", "--no-all-versions", pkg).Output()
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Size: "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// fetchKernel downloads pkg with apt-get download, unpacks it with dpkg -x
// and builds modules.dep with depmod, reporting progress on w.
func fetchKernel(ctx context.Context, p Paths, pkg string, w io.Writer) (Kernel, error) {
	dl := filepath.Join(p.Cache, "dl")
	os.RemoveAll(dl)
	if err := os.MkdirAll(dl, 0o755); err != nil {
		return Kernel{}, err
	}
	size := packageSize(ctx, pkg)
	if size == 0 {
		size = -1
	}
	fmt.Fprintf(w, "hil: downloading %s (%s)\n", pkg, mb(size))
	done := make(chan struct{})
	go progress(w, pkg, dl, size, done)
	cmd := exec.CommandContext(ctx, "apt-get", "-q", "download", pkg)
	cmd.Dir = dl
	out, err := cmd.CombinedOutput()
	close(done)
	if err != nil {
		return Kernel{}, fmt.Errorf("hil: apt-get download %s: %w\n%s", pkg, err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(dl, pkg+"_*.deb"))
	if len(debs) != 1 {
		return Kernel{}, fmt.Errorf("hil: apt-get download %s left %d .deb files in %s", pkg, len(debs), dl)
	}
	tmp := p.KernelDir() + ".tmp"
	os.RemoveAll(tmp)
	fmt.Fprintf(w, "hil: unpacking %s\n", filepath.Base(debs[0]))
	if out, err := exec.CommandContext(ctx, "dpkg", "-x", debs[0], tmp).CombinedOutput(); err != nil {
		return Kernel{}, fmt.Errorf("hil: dpkg -x %s: %w\n%s", debs[0], err, out)
	}
	k := Kernel{Package: pkg, Release: strings.TrimPrefix(pkg, "linux-image-"), Dir: tmp}
	fmt.Fprintf(w, "hil: depmod %s\n", k.Release)
	if out, err := exec.CommandContext(ctx, "depmod", "-b", tmp, k.Release).CombinedOutput(); err != nil {
		return Kernel{}, fmt.Errorf("hil: depmod -b %s %s: %w\n%s", tmp, k.Release, err, out)
	}
	if err := os.WriteFile(filepath.Join(tmp, "PACKAGE"), []byte(pkg+"\n"), 0o644); err != nil {
		return Kernel{}, err
	}
	os.RemoveAll(p.KernelDir())
	if err := os.Rename(tmp, p.KernelDir()); err != nil {
		return Kernel{}, err
	}
	os.RemoveAll(dl)
	k.Dir = p.KernelDir()
	return k, nil
}

// progress prints how far a download in dir has come until done closes.
func progress(w io.Writer, what, dir string, total int64, done <-chan struct{}) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		var n int64
		filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
			if err == nil && fi.Mode().IsRegular() {
				n += fi.Size()
			}
			return nil
		})
		if total > 0 {
			fmt.Fprintf(w, "hil: downloading %s: %s of %s (%d%%)\n", what, mb(n), mb(total), n*100/total)
		} else {
			fmt.Fprintf(w, "hil: downloading %s: %s\n", what, mb(n))
		}
	}
}

func mb(n int64) string {
	if n < 0 {
		return "size unknown"
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}
