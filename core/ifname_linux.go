package core

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// ifreqIndex is struct ifreq with the ifr_ifindex member of its union.
type ifreqIndex struct {
	name  [unix.IFNAMSIZ]byte
	index int32
	_     [20]byte // rest of the 24-byte union
}

// ifreqIoctl runs one SIOCGIF* ioctl on a throwaway datagram socket, as
// if_nametoindex(3) does.
func ifreqIoctl(req uint, ifr *ifreqIndex) error {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
	}
	defer unix.Close(fd)
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(unsafe.Pointer(ifr)))
	if e != 0 {
		return e
	}
	return nil
}

func ifNameToIndex(name string) (int, error) {
	var ifr ifreqIndex
	copy(ifr.name[:], name)
	if err := ifreqIoctl(unix.SIOCGIFINDEX, &ifr); err != nil {
		return 0, &IfError{Op: "if_nametoindex", Name: name, Err: err}
	}
	return int(ifr.index), nil
}

func ifIndexToName(i int) (string, error) {
	var ifr ifreqIndex
	ifr.index = int32(uint32(i))
	if err := ifreqIoctl(unix.SIOCGIFNAME, &ifr); err != nil {
		if err == unix.ENODEV {
			err = unix.ENXIO // if_indextoname(3) reports ENXIO
		}
		return "", &IfError{Op: "if_indextoname", Index: i, Err: err}
	}
	n, _ := cString(ifr.name[:])
	return n, nil
}
