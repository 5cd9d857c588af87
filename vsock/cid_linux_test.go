//go:build linux

package vsock

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

func TestLocalCIDAbsentDevice(t *testing.T) {
	_, err := localCID("/nonexistent/vsock")
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "/nonexistent/vsock is absent") {
		t.Fatalf("localCID on a missing device: %v", err)
	}
	// Not a vsock device: the ioctl fails and the error names it.
	_, err = localCID("/dev/null")
	if err == nil || !strings.Contains(err.Error(), "IOCTL_VM_SOCKETS_GET_LOCAL_CID") {
		t.Fatalf("localCID on /dev/null: %v", err)
	}
}
