//go:build linux

package vsock

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

const devVsock = "/dev/vsock"

// LocalCID returns this machine's context ID (IOCTL_VM_SOCKETS_GET_LOCAL_CID
// on /dev/vsock): a guest's own CID, CIDHost on a host with vhost_vsock,
// CIDLocal with only vsock_loopback. Without /dev/vsock the error says so
// and matches fs.ErrNotExist.
func LocalCID() (uint32, error) { return localCID(devVsock) }

func localCID(dev string) (uint32, error) {
	f, err := os.Open(dev)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, fmt.Errorf("vsock: local CID: %s is absent (no vsock transport loaded: vsock_loopback, vmw_vsock_virtio_transport or vhost_vsock): %w", dev, err)
		}
		return 0, fmt.Errorf("vsock: local CID: %w", err)
	}
	defer f.Close()
	cid, err := unix.IoctlGetUint32(int(f.Fd()), unix.IOCTL_VM_SOCKETS_GET_LOCAL_CID)
	if err != nil {
		return 0, fmt.Errorf("vsock: local CID: ioctl IOCTL_VM_SOCKETS_GET_LOCAL_CID on %s: %w", dev, err)
	}
	return cid, nil
}
