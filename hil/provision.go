package hil

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

// Provision makes the machine ready to boot the rig: it installs the host
// packages that are missing (apt-get update once first), and downloads,
// unpacks and depmods the pinned Debian kernel unless the cache has it.
// Concurrent callers wait for each other through a lock file. Progress goes
// to w.
func Provision(ctx context.Context, p Paths, w io.Writer) (Kernel, error) {
	if err := p.mkdirs(); err != nil {
		return Kernel{}, err
	}
	lock, err := os.OpenFile(p.lockFile(), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return Kernel{}, fmt.Errorf("hil: %w", err)
	}
	defer lock.Close()
	if err := lockFile(lock); err != nil {
		return Kernel{}, fmt.Errorf("hil: lock %s: %w", p.lockFile(), err)
	}
	defer unlockFile(lock)

	start := time.Now()
	missing, err := missingPackages(ctx, HostPackages)
	if err != nil {
		return Kernel{}, err
	}
	k, cached := cachedKernel(p)
	if len(missing) == 0 && cached {
		return k, nil
	}
	if os.Geteuid() != 0 {
		return Kernel{}, fmt.Errorf("hil: provisioning needs root (apt-get); missing packages %v, kernel cached: %v", missing, cached)
	}
	fmt.Fprintln(w, "hil: apt-get update")
	if err := apt(ctx, w, "update"); err != nil {
		return Kernel{}, err
	}
	if len(missing) > 0 {
		fmt.Fprintf(w, "hil: installing %v\n", missing)
		if err := apt(ctx, w, append([]string{"install", "--no-install-recommends"}, missing...)...); err != nil {
			return Kernel{}, err
		}
	}
	if !cached {
		pkg, err := resolveKernelPackage(ctx)
		if err != nil {
			return Kernel{}, err
		}
		if k, err = fetchKernel(ctx, p, pkg, w); err != nil {
			return Kernel{}, err
		}
	}
	fmt.Fprintf(w, "hil: provisioned %s in %.1fs\n", k.Package, time.Since(start).Seconds())
	return k, nil
}
