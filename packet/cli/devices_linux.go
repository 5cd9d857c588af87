//go:build linux

package cli

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Interface flags as libpcap reports them (pcap_if_t.flags).
const (
	ifLoopback    = 0x01
	ifUp          = 0x02
	ifRunning     = 0x04
	ifWireless    = 0x08
	ifStatusMask  = 0x30
	ifUnknown     = 0x00
	ifConnected   = 0x10
	ifDisconnect  = 0x20
	ifNotApplicbl = 0x30
)

// device is one line of -D.
type device struct {
	name, desc string
	flags      uint32
	index      int
}

// merit orders devices as libpcap 1.10 does (lower first): running, up,
// connected, non-loopback interfaces first, then by the instance number
// at the end of the name; "any" after every other non-loopback interface.
func (d *device) merit() uint32 {
	var n uint32
	if d.name == "any" {
		n = 0x1fffffff
	} else {
		i := len(d.name)
		for i > 0 && d.name[i-1] >= '0' && d.name[i-1] <= '9' {
			i--
		}
		if i < len(d.name) {
			v, _ := strconv.ParseUint(d.name[i:], 10, 28)
			n = uint32(v) + 1
		}
	}
	if d.flags&ifRunning == 0 {
		n |= 0x80000000
	}
	if d.flags&ifUp == 0 {
		n |= 0x40000000
	}
	if d.flags&ifLoopback != 0 {
		n |= 0x20000000
	}
	if d.flags&ifWireless == 0 && d.flags&ifStatusMask == ifDisconnect {
		n |= 0x10000000
	}
	return n
}

// listDevices prints the interfaces a capture can open, in tcpdump -D's
// format and order. libpcap's other capture sources (bluetooth-monitor,
// nflog, nfqueue, dbus, usbmon) are not packet sockets and not listed.
func listDevices(w io.Writer) error {
	devs, err := devices()
	if err != nil {
		return err
	}
	for i, d := range devs {
		fmt.Fprintf(w, "%d.%s", i+1, d.name)
		if d.desc != "" {
			fmt.Fprintf(w, " (%s)", d.desc)
		}
		if d.flags != 0 {
			var parts []string
			for _, f := range []struct {
				bit  uint32
				name string
			}{{ifUp, "Up"}, {ifRunning, "Running"}, {ifLoopback, "Loopback"}, {ifWireless, "Wireless"}} {
				if d.flags&f.bit != 0 {
					parts = append(parts, f.name)
				}
			}
			s := strings.Join(parts, ", ")
			if s == "" {
				s = "none"
			}
			status := d.flags & ifStatusMask
			if d.flags&ifWireless != 0 {
				switch status {
				case ifUnknown:
					s += ", Association status unknown"
				case ifConnected:
					s += ", Associated"
				case ifDisconnect:
					s += ", Not associated"
				}
			} else {
				switch status {
				case ifUnknown:
					s += ", Connection status unknown"
				case ifConnected:
					s += ", Connected"
				case ifDisconnect:
					s += ", Disconnected"
				}
			}
			fmt.Fprintf(w, " [%s]", s)
		}
		fmt.Fprintln(w)
	}
	return nil
}

// defaultDevice is the interface tcpdump captures on without -i: the first
// of the -D list that is up and not a loopback.
func defaultDevice() (string, error) {
	devs, err := devices()
	if err != nil {
		return "", err
	}
	for _, d := range devs {
		if d.name != "any" && d.flags&ifUp != 0 && d.flags&ifLoopback == 0 {
			return d.name, nil
		}
	}
	return "", errors.New("no interface is up (use -i)")
}

func devices() ([]device, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("listing interfaces: %w", err)
	}
	var devs []device
	for _, ifi := range ifs {
		d := device{name: ifi.Name, index: ifi.Index}
		if ifi.Flags&net.FlagUp != 0 {
			d.flags |= ifUp
		}
		if ifi.Flags&net.FlagRunning != 0 {
			d.flags |= ifRunning
		}
		if ifi.Flags&net.FlagLoopback != 0 {
			d.flags |= ifLoopback
		}
		d.flags |= linkStatus(ifi.Name, d.flags)
		devs = append(devs, d)
	}
	devs = append(devs, device{name: "any", desc: "Pseudo-device that captures on all interfaces", flags: ifUp | ifRunning | ifNotApplicbl})
	sort.SliceStable(devs, func(i, j int) bool { return devs[i].merit() < devs[j].merit() })
	return devs, nil
}

// linkStatus is libpcap's get_if_flags: wireless, and the connection
// status from ETHTOOL_GLINK (not applicable to loopbacks and to drivers
// without ethtool, such as vcan).
func linkStatus(name string, flags uint32) uint32 {
	if flags&ifLoopback != 0 {
		return ifNotApplicbl
	}
	var f uint32
	if _, err := os.Stat("/sys/class/net/" + name + "/wireless"); err == nil {
		f |= ifWireless
	} else if _, err := os.Stat("/sys/class/net/" + name + "/phy80211"); err == nil {
		f |= ifWireless
	}
	if b, err := os.ReadFile("/sys/class/net/" + name + "/type"); err == nil {
		switch t, _ := strconv.Atoi(strings.TrimSpace(string(b))); t {
		case unix.ARPHRD_LOOPBACK:
			return f | ifNotApplicbl
		case unix.ARPHRD_IRDA, unix.ARPHRD_IEEE80211, unix.ARPHRD_IEEE80211_PRISM, unix.ARPHRD_IEEE80211_RADIOTAP,
			unix.ARPHRD_IEEE802154, unix.ARPHRD_IEEE802154_MONITOR, unix.ARPHRD_6LOWPAN:
			f |= ifWireless
		}
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return f
	}
	defer unix.Close(fd)
	// struct ifreq { char ifr_name[16]; void *ifr_data; ... } and
	// struct ethtool_value { __u32 cmd; __u32 data; }
	type ifreqData struct {
		name [unix.IFNAMSIZ]byte
		data uintptr
		_    [16]byte
	}
	if len(name) >= unix.IFNAMSIZ {
		return f
	}
	val := &[2]uint32{unix.ETHTOOL_GLINK, 0}
	ifr := &ifreqData{data: uintptr(unsafe.Pointer(val))}
	copy(ifr.name[:], name)
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(ifr)))
	runtime.KeepAlive(val)
	runtime.KeepAlive(ifr)
	if errno != 0 {
		if errno == unix.EOPNOTSUPP || errno == unix.EINVAL {
			return f | ifNotApplicbl
		}
		return f
	}
	if val[1] != 0 {
		return f | ifConnected
	}
	return f | ifDisconnect
}
