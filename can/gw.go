package can

import (
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// The kernel CAN gateway (can-gw, module can-gw) forwards frames between CAN
// interfaces inside the kernel, optionally modifying them. Rules are added,
// deleted, flushed and listed over rtnetlink (RTM_NEWROUTE, RTM_DELROUTE,
// RTM_GETROUTE) with a struct rtcanmsg header and CGW_* attributes
// (linux/can/gw.h). This file holds the rule type and its exact encoder and
// decoder; gw_linux.go talks to the kernel.

// GatewayFlags are the flags of a gateway rule (struct rtcanmsg.flags).
type GatewayFlags uint16

// Gateway rule flags.
const (
	// GatewayEcho loops frames the gateway sends back to local sockets on
	// the destination (cangw -e). Needed on vcan for local readers to see
	// forwarded frames.
	GatewayEcho GatewayFlags = 0x01
	// GatewaySrcTimestamp keeps the source frame's receive timestamp
	// (cangw -t).
	GatewaySrcTimestamp GatewayFlags = 0x02
	// GatewayIIFTxOK allows routing back to the incoming interface
	// (cangw -i).
	GatewayIIFTxOK GatewayFlags = 0x04
	// GatewayFD makes the rule a CAN FD rule (cangw -X): it forwards CAN FD
	// frames and takes FD modifications. A rule is either classic or FD.
	GatewayFD GatewayFlags = 0x08
)

// GatewayModTargets selects the frame fields a modification applies to
// (cgw_frame_mod.modtype).
type GatewayModTargets uint8

// Modification targets.
const (
	GatewayModID    GatewayModTargets = 0x01 // can_id (cangw letter I)
	GatewayModLen   GatewayModTargets = 0x02 // len / can_dlc (L)
	GatewayModData  GatewayModTargets = 0x04 // data (D)
	GatewayModFlags GatewayModTargets = 0x08 // CAN FD flags (F)
)

// GatewayMod is one modification operand: a frame-shaped value (struct
// can_frame for classic rules, struct canfd_frame for FD rules) combined
// with the received frame's fields selected by Targets. It is not a frame
// that is sent: AND masks such as ID 0xFFFFFFFF or Len 0xF are normal.
type GatewayMod struct {
	Targets GatewayModTargets // zero means: no modification of this kind
	ID      uint32            // raw can_id operand, including EFF/RTR/ERR bits
	Len     uint8             // len operand (can_dlc for classic rules)
	Flags   uint8             // CAN FD flags operand
	Data    [FDMaxLen]byte    // data operand; classic rules use Data[:8]
}

// GatewayXOR is struct cgw_csum_xor: the XOR of the data bytes From..To
// (inclusive) and Init is written to byte Result. Negative indices count
// from the end of the frame (-1 is the last byte of len).
type GatewayXOR struct {
	From, To, Result int8
	Init             uint8
}

// GatewayCRC8Profile selects extra input to the CRC8 checksum.
type GatewayCRC8Profile uint8

// CRC8 profiles (CGW_CRC8PRF_*).
const (
	GatewayCRC8None      GatewayCRC8Profile = 0 // no extra input
	GatewayCRC8OneU8     GatewayCRC8Profile = 1 // one extra byte: ProfileData[0]
	GatewayCRC8SixteenU8 GatewayCRC8Profile = 2 // ProfileData[data[1] & 0xF] (AUTOSAR E2E profile 1)
	GatewayCRC8SFFIDXOR  GatewayCRC8Profile = 3 // (can_id & 0xFF) ^ (can_id >> 8 & 0xFF)
)

// GatewayCRC8 is struct cgw_csum_crc8: a table-driven CRC8 over the data
// bytes From..To, starting at Init, finished with FinalXOR, written to byte
// Result. Table is the 256-entry CRC table (see CRC8Table).
type GatewayCRC8 struct {
	From, To, Result int8
	Init, FinalXOR   uint8
	Table            [256]uint8
	Profile          GatewayCRC8Profile
	ProfileData      [20]uint8
}

// CRC8Table returns the table of the MSB-first CRC8 with polynomial poly
// (e.g. 0x1D for SAE J1850 / AUTOSAR, 0x2F for AUTOSAR 8H2F).
func CRC8Table(poly uint8) [256]uint8 {
	var t [256]uint8
	for i := range t {
		c := uint8(i)
		for range 8 {
			if c&0x80 != 0 {
				c = c<<1 ^ poly
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}

// GatewayRule is one kernel CAN gateway rule: frames received on SrcIndex
// that pass Filter are (optionally modified and) sent on DstIndex. The
// modifications apply in the order And, Or, Xor, Set, then the CRC8 and
// then the XOR checksum.
type GatewayRule struct {
	SrcIndex int // source interface index
	DstIndex int // destination interface index
	Flags    GatewayFlags
	// Filter selects the forwarded frames; nil forwards every frame.
	Filter *Filter
	// And, Or, Xor and Set are the modifications; nil means none.
	And, Or, Xor, Set *GatewayMod
	// CRC8 and XOR are checksums computed after the modifications. The
	// kernel only accepts them together with at least one modification.
	CRC8 *GatewayCRC8
	XOR  *GatewayXOR
	// HopLimit limits how often a frame may be routed (1..the module's
	// max_hops, at most 6); 0 means the module default.
	HopLimit uint8
	// UID identifies the rule's modifications: adding a rule with the UID of
	// an existing rule (same interfaces and filter) replaces its
	// modifications in place, and Delete matches by UID. The kernel only
	// keeps a UID together with at least one modification.
	UID uint32
	// Handled, Dropped and Deleted are the kernel's counters, filled in by
	// listing: frames forwarded, frames dropped on send, frames deleted by a
	// modification (e.g. a length beyond the frame type).
	Handled, Dropped, Deleted uint32
}

var (
	_ encoding.BinaryMarshaler   = (*GatewayRule)(nil)
	_ encoding.BinaryUnmarshaler = (*GatewayRule)(nil)
	_ fmt.Stringer               = (*GatewayRule)(nil)
)

// Errors from the rule encoder and decoder; match with errors.Is.
var (
	ErrGatewayRule    = errors.New("can: invalid gateway rule")
	ErrGatewayMessage = errors.New("can: malformed gateway netlink message")
)

// Kernel constants (linux/can/gw.h).
const (
	afCAN         = 29
	cgwTypeCANCAN = 1

	cgwModAnd   = 1
	cgwModOr    = 2
	cgwModXor   = 3
	cgwModSet   = 4
	cgwCsXor    = 5
	cgwCsCRC8   = 6
	cgwHandled  = 7
	cgwDropped  = 8
	cgwSrcIf    = 9
	cgwDstIf    = 10
	cgwFilter   = 11
	cgwDeleted  = 12
	cgwLimHops  = 13
	cgwModUID   = 14
	cgwFDModAnd = 15
	cgwFDModOr  = 16
	cgwFDModXor = 17
	cgwFDModSet = 18

	sizeofRtcanmsg  = 4
	sizeofCgwMod    = MTU + 1   // struct cgw_frame_mod, packed: 17
	sizeofCgwFDMod  = FDMTU + 1 // struct cgw_fdframe_mod, packed: 73
	sizeofCgwCsXor  = 4
	sizeofCgwCsCRC8 = 5 + 256 + 1 + 20 // 282
	gatewayMaxHops  = 6
	gatewayAllowed  = GatewayEcho | GatewaySrcTimestamp | GatewayIIFTxOK | GatewayFD
)

var gwNE = binary.NativeEndian

func gwAppendAttr(b []byte, typ uint16, data []byte) []byte {
	l := 4 + len(data)
	b = gwNE.AppendUint16(b, uint16(l))
	b = gwNE.AppendUint16(b, typ)
	b = append(b, data...)
	for ; l%4 != 0; l++ {
		b = append(b, 0)
	}
	return b
}

func gwAppendRtcanmsg(b []byte, flags GatewayFlags) []byte {
	b = append(b, afCAN, cgwTypeCANCAN)
	return gwNE.AppendUint16(b, uint16(flags))
}

func (r *GatewayRule) dataLen() int {
	if r.Flags&GatewayFD != 0 {
		return FDMaxLen
	}
	return MaxLen
}

// Validate checks r the way the kernel will, so that mistakes get an error
// naming the field instead of a bare EINVAL (or, for checksums and UIDs
// without modifications, being silently ignored by the kernel).
func (r *GatewayRule) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrGatewayRule, fmt.Sprintf(format, args...))
	}
	if r.SrcIndex <= 0 || r.DstIndex <= 0 {
		return bad("source and destination interface indexes must be positive (src %d, dst %d)", r.SrcIndex, r.DstIndex)
	}
	if r.Flags&^gatewayAllowed != 0 {
		return bad("unknown flags %#x", uint16(r.Flags&^gatewayAllowed))
	}
	if r.HopLimit > gatewayMaxHops {
		return bad("hop limit %d: want 1..%d (0 = module default)", r.HopLimit, gatewayMaxHops)
	}
	hasMod := false
	for _, m := range []struct {
		name string
		mod  *GatewayMod
	}{{"AND", r.And}, {"OR", r.Or}, {"XOR", r.Xor}, {"SET", r.Set}} {
		if m.mod == nil {
			continue
		}
		if m.mod.Targets == 0 {
			return bad("%s modification selects no field (want one or more of ID, Len, Data, Flags)", m.name)
		}
		if m.mod.Targets&^(GatewayModID|GatewayModLen|GatewayModData|GatewayModFlags) != 0 {
			return bad("%s modification: unknown targets %#x", m.name, uint8(m.mod.Targets))
		}
		if m.name == "SET" && m.mod.Targets&GatewayModLen != 0 && int(m.mod.Len) > r.dataLen() {
			return bad("SET modification: len %d exceeds %d", m.mod.Len, r.dataLen())
		}
		if r.Flags&GatewayFD == 0 {
			if m.mod.Flags != 0 {
				return bad("%s modification: flags operand %#x on a classic rule (the kernel keeps flags only for FD rules)", m.name, m.mod.Flags)
			}
			for i := MaxLen; i < FDMaxLen; i++ {
				if m.mod.Data[i] != 0 {
					return bad("%s modification: data byte %d set on a classic rule (8 bytes)", m.name, i)
				}
			}
		}
		hasMod = true
	}
	if !hasMod && (r.CRC8 != nil || r.XOR != nil || r.UID != 0) {
		return bad("checksums and UID need at least one AND/OR/XOR/SET modification (the kernel ignores them otherwise)")
	}
	n := int8(r.dataLen())
	idx := func(what string, from, to, res int8) error {
		for _, v := range []struct {
			name string
			v    int8
		}{{"from", from}, {"to", to}, {"result", res}} {
			if v.v < -n || v.v >= n {
				return bad("%s checksum %s index %d: want %d..%d", what, v.name, v.v, -n, n-1)
			}
		}
		return nil
	}
	if c := r.CRC8; c != nil {
		if err := idx("CRC8", c.From, c.To, c.Result); err != nil {
			return err
		}
		if c.Profile > GatewayCRC8SFFIDXOR {
			return bad("CRC8 profile %d: want 0..3", c.Profile)
		}
	}
	if c := r.XOR; c != nil {
		if err := idx("XOR", c.From, c.To, c.Result); err != nil {
			return err
		}
	}
	return nil
}

// appendMod appends the cgw_frame_mod or cgw_fdframe_mod of m.
func (r *GatewayRule) appendMod(b []byte, typ uint16, m *GatewayMod) []byte {
	var d []byte
	d = gwNE.AppendUint32(d, m.ID)
	d = append(d, m.Len, m.Flags, 0, 0)
	if r.Flags&GatewayFD != 0 {
		d = append(d, m.Data[:]...)
		typ += cgwFDModAnd - cgwModAnd
	} else {
		d = append(d, m.Data[:MaxLen]...)
	}
	d = append(d, uint8(m.Targets))
	return gwAppendAttr(b, typ, d)
}

// MarshalBinary returns the RTM_NEWROUTE/RTM_DELROUTE payload for r: struct
// rtcanmsg and the CGW_* attributes in the order cangw sends them (source,
// destination, filter, CRC8, XOR, UID, hop limit, then AND, OR, XOR, SET),
// so that the bytes equal those of the matching cangw command. Counters are
// not encoded.
func (r *GatewayRule) MarshalBinary() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	b := gwAppendRtcanmsg(nil, r.Flags)
	b = gwAppendAttr(b, cgwSrcIf, gwNE.AppendUint32(nil, uint32(r.SrcIndex)))
	b = gwAppendAttr(b, cgwDstIf, gwNE.AppendUint32(nil, uint32(r.DstIndex)))
	if r.Filter != nil {
		f, _ := r.Filter.MarshalBinary()
		b = gwAppendAttr(b, cgwFilter, f)
	}
	if c := r.CRC8; c != nil {
		d := []byte{uint8(c.From), uint8(c.To), uint8(c.Result), c.Init, c.FinalXOR}
		d = append(d, c.Table[:]...)
		d = append(d, uint8(c.Profile))
		d = append(d, c.ProfileData[:]...)
		b = gwAppendAttr(b, cgwCsCRC8, d)
	}
	if c := r.XOR; c != nil {
		b = gwAppendAttr(b, cgwCsXor, []byte{uint8(c.From), uint8(c.To), uint8(c.Result), c.Init})
	}
	if r.UID != 0 {
		b = gwAppendAttr(b, cgwModUID, gwNE.AppendUint32(nil, r.UID))
	}
	if r.HopLimit != 0 {
		b = gwAppendAttr(b, cgwLimHops, []byte{r.HopLimit})
	}
	for _, m := range []struct {
		typ uint16
		mod *GatewayMod
	}{{cgwModAnd, r.And}, {cgwModOr, r.Or}, {cgwModXor, r.Xor}, {cgwModSet, r.Set}} {
		if m.mod != nil {
			b = r.appendMod(b, m.typ, m.mod)
		}
	}
	return b, nil
}

