package netlinkfam

import (
	"fmt"
)

// OperState is a link's RFC 2863 operational state (IFLA_OPERSTATE).
type OperState uint8

// Operational states (linux/if.h IF_OPER_*).
const (
	OperUnknown        OperState = 0
	OperNotPresent     OperState = 1
	OperDown           OperState = 2
	OperLowerLayerDown OperState = 3
	OperTesting        OperState = 4
	OperDormant        OperState = 5
	OperUp             OperState = 6
)

// String returns the state as `ip link` prints it, e.g. "UP" or "DOWN".
func (s OperState) String() string {
	switch s {
	case OperUnknown:
		return "UNKNOWN"
	case OperNotPresent:
		return "NOTPRESENT"
	case OperDown:
		return "DOWN"
	case OperLowerLayerDown:
		return "LOWERLAYERDOWN"
	case OperTesting:
		return "TESTING"
	case OperDormant:
		return "DORMANT"
	case OperUp:
		return "UP"
	}
	return fmt.Sprintf("OperState(%d)", uint8(s))
}

// LinkStats are the generic interface counters (the first fields of struct
// rtnl_link_stats64, IFLA_STATS64).
type LinkStats struct {
	RxPackets, TxPackets uint64
	RxBytes, TxBytes     uint64
	RxErrors, TxErrors   uint64
	RxDropped, TxDropped uint64
}

// Link is one network interface as rtnetlink reports it.
type Link struct {
	Index     int
	Name      string
	Kind      string // IFLA_INFO_KIND: "can", "vcan", "vxcan", "veth", ...; "" for links without one (lo, most physical NICs)
	Up        bool   // administratively up (IFF_UP)
	LowerUp   bool   // carrier present (IFF_LOWER_UP)
	Flags     uint32 // IFF_* flags
	Type      uint16 // ARPHRD_* hardware type (ARPHRD_CAN = 280)
	OperState OperState
	MTU       int        // 16 for classic CAN, 72 for CAN FD
	CAN       *CANInfo   // nil unless Kind is "can", "vcan" or "vxcan"
	Stats     *LinkStats // nil if the kernel did not report IFLA_STATS64
}

// IsCAN reports whether l is a CAN interface of any kind.
func (l *Link) IsCAN() bool { return l.Type == arphrdCAN }

// FD reports whether the link carries CAN FD frames (MTU 72).
func (l *Link) FD() bool { return l.IsCAN() && l.MTU == canFDMTU }

const (
	arphrdCAN = 280
	canFDMTU  = 72

	sizeofIfInfomsg = 16

	iffUp      = 0x1
	iffLowerUp = 0x10000

	iflaIfname    = 3
	iflaMTU       = 4
	iflaOperstate = 16
	iflaLinkinfo  = 18
	iflaNetNSPID  = 19
	iflaStats64   = 23
	iflaNetNSFD   = 28

	iflaInfoKind   = 1
	iflaInfoData   = 2
	iflaInfoXstats = 3

	vxcanInfoPeer = 1
	vethInfoPeer  = 1
)

// decodeLink decodes the payload of an RTM_NEWLINK/RTM_DELLINK message: a
// struct ifinfomsg followed by IFLA_* attributes.
func decodeLink(b []byte) (*Link, error) {
	if len(b) < sizeofIfInfomsg {
		return nil, fmt.Errorf("netlinkfam: decode link: %d bytes, shorter than struct ifinfomsg (16)", len(b))
	}
	l := &Link{
		Type:  ne.Uint16(b[2:]),
		Index: int(int32(ne.Uint32(b[4:]))),
		Flags: ne.Uint32(b[8:]),
	}
	l.Up = l.Flags&iffUp != 0
	l.LowerUp = l.Flags&iffLowerUp != 0
	as, err := parseAttrs(b[sizeofIfInfomsg:])
	if err != nil {
		return nil, fmt.Errorf("netlinkfam: decode link %d: %w", l.Index, err)
	}
	var infoData, xstats []byte
	for _, a := range as {
		switch a.typ {
		case iflaIfname:
			l.Name = cString(a.data)
		case iflaMTU:
			if len(a.data) != 4 {
				return nil, fmt.Errorf("netlinkfam: decode link %d: %w", l.Index, errAttrLen("IFLA_MTU", len(a.data), 4))
			}
			l.MTU = int(ne.Uint32(a.data))
		case iflaOperstate:
			if len(a.data) != 1 {
				return nil, fmt.Errorf("netlinkfam: decode link %d: %w", l.Index, errAttrLen("IFLA_OPERSTATE", len(a.data), 1))
			}
			l.OperState = OperState(a.data[0])
		case iflaStats64:
			if len(a.data) < 64 {
				return nil, fmt.Errorf("netlinkfam: decode link %d: IFLA_STATS64: %d bytes, want at least 64", l.Index, len(a.data))
			}
			d := a.data
			l.Stats = &LinkStats{
				RxPackets: ne.Uint64(d[0:]), TxPackets: ne.Uint64(d[8:]),
				RxBytes: ne.Uint64(d[16:]), TxBytes: ne.Uint64(d[24:]),
				RxErrors: ne.Uint64(d[32:]), TxErrors: ne.Uint64(d[40:]),
				RxDropped: ne.Uint64(d[48:]), TxDropped: ne.Uint64(d[56:]),
			}
		case iflaLinkinfo:
			ias, err := parseAttrs(a.data)
			if err != nil {
				return nil, fmt.Errorf("netlinkfam: decode link %d: IFLA_LINKINFO: %w", l.Index, err)
			}
			for _, ia := range ias {
				switch ia.typ {
				case iflaInfoKind:
					l.Kind = cString(ia.data)
				case iflaInfoData:
					infoData = ia.data
				case iflaInfoXstats:
					xstats = ia.data
				}
			}
		}
	}
	if l.IsCAN() || l.Kind == "can" || l.Kind == "vcan" || l.Kind == "vxcan" {
		ci := &CANInfo{}
		if l.Kind == "can" && infoData != nil {
			if ci, err = DecodeCANInfo(infoData); err != nil {
				return nil, fmt.Errorf("link %s: %w", l.Name, err)
			}
		}
		if l.Kind == "can" && xstats != nil {
			if ci.Stats, err = DecodeDeviceStats(xstats); err != nil {
				return nil, fmt.Errorf("link %s: %w", l.Name, err)
			}
		}
		l.CAN = ci
	}
	return l, nil
}

