//go:build !linux

package doctor

import "runtime"

func kernelRelease() string { return runtime.GOOS }