// gatewayFlushMessage is the RTM_DELROUTE payload that removes every rule
// of the namespace: source and destination index 0.
func gatewayFlushMessage() []byte {
	b := gwAppendRtcanmsg(nil, 0)
	b = gwAppendAttr(b, cgwSrcIf, gwNE.AppendUint32(nil, 0))
	return gwAppendAttr(b, cgwDstIf, gwNE.AppendUint32(nil, 0))
}

// UnmarshalBinary decodes an RTM_NEWROUTE payload as the kernel sends it
// when listing rules (struct rtcanmsg and CGW_* attributes). Every attribute
// must have its exact kernel size; unknown attributes are errors, as they
// are for cangw -L, since a rule we cannot represent must not be shown as a
// different rule.
func (r *GatewayRule) UnmarshalBinary(b []byte) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrGatewayMessage, fmt.Sprintf(format, args...))
	}
	if len(b) < sizeofRtcanmsg {
		return bad("%d bytes, shorter than struct rtcanmsg (4)", len(b))
	}
	if b[0] != afCAN {
		return bad("family %d, want AF_CAN (29)", b[0])
	}
	if b[1] != cgwTypeCANCAN {
		return bad("gateway type %d, want CGW_TYPE_CAN_CAN (1)", b[1])
	}
	*r = GatewayRule{Flags: GatewayFlags(gwNE.Uint16(b[2:]))}
	fd := r.Flags&GatewayFD != 0
	var gotSrc, gotDst bool
	for off := sizeofRtcanmsg; off < len(b); {
		if len(b)-off < 4 {
			return bad("attribute at offset %d: %d trailing bytes", off, len(b)-off)
		}
		l := int(gwNE.Uint16(b[off:]))
		typ := gwNE.Uint16(b[off+2:]) & 0x3fff
		if l < 4 || off+l > len(b) {
			return bad("attribute %d at offset %d: length %d outside the %d-byte message", typ, off, l, len(b))
		}
		d := b[off+4 : off+l]
		off += (l + 3) &^ 3
		want := func(name string, n int) error {
			if len(d) != n {
				return bad("%s: payload is %d bytes, want %d", name, len(d), n)
			}
			return nil
		}
		switch typ {
		case cgwSrcIf, cgwDstIf, cgwHandled, cgwDropped, cgwDeleted, cgwModUID:
			if err := want(gatewayAttrName(typ), 4); err != nil {
				return err
			}
			v := gwNE.Uint32(d)
			switch typ {
			case cgwSrcIf:
				r.SrcIndex, gotSrc = int(v), true
			case cgwDstIf:
				r.DstIndex, gotDst = int(v), true
			case cgwHandled:
				r.Handled = v
			case cgwDropped:
				r.Dropped = v
			case cgwDeleted:
				r.Deleted = v
			case cgwModUID:
				r.UID = v
			}
		case cgwLimHops:
			if err := want("CGW_LIM_HOPS", 1); err != nil {
				return err
			}
			r.HopLimit = d[0]
		case cgwFilter:
			if err := want("CGW_FILTER", FilterSize); err != nil {
				return err
			}
			var f Filter
			if err := f.UnmarshalBinary(d); err != nil {
				return bad("CGW_FILTER: %v", err)
			}
			r.Filter = &f
		case cgwCsXor:
			if err := want("CGW_CS_XOR", sizeofCgwCsXor); err != nil {
				return err
			}
			r.XOR = &GatewayXOR{From: int8(d[0]), To: int8(d[1]), Result: int8(d[2]), Init: d[3]}
		case cgwCsCRC8:
			if err := want("CGW_CS_CRC8", sizeofCgwCsCRC8); err != nil {
				return err
			}
			c := &GatewayCRC8{From: int8(d[0]), To: int8(d[1]), Result: int8(d[2]), Init: d[3], FinalXOR: d[4]}
			copy(c.Table[:], d[5:261])
			c.Profile = GatewayCRC8Profile(d[261])
			copy(c.ProfileData[:], d[262:282])
			r.CRC8 = c
		case cgwModAnd, cgwModOr, cgwModXor, cgwModSet, cgwFDModAnd, cgwFDModOr, cgwFDModXor, cgwFDModSet:
			isFD := typ >= cgwFDModAnd
			if isFD != fd {
				return bad("%s in a %s rule", gatewayAttrName(typ), map[bool]string{true: "CAN FD", false: "classic"}[fd])
			}
			n, dl := sizeofCgwMod, MaxLen
			if isFD {
				n, dl = sizeofCgwFDMod, FDMaxLen
			}
			if err := want(gatewayAttrName(typ), n); err != nil {
				return err
			}
			m := &GatewayMod{ID: gwNE.Uint32(d), Len: d[4], Flags: d[5], Targets: GatewayModTargets(d[n-1])}
			copy(m.Data[:dl], d[8:8+dl])
			op := typ
			if isFD {
				op -= cgwFDModAnd - cgwModAnd
			}
			switch op {
			case cgwModAnd:
				r.And = m
			case cgwModOr:
				r.Or = m
			case cgwModXor:
				r.Xor = m
			case cgwModSet:
				r.Set = m
			}
		default:
			return bad("unknown attribute %d", typ)
		}
	}
	if !gotSrc || !gotDst {
		return bad("rule without CGW_SRC_IF and CGW_DST_IF")
	}
	return nil
}

