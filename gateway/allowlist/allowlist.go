// Package allowlist is the rule that decides which frames from a network
// peer a route writes onto a bus: a route's `allow:` list, parsed, checked
// against frames, and described in words for `fieldgate check`.
//
// The rule is meant to be read the way an operator reads it:
//
//	7DF              the 11-bit data frame 0x7DF
//	600-6FF          11-bit data frames 0x600 to 0x6FF
//	7E0:7F8          11-bit data frames whose ID matches 0x7E0 under mask 0x7F8
//	18DAF110         the 29-bit data frame 0x18DAF110 (29-bit IDs have 8 digits)
//	18DA0000-18DAFFFF, 18DAF100:1FFFFF00   29-bit ranges and masks
//	7DF rtr          the 11-bit data frame 0x7DF and its remote request
//	error            CAN error frames (never admitted otherwise)
//	pgn FECA         the J1939 PGN 0xFECA (also ranges and masks)
//	0x88B5           the Ethernet frames of that ethertype (packet endpoints)
//	any              every data frame and remote request, 11- and 29-bit,
//	                 every PDU and Ethernet frame; error frames only with `error`
//
// A frame whose 11-bit ID has bits above 0x7FF set is no valid frame and
// passes no list, `any` included.
//
// An 11-bit entry never admits a 29-bit frame and the reverse; a frame
// whose 11-bit ID has bits above 0x7FF set is admitted by no entry; a
// remote request passes only an entry marked rtr. ISO-TP PDUs match CAN
// entries by their CAN ID (bit 31 set for 29-bit IDs, as in the isotp
// endpoint's tx_id), J1939 messages match pgn entries.
//
// The same List decides routed frames (package gateway, after the route's
// transform) and direct kernel access (a socketcand client's ISO-TP
// channel), so there is one implementation of the rule.
package allowlist

import (
	"fmt"
	"strconv"
	"strings"
)

// CAN identifier bits, as in struct can_frame.
const (
	effFlag = 0x80000000
	rtrFlag = 0x40000000
	errFlag = 0x20000000
	sffMask = 0x000007FF
	effMask = 0x1FFFFFFF
	pgnMask = 0x3FFFF
)

// A Space is what an entry's numbers are.
type Space uint8

// Entry spaces.
const (
	Std Space = iota // 11-bit CAN IDs
	Ext              // 29-bit CAN IDs
	PGN              // J1939 parameter group numbers
)

func (s Space) String() string {
	switch s {
	case Std:
		return "11-bit"
	case Ext:
		return "29-bit"
	}
	return "J1939 PGN"
}

func (s Space) max() uint32 {
	switch s {
	case Std:
		return sffMask
	case Ext:
		return effMask
	}
	return pgnMask
}

// An Entry admits the IDs Lo..Hi, or those matching ID under Mask.
type Entry struct {
	Space Space
	// Masked selects ID/Mask matching; otherwise Lo..Hi inclusive.
	Masked   bool
	ID, Mask uint32
	Lo, Hi   uint32
	// Remote admits remote requests (RTR) as well as data frames.
	Remote bool
}

// Matches reports whether id (without flag bits) is in the entry.
func (e *Entry) Matches(id uint32) bool {
	if e.Masked {
		return id&e.Mask == e.ID&e.Mask
	}
	return e.Lo <= id && id <= e.Hi
}

// count returns how many IDs the entry admits.
func (e *Entry) count() uint64 {
	if !e.Masked {
		return uint64(e.Hi-e.Lo) + 1
	}
	free := 0
	for m := e.Space.max(); m != 0; m &= m - 1 {
		if e.Mask&(m&-m) == 0 {
			free++
		}
	}
	return 1 << free
}

// List is a route's allow list.
type List struct {
	// Any admits every data frame, remote request, PDU and Ethernet frame.
	Any bool
	// Error admits CAN error frames.
	Error bool
	// Entries are the CAN and PGN entries.
	Entries []Entry
	// EtherTypes are the admitted ethertypes (packet destinations).
	EtherTypes []uint16
}

// Empty reports whether the list admits nothing.
func (l *List) Empty() bool {
	return !l.Any && !l.Error && len(l.Entries) == 0 && len(l.EtherTypes) == 0
}

