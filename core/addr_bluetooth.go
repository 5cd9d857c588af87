package core

import (
	"strconv"
	"syscall"
)

// BDAddr is a Bluetooth device address in display order: BDAddr{0x01, 0x23,
// 0x45, 0x67, 0x89, 0xAB} is "01:23:45:67:89:AB". On the wire (bdaddr_t)
// the bytes are reversed (little endian); the codec does that.
type BDAddr [6]byte

// BDAddrAny is BDADDR_ANY, "00:00:00:00:00:00": any local adapter.
var BDAddrAny = BDAddr{}

// BDAddrLocal is BDADDR_LOCAL, "00:00:00:FF:FF:FF".
var BDAddrLocal = BDAddr{0, 0, 0, 0xff, 0xff, 0xff}

// ParseBDAddr parses "XX:XX:XX:XX:XX:XX" (hex digits in either case, one or
// two per group, as CPython's setbdaddr accepts).
func ParseBDAddr(s string) (BDAddr, error) {
	var a BDAddr
	bad := func() (BDAddr, error) {
		return BDAddr{}, marshalErr(AF_BLUETOOTH, "BDAddr", "bad bluetooth address "+strconv.Quote(truncate(s))+" (want XX:XX:XX:XX:XX:XX)", syscall.EINVAL)
	}
	i := 0
	for g := 0; g < 6; g++ {
		if g > 0 {
			if i >= len(s) || s[i] != ':' {
				return bad()
			}
			i++
		}
		n, v := 0, 0
		for i < len(s) && n < 3 {
			d := unhex(s[i])
			if d < 0 {
				break
			}
			v = v<<4 | d
			i++
			n++
		}
		if n == 0 || n > 2 {
			return bad()
		}
		a[g] = byte(v)
	}
	if i != len(s) {
		return bad()
	}
	return a, nil
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// String returns the address as "XX:XX:XX:XX:XX:XX" in upper case, as
// CPython's makebdaddr does.
func (b BDAddr) String() string {
	const digits = "0123456789ABCDEF"
	var s [17]byte
	for i, c := range b {
		if i > 0 {
			s[i*3-1] = ':'
		}
		s[i*3] = digits[c>>4]
		s[i*3+1] = digits[c&15]
	}
	return string(s[:])
}

// putBDAddr writes b as a little-endian bdaddr_t.
func putBDAddr(dst []byte, b BDAddr) {
	for i := range 6 {
		dst[i] = b[5-i]
	}
}

func getBDAddr(src []byte) (b BDAddr) {
	for i := range 6 {
		b[i] = src[5-i]
	}
	return b
}

// HCIAddr is an AF_BLUETOOTH/BTPROTO_HCI socket address: Python's
// (device_id,) tuple. Device is the controller index (hci0 = 0, or
// HCI_DEV_NONE), Channel the HCI channel (HCI_CHANNEL_RAW = 0, _USER,
// _MONITOR, _CONTROL, _LOGGING). struct sockaddr_hci: 6 bytes.
type HCIAddr struct {
	Device  uint16
	Channel uint16
}

// L2CAPAddr is an AF_BLUETOOTH/BTPROTO_L2CAP socket address: Python's
// (bdaddr, psm[, cid[, bdaddr_type]]) tuple. PSM and CID are little endian
// on the wire; AddrType is BDADDR_BREDR, BDADDR_LE_PUBLIC or
// BDADDR_LE_RANDOM. struct sockaddr_l2: 14 bytes.
type L2CAPAddr struct {
	BDAddr   BDAddr
	PSM      uint16
	CID      uint16
	AddrType uint8
}

// RFCOMMAddr is an AF_BLUETOOTH/BTPROTO_RFCOMM socket address: Python's
// (bdaddr, channel) tuple. struct sockaddr_rc: 10 bytes.
type RFCOMMAddr struct {
	BDAddr  BDAddr
	Channel uint8
}

// SCOAddr is an AF_BLUETOOTH/BTPROTO_SCO socket address: Python's bdaddr.
// struct sockaddr_sco: 8 bytes.
type SCOAddr struct {
	BDAddr BDAddr
}

var (
	_ Addr = HCIAddr{}
	_ Addr = (*HCIAddr)(nil)
	_ Addr = L2CAPAddr{}
	_ Addr = (*L2CAPAddr)(nil)
	_ Addr = RFCOMMAddr{}
	_ Addr = (*RFCOMMAddr)(nil)
	_ Addr = SCOAddr{}
	_ Addr = (*SCOAddr)(nil)
)

// Family returns AF_BLUETOOTH.
func (HCIAddr) Family() int { return AF_BLUETOOTH }

// Family returns AF_BLUETOOTH.
func (L2CAPAddr) Family() int { return AF_BLUETOOTH }

// Family returns AF_BLUETOOTH.
func (RFCOMMAddr) Family() int { return AF_BLUETOOTH }

// Family returns AF_BLUETOOTH.
func (SCOAddr) Family() int { return AF_BLUETOOTH }

// String returns "hciN", with " channel=N" for a channel other than raw.
func (a HCIAddr) String() string {
	s := "hci" + strconv.Itoa(int(a.Device))
	if a.Device == HCI_DEV_NONE {
		s = "hci-none"
	}
	if a.Channel != 0 {
		s += " channel=" + strconv.Itoa(int(a.Channel))
	}
	return s
}

// String returns "bdaddr psm=N", with cid and type when set.
func (a L2CAPAddr) String() string {
	s := a.BDAddr.String() + " psm=0x" + strconv.FormatUint(uint64(a.PSM), 16)
	if a.CID != 0 {
		s += " cid=" + strconv.Itoa(int(a.CID))
	}
	if a.AddrType != 0 {
		s += " type=" + strconv.Itoa(int(a.AddrType))
	}
	return s
}

// String returns "bdaddr channel=N".
func (a RFCOMMAddr) String() string {
	return a.BDAddr.String() + " channel=" + strconv.Itoa(int(a.Channel))
}

// String returns the Bluetooth address.
func (a SCOAddr) String() string { return a.BDAddr.String() }

func (a *HCIAddr) appendTo(dst []byte) ([]byte, error) {
	dst, b := grow(dst, SizeofSockaddrHCI)
	putFamily(b, AF_BLUETOOTH)
	ne.PutUint16(b[2:], a.Device)
	ne.PutUint16(b[4:], a.Channel)
	return dst, nil
}

func (a *HCIAddr) decode(raw []byte) error {
	if err := checkFamily(raw, AF_BLUETOOTH, "sockaddr_hci", SizeofSockaddrHCI); err != nil {
		return err
	}
	a.Device = ne.Uint16(raw[2:])
	a.Channel = ne.Uint16(raw[4:])
	return nil
}

func (a *L2CAPAddr) appendTo(dst []byte) ([]byte, error) {
	dst, b := grow(dst, SizeofSockaddrL2)
	putFamily(b, AF_BLUETOOTH)
	le.PutUint16(b[2:], a.PSM)
	putBDAddr(b[4:], a.BDAddr)
	le.PutUint16(b[10:], a.CID)
	b[12] = a.AddrType
	return dst, nil
}

func (a *L2CAPAddr) decode(raw []byte) error {
	if err := checkFamily(raw, AF_BLUETOOTH, "sockaddr_l2", 10); err != nil {
		return err
	}
	a.PSM = le.Uint16(raw[2:])
	a.BDAddr = getBDAddr(raw[4:])
	a.CID, a.AddrType = 0, 0
	if len(raw) >= 12 {
		a.CID = le.Uint16(raw[10:])
	}
	if len(raw) >= 13 {
		a.AddrType = raw[12]
	}
	return nil
}

func (a *RFCOMMAddr) appendTo(dst []byte) ([]byte, error) {
	dst, b := grow(dst, SizeofSockaddrRC)
	putFamily(b, AF_BLUETOOTH)
	putBDAddr(b[2:], a.BDAddr)
	b[8] = a.Channel
	return dst, nil
}

func (a *RFCOMMAddr) decode(raw []byte) error {
	if err := checkFamily(raw, AF_BLUETOOTH, "sockaddr_rc", 9); err != nil {
		return err
	}
	a.BDAddr = getBDAddr(raw[2:])
	a.Channel = raw[8]
	return nil
}

func (a *SCOAddr) appendTo(dst []byte) ([]byte, error) {
	dst, b := grow(dst, SizeofSockaddrSCO)
	putFamily(b, AF_BLUETOOTH)
	putBDAddr(b[2:], a.BDAddr)
	return dst, nil
}

func (a *SCOAddr) decode(raw []byte) error {
	if err := checkFamily(raw, AF_BLUETOOTH, "sockaddr_sco", SizeofSockaddrSCO); err != nil {
		return err
	}
	a.BDAddr = getBDAddr(raw[2:])
	return nil
}