func gatewayAttrName(typ uint16) string {
	names := [...]string{"", "CGW_MOD_AND", "CGW_MOD_OR", "CGW_MOD_XOR", "CGW_MOD_SET", "CGW_CS_XOR",
		"CGW_CS_CRC8", "CGW_HANDLED", "CGW_DROPPED", "CGW_SRC_IF", "CGW_DST_IF", "CGW_FILTER",
		"CGW_DELETED", "CGW_LIM_HOPS", "CGW_MOD_UID", "CGW_FDMOD_AND", "CGW_FDMOD_OR",
		"CGW_FDMOD_XOR", "CGW_FDMOD_SET"}
	if int(typ) < len(names) && typ != 0 {
		return names[typ]
	}
	return fmt.Sprintf("CGW attribute %d", typ)
}

// CangwArgs formats r as cangw's -L listing does, without the leading
// "cangw -A" and the trailing counter comment: "-s SRC -d DST [-X] [-e]
// [-t] [-i]" followed by the optional settings in the kernel's attribute
// order (hop limit, modifications, UID, CRC8, XOR, filter). ifName maps an
// interface index to its name. The output is accepted by cangw -A and by
// `fieldgate can gw add`.
func (r *GatewayRule) CangwArgs(ifName func(int) string) string {
	var s strings.Builder
	fmt.Fprintf(&s, "-s %s -d %s ", ifName(r.SrcIndex), ifName(r.DstIndex))
	for _, f := range []struct {
		flag GatewayFlags
		opt  string
	}{{GatewayFD, "-X "}, {GatewayEcho, "-e "}, {GatewaySrcTimestamp, "-t "}, {GatewayIIFTxOK, "-i "}} {
		if r.Flags&f.flag != 0 {
			s.WriteString(f.opt)
		}
	}
	if r.HopLimit != 0 {
		fmt.Fprintf(&s, "-l %d ", r.HopLimit)
	}
	for _, m := range []struct {
		name string
		mod  *GatewayMod
	}{{"AND", r.And}, {"OR", r.Or}, {"XOR", r.Xor}, {"SET", r.Set}} {
		if m.mod != nil && m.mod.Targets != 0 {
			r.formatMod(&s, m.name, m.mod)
		}
	}
	if r.UID != 0 {
		fmt.Fprintf(&s, "-u %X ", r.UID)
	}
	if c := r.CRC8; c != nil {
		fmt.Fprintf(&s, "-c %d:%d:%d:%02X:%02X:", c.From, c.To, c.Result, c.Init, c.FinalXOR)
		for _, v := range c.Table {
			fmt.Fprintf(&s, "%02X", v)
		}
		s.WriteString(" ")
		switch c.Profile {
		case GatewayCRC8None:
		case GatewayCRC8OneU8:
			fmt.Fprintf(&s, "-p %d:%02X ", c.Profile, c.ProfileData[0])
		case GatewayCRC8SixteenU8:
			fmt.Fprintf(&s, "-p %d:", c.Profile)
			for _, v := range c.ProfileData[:16] {
				fmt.Fprintf(&s, "%02X", v)
			}
			s.WriteString(" ")
		case GatewayCRC8SFFIDXOR:
			fmt.Fprintf(&s, "-p %d: ", c.Profile)
		default:
			fmt.Fprintf(&s, "-p %d:<unknown profile #%d> ", c.Profile, c.Profile)
		}
	}
	if c := r.XOR; c != nil {
		fmt.Fprintf(&s, "-x %d:%d:%d:%02X ", c.From, c.To, c.Result, c.Init)
	}
	if f := r.Filter; f != nil && (f.ID != 0 || f.Mask != 0 || f.Inverted) {
		sep := ":"
		if f.Inverted {
			sep = "~"
		}
		fmt.Fprintf(&s, "-f %03X%s%X ", f.ID&^InvFilter, sep, f.Mask)
	}
	return s.String()
}

