package hil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Paths are the folders the rig works in. Everything it downloads or builds
// lives under Cache, which is git-ignored, so a second run downloads nothing.
type Paths struct {
	Root  string // the checkout (directory holding go.mod)
	Cache string // Root/.cache/hil
}

// FindPaths locates the checkout from dir (or the working directory when dir
// is empty) by walking up to the directory holding go.mod.
func FindPaths(dir string) (Paths, error) {
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return Paths{}, err
		}
		dir = wd
	}
	d, err := filepath.Abs(dir)
	if err != nil {
		return Paths{}, err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			cache := filepath.Join(d, ".cache")
			// A worktree's .cache may be a symlink to a shared cache. The
			// guest sees the host root under /host, where an absolute
			// symlink would point outside it: use the resolved path.
			if r, err := filepath.EvalSymlinks(cache); err == nil {
				cache = r
			}
			return Paths{Root: d, Cache: filepath.Join(cache, "hil")}, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return Paths{}, errors.New("hil: no go.mod found above " + dir)
		}
		d = parent
	}
}

// KernelDir is where the Debian kernel package is unpacked.
func (p Paths) KernelDir() string { return filepath.Join(p.Cache, "kernel") }

// RunsDir holds one exchange folder per guest boot.
func (p Paths) RunsDir() string { return filepath.Join(p.Cache, "runs") }

func (p Paths) lockFile() string { return filepath.Join(p.Cache, "provision.lock") }

func (p Paths) mkdirs() error {
	for _, d := range []string{p.Cache, p.RunsDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("hil: %w", err)
		}
	}
	return nil
}
