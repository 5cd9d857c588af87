package cli

import (
	"strconv"

	"github.com/fieldgate/fieldgate/can"
)

// The text formats of can-utils' lib.c (release 2020.11, the one Debian 12
// ships): the compact log form (sprint_canframe), the long table form
// (sprint_long_canframe) and the error frame description
// (snprintf_can_error_frame), byte for byte.

// View bits of the long form (lib.h's CANLIB_VIEW_*).
const (
	viewASCII     = 0x1
	viewBinary    = 0x2
	viewSwap      = 0x4
	viewError     = 0x8
	viewIndentSFF = 0x10
)

const swapDelimiter = '`'

const hexUpper = "0123456789ABCDEF"

func appendHexByte(b []byte, v byte) []byte {
	return append(b, hexUpper[v>>4], hexUpper[v&0xF])
}

func appendHexID(b []byte, v uint32, digits int) []byte {
	for i := digits - 1; i >= 0; i-- {
		b = append(b, hexUpper[(v>>(4*uint(i)))&0xF])
	}
	return b
}

// frameLen is the payload length printed: Len capped at the size of the
// structure the frame came in (lib.c's maxdlen).
func frameLen(f *can.FDFrame, fd bool) int {
	n := int(f.Len)
	if !fd && n > can.MaxLen {
		n = can.MaxLen
	}
	if n > can.FDMaxLen {
		n = can.FDMaxLen
	}
	return n
}

// appendCompactFrame appends f in the log form: 123#1122, 12345678#R,
// 123##5AABB (sprint_canframe without separators). fd is how the frame
// arrived (canfd_frame).
func appendCompactFrame(b []byte, f *can.FDFrame, fd bool) []byte {
	return appendCompact(b, f, fd, false)
}

// appendCompactFrameSep is appendCompactFrame with '.' between the data
// bytes (and after the FD flags): 123#11.22, 123##1.AA.BB.
func appendCompactFrameSep(b []byte, f *can.FDFrame, fd bool) []byte {
	return appendCompact(b, f, fd, true)
}

func appendCompact(b []byte, f *can.FDFrame, fd, sep bool) []byte {
	n := frameLen(f, fd)
	switch {
	case f.Error:
		b = appendHexID(b, f.CANID()&(can.ErrMask|can.ErrFlag), 8)
	case f.Extended:
		b = appendHexID(b, f.ID&can.EFFMask, 8)
	default:
		b = appendHexID(b, f.ID&can.SFFMask, 3)
	}
	b = append(b, '#')
	if !fd && f.Remote {
		b = append(b, 'R')
		if f.Len > 0 && f.Len <= can.MaxLen {
			b = strconv.AppendInt(b, int64(f.Len), 10)
		}
		return b
	}
	if fd {
		b = append(b, '#', hexUpper[f.Flags&0xF])
		if sep && n > 0 {
			b = append(b, '.')
		}
	}
	for i, c := range f.Data[:n] {
		if sep && i > 0 {
			b = append(b, '.')
		}
		b = appendHexByte(b, c)
	}
	return b
}

// appendLongFrame appends f in candump's table form (sprint_long_canframe).
func appendLongFrame(b []byte, f *can.FDFrame, fd bool, view int) []byte {
	n := frameLen(f, fd)
	switch {
	case f.Error:
		b = appendHexID(b, f.CANID()&(can.ErrMask|can.ErrFlag), 8)
		b = append(b, "  "...)
	case f.Extended:
		b = appendHexID(b, f.ID&can.EFFMask, 8)
		b = append(b, "  "...)
	case view&viewIndentSFF != 0:
		b = append(b, "     "...)
		b = appendHexID(b, f.ID&can.SFFMask, 3)
		b = append(b, "  "...)
	default:
		b = appendHexID(b, f.ID&can.SFFMask, 3)
		b = append(b, "  "...)
	}
	if !fd {
		b = append(b, " ["...)
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, "] "...)
		if f.Remote {
			return append(b, " remote request"...)
		}
	} else {
		b = append(b, '[', byte('0'+n/10), byte('0'+n%10), ']', ' ')
	}
	dlen := 3
	data := f.Data[:n]
	if view&viewBinary != 0 {
		dlen = 9
		for k := range data {
			i := k
			sep := byte(' ')
			if view&viewSwap != 0 {
				i = n - 1 - k
				if k > 0 {
					sep = swapDelimiter
				}
			}
			b = append(b, sep)
			for j := 7; j >= 0; j-- {
				if data[i]&(1<<j) != 0 {
					b = append(b, '1')
				} else {
					b = append(b, '0')
				}
			}
		}
	} else {
		for k := range data {
			i := k
			sep := byte(' ')
			if view&viewSwap != 0 {
				i = n - 1 - k
				if k > 0 {
					sep = swapDelimiter
				}
			}
			b = append(b, sep)
			b = appendHexByte(b, data[i])
		}
	}
	// ERRORFRAME and the ASCII column follow at a fixed position, for
	// payloads of up to 8 bytes only.
	if n > can.MaxLen {
		return b
	}
	if f.Error {
		return appendRightAligned(b, "ERRORFRAME", dlen*(8-n)+13)
	}
	if view&viewASCII != 0 {
		quote := byte('\'')
		if view&viewSwap != 0 {
			quote = swapDelimiter
		}
		b = appendRightAligned(b, string(quote), dlen*(8-n)+4)
		for k := range data {
			i := k
			if view&viewSwap != 0 {
				i = n - 1 - k
			}
			if c := data[i]; c > 0x1F && c < 0x7F {
				b = append(b, c)
			} else {
				b = append(b, '.')
			}
		}
		b = append(b, quote)
	}
	return b
}