func (r *GatewayRule) formatMod(s *strings.Builder, name string, m *GatewayMod) {
	fd := r.Flags&GatewayFD != 0
	if fd {
		fmt.Fprintf(s, "-M %s:", name)
	} else {
		fmt.Fprintf(s, "-m %s:", name)
	}
	for _, t := range []struct {
		t GatewayModTargets
		c string
	}{{GatewayModID, "I"}, {GatewayModFlags, "F"}, {GatewayModLen, "L"}, {GatewayModData, "D"}} {
		if m.Targets&t.t != 0 {
			s.WriteString(t.c)
		}
	}
	n := MaxLen
	if fd {
		fmt.Fprintf(s, ":%03X.%X.%X.", m.ID, m.Flags, m.Len)
		n = FDMaxLen
	} else {
		fmt.Fprintf(s, ":%03X.%X.", m.ID, m.Len)
	}
	for _, v := range m.Data[:n] {
		fmt.Fprintf(s, "%02X", v)
	}
	s.WriteString(" ")
}

// GatewayConfig configures a Gateway. A nil *GatewayConfig means the
// defaults.
type GatewayConfig struct {
	// NetNS, if non-zero, is a file descriptor of the network namespace
	// whose rules the Gateway manages (rules are per namespace); zero means
	// the calling thread's namespace.
	NetNS int
}

