package can

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// Kernel constants for struct can_filter and CAN identifiers (linux/can.h).
const (
	// EFFFlag marks a 29-bit extended identifier in a raw can_id.
	EFFFlag uint32 = 0x80000000
	// RTRFlag marks a remote transmission request in a raw can_id.
	RTRFlag uint32 = 0x40000000
	// ErrFlag marks an error frame in a raw can_id.
	ErrFlag uint32 = 0x20000000
	// SFFMask is the mask of an 11-bit standard identifier.
	SFFMask uint32 = 0x000007FF
	// EFFMask is the mask of a 29-bit extended identifier.
	EFFMask uint32 = 0x1FFFFFFF
	// ErrMask is the mask of the error class bits of an error frame.
	ErrMask uint32 = 0x1FFFFFFF
	// InvFilter in a can_filter's can_id inverts the filter (CAN_INV_FILTER).
	InvFilter uint32 = 0x20000000
)

// FilterSize is the size of the kernel's struct can_filter.
const FilterSize = 8

// A Filter selects received frames the way the kernel's struct can_filter
// does: a frame matches when frameID & Mask == ID & Mask, where both IDs are
// raw can_id values that include the EFF and RTR flag bits (so a Mask with
// EFFFlag set distinguishes standard from extended frames). Inverted selects
// the frames that do NOT match (CAN_INV_FILTER).
type Filter struct {
	ID, Mask uint32
	Inverted bool
}

// Match reports whether a frame with the raw can_id id passes f, exactly as
// the kernel's raw socket evaluates it.
func (f Filter) Match(id uint32) bool {
	m := (id & f.Mask) == (f.ID & f.Mask)
	return m != f.Inverted
}

// MarshalBinary returns the 8-byte struct can_filter in host byte order.
func (f Filter) MarshalBinary() ([]byte, error) {
	b := make([]byte, FilterSize)
	f.put(b)
	return b, nil
}

func (f Filter) put(b []byte) {
	id := f.ID &^ InvFilter
	if f.Inverted {
		id |= InvFilter
	}
	binary.NativeEndian.PutUint32(b[0:4], id)
	binary.NativeEndian.PutUint32(b[4:8], f.Mask)
}

// UnmarshalBinary decodes an 8-byte struct can_filter.
func (f *Filter) UnmarshalBinary(b []byte) error {
	if len(b) != FilterSize {
		return fmt.Errorf("can: struct can_filter is %d bytes, got %d", FilterSize, len(b))
	}
	id := binary.NativeEndian.Uint32(b[0:4])
	*f = Filter{
		ID:       id &^ InvFilter,
		Mask:     binary.NativeEndian.Uint32(b[4:8]),
		Inverted: id&InvFilter != 0,
	}
	return nil
}

// MarshalFilters encodes fs as the array of struct can_filter that the
// CAN_RAW_FILTER socket option takes.
func MarshalFilters(fs []Filter) []byte {
	b := make([]byte, len(fs)*FilterSize)
	for i, f := range fs {
		f.put(b[i*FilterSize:])
	}
	return b
}

// UnmarshalFilters decodes an array of struct can_filter, as read back from
// CAN_RAW_FILTER.
func UnmarshalFilters(b []byte) ([]Filter, error) {
	if len(b)%FilterSize != 0 {
		return nil, fmt.Errorf("can: filter array of %d bytes is not a multiple of %d", len(b), FilterSize)
	}
	fs := make([]Filter, len(b)/FilterSize)
	for i := range fs {
		if err := fs[i].UnmarshalBinary(b[i*FilterSize : (i+1)*FilterSize]); err != nil {
			return nil, err
		}
	}
	return fs, nil
}

// String formats f in candump's filter syntax: ID:MASK, or ID~MASK when
// inverted, both in hex.
func (f Filter) String() string {
	sep := ":"
	if f.Inverted {
		sep = "~"
	}
	return fmt.Sprintf("%03X%s%03X", f.ID, sep, f.Mask)
}

// ParseFilter parses candump's filter syntax:
//
//	ID:MASK   match when received_id & MASK == ID & MASK
//	ID~MASK   the inverse (CAN_INV_FILTER)
//
// ID and MASK are hex. As in candump, an ID written with exactly 8 hex digits
// is an extended identifier (EFFFlag is added to ID; put EFFFlag into MASK,
// e.g. 9FFFFFFF, to keep standard frames out), and bit 29 of MASK is cleared.
// The error-mask form #MASK is parsed by ParseErrorMask.
func ParseFilter(s string) (Filter, error) {
	i := strings.IndexAny(s, ":~")
	if i < 0 {
		return Filter{}, fmt.Errorf("can: filter %q: want ID:MASK or ID~MASK (hex)", s)
	}
	idStr, maskStr := s[:i], s[i+1:]
	id, err := strconv.ParseUint(idStr, 16, 32)
	if err != nil || idStr == "" {
		return Filter{}, fmt.Errorf("can: filter %q: ID %q is not a hex number of up to 8 digits", s, idStr)
	}
	mask, err := strconv.ParseUint(maskStr, 16, 32)
	if err != nil || maskStr == "" {
		return Filter{}, fmt.Errorf("can: filter %q: MASK %q is not a hex number of up to 8 digits", s, maskStr)
	}
	f := Filter{ID: uint32(id), Mask: uint32(mask) &^ ErrFlag, Inverted: s[i] == '~'}
	if f.ID&InvFilter != 0 {
		return Filter{}, fmt.Errorf("can: filter %q: ID bit 29 (0x20000000) is reserved for inversion; use ID~MASK", s)
	}
	if len(idStr) == 8 {
		f.ID |= EFFFlag
	}
	return f, nil
}

// ParseErrorMask parses candump's error-frame filter syntax #MASK (hex),
// the value of CAN_RAW_ERR_FILTER.
func ParseErrorMask(s string) (uint32, error) {
	if !strings.HasPrefix(s, "#") {
		return 0, fmt.Errorf("can: error mask %q: want #MASK (hex)", s)
	}
	m, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return 0, fmt.Errorf("can: error mask %q: want #MASK with MASK a hex number", s)
	}
	return uint32(m) & ErrMask, nil
}