// AdmitsCAN reports whether the CAN or CAN FD frame with identifier canID
// (flag bits included) is admitted.
func (l *List) AdmitsCAN(canID uint32) bool {
	if canID&errFlag != 0 {
		return l.Error
	}
	if canID&effFlag == 0 && canID&^(rtrFlag|sffMask) != 0 {
		return false // an 11-bit frame with bits above 0x7FF: no valid ID
	}
	if l.Any {
		return true
	}
	return l.admitsID(canID, canID&rtrFlag != 0)
}

// AdmitsISOTP reports whether an ISO-TP PDU on CAN ID id (bit 31 set for
// 29-bit IDs) is admitted.
func (l *List) AdmitsISOTP(id uint32) bool {
	if l.Any {
		return true
	}
	if id&(rtrFlag|errFlag) != 0 {
		return false
	}
	return l.admitsID(id, false)
}

func (l *List) admitsID(canID uint32, rtr bool) bool {
	space, id := Std, canID&^(effFlag|rtrFlag)
	if canID&effFlag != 0 {
		space = Ext
		if id > effMask {
			return false
		}
	} else if id > sffMask {
		return false
	}
	for i := range l.Entries {
		e := &l.Entries[i]
		if e.Space == space && (!rtr || e.Remote) && e.Matches(id) {
			return true
		}
	}
	return false
}

// AdmitsPGN reports whether a J1939 message of parameter group pgn is
// admitted.
func (l *List) AdmitsPGN(pgn uint32) bool {
	if l.Any {
		return true
	}
	if pgn > pgnMask {
		return false
	}
	for i := range l.Entries {
		e := &l.Entries[i]
		if e.Space == PGN && e.Matches(pgn) {
			return true
		}
	}
	return false
}

// AdmitsEtherType reports whether an Ethernet frame of ethertype et is
// admitted.
func (l *List) AdmitsEtherType(et uint16) bool {
	if l.Any {
		return true
	}
	for _, a := range l.EtherTypes {
		if a == et {
			return true
		}
	}
	return false
}

// ParseEntry parses one scalar list item into l: any, error, an ethertype
// (0x followed by 4 hex digits), or a CAN or PGN entry.
func (l *List) ParseEntry(s string) error {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "any":
		l.Any = true
		return nil
	case "error", "err":
		l.Error = true
		return nil
	}
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") {
		v, err := strconv.ParseUint(strings.ReplaceAll(s[2:], "_", ""), 16, 16)
		if err != nil || v < 0x0600 {
			return fmt.Errorf("invalid ethertype %q (ethertypes are 0x0600-0xFFFF; CAN IDs are written in hex without 0x, e.g. 7DF)", s)
		}
		l.EtherTypes = append(l.EtherTypes, uint16(v))
		return nil
	}
	e, err := ParseCAN(s)
	if err != nil {
		return err
	}
	l.Entries = append(l.Entries, e)
	return nil
}