// Gateway manages the kernel CAN gateway's rules over rtnetlink. Changes
// need CAP_NET_ADMIN and the can-gw module. Its methods are safe for
// concurrent use.
type Gateway struct {
	c *gwConn
}

// DialGateway opens a Gateway. The caller must Close it.
func DialGateway(cfg *GatewayConfig) (*Gateway, error) {
	if cfg == nil {
		cfg = &GatewayConfig{}
	}
	c, err := dialGateway(cfg)
	if err != nil {
		return nil, err
	}
	return &Gateway{c: c}, nil
}

// Close releases the Gateway's socket.
func (g *Gateway) Close() error { return g.c.close() }

// Add adds r (cangw -A). If r.UID is set and a rule with that UID and the
// same interfaces and filter exists, its modifications are replaced.
func (g *Gateway) Add(r *GatewayRule) error { return g.c.add(r) }

// Delete removes the first rule that matches r (cangw -D): same flags, hop
// limit, interfaces and filter, and the same UID if either has one, else the
// same modifications and checksums. The kernel answers EINVAL when none
// matches.
func (g *Gateway) Delete(r *GatewayRule) error { return g.c.del(r) }

// Flush removes every rule of the namespace (cangw -F).
func (g *Gateway) Flush() error { return g.c.flush() }

// Rules lists the rules with their counters (cangw -L), newest first as the
// kernel keeps them.
func (g *Gateway) Rules() ([]GatewayRule, error) { return g.c.rules() }

// String returns the rule in cangw -L form with interface indexes as names
// ("#3"); see CangwArgs.
func (r *GatewayRule) String() string {
	return strings.TrimSpace(r.CangwArgs(func(i int) string { return fmt.Sprintf("#%d", i) }))
}
