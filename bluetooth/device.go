package bluetooth

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/fieldgate/fieldgate/core"
)

// Bus is a controller's transport (HCI_VIRTUAL, HCI_USB, ...).
type Bus uint8

// Transports (include/net/bluetooth/hci.h).
const (
	BusVirtual Bus = 0
	BusUSB     Bus = 1
	BusPCCARD  Bus = 2
	BusUART    Bus = 3
	BusRS232   Bus = 4
	BusPCI     Bus = 5
	BusSDIO    Bus = 6
	BusSPI     Bus = 7
	BusI2C     Bus = 8
	BusSMD     Bus = 9
	BusVIRTIO  Bus = 10
)

var busNames = [...]string{"Virtual", "USB", "PCCARD", "UART", "RS232", "PCI", "SDIO", "SPI", "I2C", "SMD", "VIRTIO"}

// String returns the transport's name as hciconfig prints it.
func (b Bus) String() string {
	if int(b) < len(busNames) {
		return busNames[b]
	}
	return "Bus(" + strconv.Itoa(int(b)) + ")"
}

// DeviceFlags are a controller's state bits (hci_dev_info.flags, HCI_UP
// and so on).
type DeviceFlags uint32

// Device flag bits.
const (
	FlagUp       DeviceFlags = 1 << 0 // HCI_UP
	FlagInit     DeviceFlags = 1 << 1 // HCI_INIT
	FlagRunning  DeviceFlags = 1 << 2 // HCI_RUNNING
	FlagPScan    DeviceFlags = 1 << 3 // HCI_PSCAN: page scan (connectable)
	FlagIScan    DeviceFlags = 1 << 4 // HCI_ISCAN: inquiry scan (discoverable)
	FlagAuth     DeviceFlags = 1 << 5 // HCI_AUTH
	FlagEncrypt  DeviceFlags = 1 << 6 // HCI_ENCRYPT
	FlagInquiry  DeviceFlags = 1 << 7 // HCI_INQUIRY
	FlagRaw      DeviceFlags = 1 << 8 // HCI_RAW
	FlagResetBit DeviceFlags = 1 << 9 // HCI_RESET
)

var flagNames = []string{"UP", "INIT", "RUNNING", "PSCAN", "ISCAN", "AUTH", "ENCRYPT", "INQUIRY", "RAW", "RESET"}

// Up reports whether the controller is up (HCI_UP).
func (f DeviceFlags) Up() bool { return f&FlagUp != 0 }

// String lists the set flags in hciconfig's words, "UP RUNNING PSCAN", or
// "DOWN" when the controller is not up.
func (f DeviceFlags) String() string {
	var w []string
	if !f.Up() {
		w = append(w, "DOWN")
	}
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			w = append(w, n)
		}
	}
	if rest := f &^ (1<<len(flagNames) - 1); rest != 0 {
		w = append(w, "0x"+strconv.FormatUint(uint64(rest), 16))
	}
	return strings.Join(w, " ")
}

// Scan is the page and inquiry scan setting of HCISETSCAN (SCAN_*).
type Scan uint32

// Scan settings.
const (
	ScanDisabled Scan = 0
	ScanInquiry  Scan = 1 // SCAN_INQUIRY: discoverable
	ScanPage     Scan = 2 // SCAN_PAGE: connectable
)

// DeviceStats are a controller's counters (struct hci_dev_stats).
type DeviceStats struct {
	ErrRx, ErrTx, CmdTx, EvtRx, ACLTx, ACLRx, SCOTx, SCORx, ByteRx, ByteTx uint32
}

// DeviceInfo is what the kernel reports about one controller
// (HCIGETDEVINFO, struct hci_dev_info).
type DeviceInfo struct {
	ID       uint16
	Name     string // "hciN"
	BDAddr   core.BDAddr
	Flags    DeviceFlags
	Bus      Bus
	Type     uint8 // 0 primary, 1 AMP
	Features [8]byte
	// PacketType, LinkPolicy and LinkMode are the kernel's bit sets
	// (HCIGETDEVINFO's pkt_type, link_policy, link_mode).
	PacketType, LinkPolicy, LinkMode uint32
	ACLMTU, ACLPackets               uint16
	SCOMTU, SCOPackets               uint16
	Stats                            DeviceStats
}

// sizeofDevInfo is sizeof(struct hci_dev_info) on Linux.
const sizeofDevInfo = 92

// parseDevInfo decodes struct hci_dev_info (host byte order, as the ioctl
// returns it).
func parseDevInfo(b []byte) (DeviceInfo, error) {
	if len(b) < sizeofDevInfo {
		return DeviceInfo{}, fmt.Errorf("%w: hci_dev_info of %d bytes, want %d", ErrShort, len(b), sizeofDevInfo)
	}
	ne := binary.NativeEndian
	d := DeviceInfo{
		ID:         ne.Uint16(b),
		Name:       cString(b[2:10]),
		Flags:      DeviceFlags(ne.Uint32(b[16:])),
		Bus:        Bus(b[20] & 0x0f),
		Type:       (b[20] >> 4) & 0x03,
		PacketType: ne.Uint32(b[32:]),
		LinkPolicy: ne.Uint32(b[36:]),
		LinkMode:   ne.Uint32(b[40:]),
		ACLMTU:     ne.Uint16(b[44:]),
		ACLPackets: ne.Uint16(b[46:]),
		SCOMTU:     ne.Uint16(b[48:]),
		SCOPackets: ne.Uint16(b[50:]),
	}
	d.BDAddr, _ = parseBDAddr(b[10:])
	copy(d.Features[:], b[21:29])
	s := b[52:]
	d.Stats = DeviceStats{
		ErrRx: ne.Uint32(s), ErrTx: ne.Uint32(s[4:]), CmdTx: ne.Uint32(s[8:]), EvtRx: ne.Uint32(s[12:]),
		ACLTx: ne.Uint32(s[16:]), ACLRx: ne.Uint32(s[20:]), SCOTx: ne.Uint32(s[24:]), SCORx: ne.Uint32(s[28:]),
		ByteRx: ne.Uint32(s[32:]), ByteTx: ne.Uint32(s[36:]),
	}
	return d, nil
}

// parseDevList decodes struct hci_dev_list_req as HCIGETDEVLIST returns
// it: u16 count, padding, then count struct hci_dev_req {u16 id; u32 opt}.
func parseDevList(b []byte) ([]uint16, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("%w: hci_dev_list_req of %d bytes", ErrShort, len(b))
	}
	ne := binary.NativeEndian
	n := int(ne.Uint16(b))
	if len(b) < 4+8*n {
		return nil, fmt.Errorf("%w: hci_dev_list_req of %d bytes for %d devices", ErrShort, len(b), n)
	}
	ids := make([]uint16, n)
	for i := range ids {
		ids[i] = ne.Uint16(b[4+8*i:])
	}
	return ids, nil
}