// ParseCAN parses a CAN or PGN entry: [pgn ]ID, ID-ID or ID:MASK, in hex,
// optionally followed by " rtr". 11-bit IDs have 1 to 3 digits, 29-bit IDs
// exactly 8.
func ParseCAN(s string) (Entry, error) {
	var e Entry
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return e, fmt.Errorf("empty allow entry")
	}
	pgn := false
	if strings.EqualFold(fields[0], "pgn") {
		pgn = true
		fields = fields[1:]
	}
	if len(fields) == 2 && strings.EqualFold(fields[1], "rtr") {
		if pgn {
			return e, fmt.Errorf("allow entry %q: J1939 messages have no remote requests", s)
		}
		e.Remote = true
		fields = fields[:1]
	}
	if len(fields) != 1 {
		return e, fmt.Errorf("invalid allow entry %q: write ID, LO-HI or ID:MASK in hex, optionally followed by rtr", s)
	}
	body := fields[0]
	id := func(t string) (uint32, Space, error) {
		if t == "" || strings.HasPrefix(t, "0x") || strings.HasPrefix(t, "0X") {
			return 0, 0, fmt.Errorf("invalid ID %q in allow entry %q: hex digits without 0x", t, s)
		}
		v, err := strconv.ParseUint(t, 16, 32)
		if err != nil {
			return 0, 0, fmt.Errorf("invalid ID %q in allow entry %q: hex digits without 0x", t, s)
		}
		sp := Std
		switch {
		case pgn:
			sp = PGN
			if v > pgnMask {
				return 0, 0, fmt.Errorf("PGN %s in allow entry %q is above 3FFFF", t, s)
			}
		case len(t) == 8:
			sp = Ext
			if v > effMask {
				return 0, 0, fmt.Errorf("29-bit ID %s in allow entry %q is above 1FFFFFFF", t, s)
			}
		case len(t) <= 3:
			if v > sffMask {
				return 0, 0, fmt.Errorf("11-bit ID %s in allow entry %q is above 7FF (write 29-bit IDs with 8 digits, e.g. %08X)", t, s, v)
			}
		default:
			return 0, 0, fmt.Errorf("ID %s in allow entry %q has %d digits: write 11-bit IDs with up to 3 hex digits and 29-bit IDs with exactly 8 (e.g. %08X)", t, s, len(t), v)
		}
		return uint32(v), sp, nil
	}
	switch {
	case strings.Contains(body, ":"):
		a, b, _ := strings.Cut(body, ":")
		v, sp, err := id(a)
		if err != nil {
			return e, err
		}
		m, err := strconv.ParseUint(b, 16, 32)
		if err != nil || strings.HasPrefix(b, "0x") {
			return e, fmt.Errorf("invalid mask %q in allow entry %q: hex digits without 0x", b, s)
		}
		if uint32(m)&^sp.max() != 0 {
			return e, fmt.Errorf("mask %s in allow entry %q has bits outside the %s ID (at most %X)", b, s, sp, sp.max())
		}
		e.Space, e.Masked, e.ID, e.Mask = sp, true, v&uint32(m), uint32(m)
	case strings.Contains(body, "-"):
		a, b, _ := strings.Cut(body, "-")
		lo, sa, err := id(a)
		if err != nil {
			return e, err
		}
		hi, sb, err := id(b)
		if err != nil {
			return e, err
		}
		if sa != sb {
			return e, fmt.Errorf("range %q mixes an 11-bit and a 29-bit ID", s)
		}
		if hi < lo {
			return e, fmt.Errorf("range %q ends before it starts", s)
		}
		e.Space, e.Lo, e.Hi = sa, lo, hi
	default:
		v, sp, err := id(body)
		if err != nil {
			return e, err
		}
		e.Space, e.Lo, e.Hi = sp, v, v
	}
	return e, nil
}

// Describe says in words what the list admits, e.g. "11-bit data frames
// 0x600–0x6FF, 0x7DF; 29-bit: none; remote: none; error: none".
func (l *List) Describe() string {
	if l.Any {
		e := "none"
		if l.Error {
			e = "all"
		}
		return "any: every 11- and 29-bit data frame and remote request, PDU and Ethernet frame; error: " + e
	}
	var std, ext, pgn, rtr []string
	for i := range l.Entries {
		e := &l.Entries[i]
		d := e.describe()
		switch e.Space {
		case Std:
			std = append(std, d)
		case Ext:
			ext = append(ext, d)
		case PGN:
			pgn = append(pgn, d)
		}
		if e.Remote {
			rtr = append(rtr, d)
		}
	}
	list := func(s []string) string {
		if len(s) == 0 {
			return "none"
		}
		return strings.Join(s, ", ")
	}
	out := "11-bit data frames " + list(std) + "; 29-bit: " + list(ext) + "; remote: " + list(rtr) + "; error: "
	if l.Error {
		out += "all"
	} else {
		out += "none"
	}
	if len(pgn) > 0 {
		out += "; J1939 PGNs " + list(pgn)
	}
	if len(l.EtherTypes) > 0 {
		var et []string
		for _, t := range l.EtherTypes {
			et = append(et, fmt.Sprintf("0x%04X", t))
		}
		out += "; ethertypes " + strings.Join(et, ", ")
	}
	return out
}

func (e *Entry) describe() string {
	w := 3
	switch e.Space {
	case Ext:
		w = 8
	case PGN:
		w = 5
	}
	if !e.Masked {
		if e.Lo == e.Hi {
			return fmt.Sprintf("0x%0*X", w, e.Lo)
		}
		return fmt.Sprintf("0x%0*X–0x%0*X", w, e.Lo, w, e.Hi)
	}
	// A mask whose zero bits are all at the bottom is a range.
	free := e.Space.max() &^ e.Mask
	if free&(free+1) == 0 {
		lo := e.ID & e.Mask
		if free == 0 {
			return fmt.Sprintf("0x%0*X", w, lo)
		}
		return fmt.Sprintf("0x%0*X–0x%0*X", w, lo, w, lo|free)
	}
	return fmt.Sprintf("IDs matching 0x%0*X under mask 0x%0*X (%d IDs)", w, e.ID, w, e.Mask, e.count())
}
