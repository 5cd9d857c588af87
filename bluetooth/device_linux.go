//go:build linux

package bluetooth

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"github.com/fieldgate/fieldgate/core"
	"golang.org/x/sys/unix"
)

// HCI device ioctls (include/net/bluetooth/hci_sock.h): _IOW/_IOR('H', n, int).
const (
	ioctlDevUp      = 0x400448c9 // HCIDEVUP
	ioctlDevDown    = 0x400448ca // HCIDEVDOWN
	ioctlGetDevList = 0x800448d2 // HCIGETDEVLIST
	ioctlGetDevInfo = 0x800448d3 // HCIGETDEVINFO
	ioctlSetScan    = 0x400448dd // HCISETSCAN
)

// maxDevices is how many controllers Devices asks for (BlueZ's HCI_MAX_DEV
// is 16; the kernel accepts up to two pages' worth).
const maxDevices = 64

// withCtl runs f on an unbound raw HCI socket, the one device ioctls go to.
func withCtl(op string, f func(s *core.Socket) error) error {
	s, err := newSocket(unix.SOCK_RAW, unix.BTPROTO_HCI)
	if err != nil {
		return fmt.Errorf("bluetooth: %s: %w", op, err)
	}
	defer s.Close()
	return f(s)
}

// Devices lists the kernel's controllers (HCIGETDEVLIST, then
// HCIGETDEVINFO for each), in the kernel's order.
func Devices() ([]DeviceInfo, error) {
	var out []DeviceInfo
	err := withCtl("devices", func(s *core.Socket) error {
		b := make([]byte, 4+8*maxDevices)
		binary.NativeEndian.PutUint16(b, maxDevices)
		if err := ioctl(s, ioctlGetDevList, unsafe.Pointer(&b[0]), 0); err != nil {
			return fmt.Errorf("bluetooth: devices: HCIGETDEVLIST: %w", err)
		}
		ids, err := parseDevList(b)
		if err != nil {
			return fmt.Errorf("bluetooth: devices: %w", err)
		}
		for _, id := range ids {
			d, err := devInfo(s, id)
			if errors.Is(err, unix.ENODEV) {
				continue // unregistered since the list was taken
			}
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// Device returns what the kernel reports about controller id
// (HCIGETDEVINFO). A missing controller gives an error satisfying
// errors.Is(err, unix.ENODEV).
func Device(id int) (DeviceInfo, error) {
	if id < 0 || id >= DevNone {
		return DeviceInfo{}, fmt.Errorf("bluetooth: hci%d: device index out of range", id)
	}
	var d DeviceInfo
	err := withCtl("device", func(s *core.Socket) (err error) {
		d, err = devInfo(s, uint16(id))
		return err
	})
	return d, err
}

func devInfo(s *core.Socket, id uint16) (DeviceInfo, error) {
	b := make([]byte, sizeofDevInfo+4)
	binary.NativeEndian.PutUint16(b, id)
	if err := ioctl(s, ioctlGetDevInfo, unsafe.Pointer(&b[0]), 0); err != nil {
		return DeviceInfo{}, fmt.Errorf("bluetooth: hci%d: HCIGETDEVINFO: %w", id, err)
	}
	d, err := parseDevInfo(b)
	if err != nil {
		return DeviceInfo{}, fmt.Errorf("bluetooth: hci%d: %w", id, err)
	}
	return d, nil
}

// DeviceUp powers controller id up (HCIDEVUP, hciconfig's "up"); the
// kernel runs its initialisation sequence first. A controller already up
// is not an error (as for hciconfig). Needs CAP_NET_ADMIN.
func DeviceUp(id int) error {
	err := devCtl("up", ioctlDevUp, id)
	if errors.Is(err, unix.EALREADY) {
		return nil
	}
	return err
}

// DeviceDown powers controller id down (HCIDEVDOWN), closing its
// connections. Needs CAP_NET_ADMIN.
func DeviceDown(id int) error { return devCtl("down", ioctlDevDown, id) }

func devCtl(op string, req uintptr, id int) error {
	if id < 0 || id >= DevNone {
		return fmt.Errorf("bluetooth: %s hci%d: device index out of range", op, id)
	}
	return withCtl(op, func(s *core.Socket) error {
		if err := ioctl(s, req, nil, uintptr(id)); err != nil {
			return fmt.Errorf("bluetooth: %s hci%d: %w", op, id, err)
		}
		return nil
	})
}

// SetScan sets controller id's page and inquiry scan (HCISETSCAN,
// hciconfig's "piscan"/"pscan"/"noscan"): ScanPage makes it connectable,
// ScanInquiry discoverable. The controller must be up.
func SetScan(id int, scan Scan) error {
	if id < 0 || id >= DevNone {
		return fmt.Errorf("bluetooth: set scan hci%d: device index out of range", id)
	}
	if scan&^(ScanPage|ScanInquiry) != 0 {
		return fmt.Errorf("bluetooth: set scan hci%d: scan 0x%x: want ScanPage and/or ScanInquiry", id, uint32(scan))
	}
	return withCtl("set scan", func(s *core.Socket) error {
		b := make([]byte, 8) // struct hci_dev_req {u16 dev_id; u32 dev_opt}
		binary.NativeEndian.PutUint16(b, uint16(id))
		binary.NativeEndian.PutUint32(b[4:], uint32(scan))
		if err := ioctl(s, ioctlSetScan, unsafe.Pointer(&b[0]), 0); err != nil {
			return fmt.Errorf("bluetooth: set scan hci%d: %w", id, err)
		}
		return nil
	})
}