// appendIfInfomsg appends a struct ifinfomsg.
func appendIfInfomsg(b []byte, index int32, flags, change uint32) []byte {
	b = append(b, 0, 0)       // ifi_family AF_UNSPEC, pad
	b = ne.AppendUint16(b, 0) // ifi_type
	b = ne.AppendUint32(b, uint32(index))
	b = ne.AppendUint32(b, flags)
	b = ne.AppendUint32(b, change)
	return b
}

// PeerConfig names the far end of a vxcan or veth pair.
type PeerConfig struct {
	// Name of the peer; empty lets the kernel choose (vxcanN, vethN).
	Name string
	// NetNS, if non-zero, is a file descriptor of the network namespace the
	// peer is created in (e.g. from netns.Get or /run/netns/NAME).
	NetNS int
}

// encodeNewPair returns the RTM_NEWLINK payload that creates a kind ("vxcan"
// or "veth") pair named name, with peer as its far end. It is the layout
// iproute2 sends for `ip link add NAME type vxcan peer name PEER netns NS`:
// ifinfomsg, IFLA_IFNAME, IFLA_LINKINFO{IFLA_INFO_KIND, IFLA_INFO_DATA{
// VXCAN_INFO_PEER{ifinfomsg, IFLA_IFNAME, IFLA_NET_NS_FD}}}.
func encodeNewPair(kind, name string, peer *PeerConfig) ([]byte, error) {
	if err := validIfName("name", name); err != nil {
		return nil, err
	}
	if peer == nil {
		peer = &PeerConfig{}
	}
	if peer.Name != "" {
		if err := validIfName("peer name", peer.Name); err != nil {
			return nil, err
		}
	}
	if peer.NetNS < 0 {
		return nil, fmt.Errorf("netlinkfam: peer netns fd %d is negative", peer.NetNS)
	}
	b := appendIfInfomsg(nil, 0, 0, 0)
	b = appendStringAttr(b, iflaIfname, name)
	b, li := beginNest(b, iflaLinkinfo)
	b = appendStringAttr(b, iflaInfoKind, kind)
	b, id := beginNest(b, iflaInfoData)
	b, pi := beginNest(b, vxcanInfoPeer)
	b = appendIfInfomsg(b, 0, 0, 0)
	if peer.Name != "" {
		b = appendStringAttr(b, iflaIfname, peer.Name)
	}
	if peer.NetNS != 0 {
		b = appendU32Attr(b, iflaNetNSFD, uint32(peer.NetNS))
	}
	b = endNest(b, pi)
	b = endNest(b, id)
	b = endNest(b, li)
	return b, nil
}

// encodeSetCAN returns the RTM_NEWLINK payload that applies cfg to the CAN
// link with the given index, as `ip link set DEV type can ...` does.
func encodeSetCAN(index int, cfg *CANConfig) ([]byte, error) {
	data, err := EncodeCANConfig(cfg)
	if err != nil {
		return nil, err
	}
	b := appendIfInfomsg(nil, int32(index), 0, 0)
	b, li := beginNest(b, iflaLinkinfo)
	b = appendStringAttr(b, iflaInfoKind, "can")
	b, id := beginNest(b, iflaInfoData)
	b = append(b, data...)
	b = endNest(b, id)
	b = endNest(b, li)
	return b, nil
}

// validIfName checks an interface name against the kernel's rules
// (dev_valid_name): 1..15 bytes, not "." or "..", no '/', ':' or whitespace.
func validIfName(what, name string) error {
	if name == "" || len(name) > 15 || name == "." || name == ".." {
		return fmt.Errorf("netlinkfam: %s %q: want 1 to 15 bytes, not \".\" or \"..\"", what, name)
	}
	for _, c := range name {
		if c == '/' || c == ':' || c <= ' ' || c == 0x7f {
			return fmt.Errorf("netlinkfam: %s %q: must not contain '/', ':', spaces or control characters", what, name)
		}
	}
	return nil
}

// MarshalText returns the state's name, so that JSON shows "UP".
func (s OperState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