// appendRightAligned is printf's "%*s".
func appendRightAligned(b []byte, s string, width int) []byte {
	for i := len(s); i < width; i++ {
		b = append(b, ' ')
	}
	return append(b, s...)
}

var (
	errClassNames = []string{
		"tx-timeout", "lost-arbitration", "controller-problem", "protocol-violation",
		"transceiver-status", "no-acknowledgement-on-tx", "bus-off", "bus-error",
		"restarted-after-bus-off",
	}
	errCtrlNames = []string{
		"rx-overflow", "tx-overflow", "rx-error-warning", "tx-error-warning",
		"rx-error-passive", "tx-error-passive", "back-to-error-active",
	}
	errProtTypeNames = []string{
		"single-bit-error", "frame-format-error", "bit-stuffing-error", "tx-dominant-bit-error",
		"tx-recessive-bit-error", "bus-overload", "active-error", "error-on-tx",
	}
	errProtLocNames = []string{
		"unspecified", "unspecified", "id.28-to-id.21", "start-of-frame",
		"bit-srtr", "bit-ide", "id.20-to-id.18", "id.17-to-id.13",
		"crc-sequence", "reserved-bit-0", "data-field", "data-length-code",
		"bit-rtr", "reserved-bit-1", "id.4-to-id.0", "id.12-to-id.5",
		"unspecified", "active-error-flag", "intermission", "tolerate-dominant-bits",
		"unspecified", "unspecified", "passive-error-flag", "error-delimiter",
		"crc-delimiter", "acknowledge-slot", "end-of-frame", "acknowledge-delimiter",
		"overload-flag", "unspecified", "unspecified", "unspecified",
	}
)

func appendBitNames(b []byte, v byte, names []string) []byte {
	first := true
	for i, n := range names {
		if v&(1<<i) != 0 {
			if !first {
				b = append(b, ',')
			}
			b = append(b, n...)
			first = false
		}
	}
	return b
}

// appendErrorText appends the description of error frame f, its classes
// separated by sep (snprintf_can_error_frame). ok is false when the class
// bits are out of range: lib.c then writes nothing.
func appendErrorText(b []byte, f *can.FDFrame, sep string) (_ []byte, ok bool) {
	if !f.Error {
		return b, true
	}
	class := f.ID & can.EFFMask
	if class > 1<<len(errClassNames) {
		return b, false
	}
	d := &f.Data
	n := 0
	for i, name := range errClassNames {
		mask := uint32(1) << i
		if class&mask == 0 {
			continue
		}
		if n > 0 {
			b = append(b, sep...)
		}
		b = append(b, name...)
		switch mask {
		case 0x2: // CAN_ERR_LOSTARB
			b = append(b, "{at bit "...)
			b = strconv.AppendInt(b, int64(d[0]), 10)
			b = append(b, '}')
		case 0x4: // CAN_ERR_CRTL
			b = append(b, '{')
			b = appendBitNames(b, d[1], errCtrlNames)
			b = append(b, '}')
		case 0x8: // CAN_ERR_PROT
			b = append(b, "{{"...)
			b = appendBitNames(b, d[2], errProtTypeNames)
			b = append(b, "}{"...)
			if d[3] > 0 && int(d[3]) < len(errProtLocNames) {
				b = append(b, errProtLocNames[d[3]]...)
			}
			b = append(b, "}}"...)
		}
		n++
	}
	if d[6] != 0 || d[7] != 0 {
		b = append(b, sep...)
		b = append(b, "error-counter-tx-rx{{"...)
		b = strconv.AppendInt(b, int64(d[6]), 10)
		b = append(b, "}{"...)
		b = strconv.AppendInt(b, int64(d[7]), 10)
		b = append(b, "}}"...)
	}
	return b, true
}
