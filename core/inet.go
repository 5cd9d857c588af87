package core

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
)

// ErrIllegalAddress is returned (wrapped, with the input) for an IP address
// string that InetAton or InetPton cannot parse: Python's "illegal IP
// address string passed to inet_aton" OSError.
var ErrIllegalAddress = errors.New("illegal IP address string")

// InetError reports a failed IP address conversion. It unwraps to
// ErrIllegalAddress for unparsable strings, syscall.EAFNOSUPPORT for a
// family other than AF_INET/AF_INET6 given to InetPton, and syscall.EINVAL
// for a packed address of the wrong length given to InetNtoa.
type InetError struct {
	Func  string // "inet_aton", "inet_pton", ...
	Input string // the string or the hex of the packed bytes
	Err   error
}

func (e *InetError) Error() string {
	return "core: " + e.Func + " " + strconv.Quote(truncate(e.Input)) + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *InetError) Unwrap() error { return e.Err }

// errPackedLen is InetNtoa's wrong length: Python's OSError "packed IP
// wrong length for inet_ntoa", here matching ErrPackedLength and
// syscall.EINVAL.
var errPackedLen = fmt.Errorf("%w: %w", ErrPackedLength, syscall.EINVAL)

// packedLenError is InetNtop's wrong length: Python's ValueError "invalid
// length of packed IP address string".
func packedLenError(n int, family string, want int) error {
	return &ValueError{Func: "inet_ntop", Err: ErrPackedLength,
		Detail: strconv.Itoa(n) + " bytes for " + family + ", want " + strconv.Itoa(want)}
}

// InetAton converts an IPv4 address in any form inet_aton(3) accepts to its
// 4 packed bytes (network order), Python's socket.inet_aton. Besides the
// dotted quad it takes the short forms "a.b.c" (c is 16 bits), "a.b" (b is
// 24 bits) and "a" (32 bits), each part decimal, octal with a leading 0 or
// hex with 0x; like glibc, anything after a whitespace character is
// ignored ("127.0.0.1 junk" is 127.0.0.1).
func InetAton(s string) ([]byte, error) {
	v, ok := inetAton(s)
	if !ok {
		return nil, &InetError{Func: "inet_aton", Input: s, Err: ErrIllegalAddress}
	}
	return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}, nil
}

func isSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// inetAton is glibc's inet_aton (resolv/inet_addr.c, 2.32+, which parses
// each part with strtoul and rejects values above 32 bits).
func inetAton(s string) (uint32, bool) {
	var parts [3]uint32
	np := 0
	i := 0
	at := func(i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	var val uint64
	for {
		c := at(i)
		if !isDigit(c) {
			return 0, false
		}
		base := uint64(10)
		val = 0
		digits := 0
		if c == '0' {
			i++
			if c2 := at(i); c2 == 'x' || c2 == 'X' {
				base = 16
				i++
			} else {
				base = 8
				digits = 1
			}
		}
		for {
			c = at(i)
			var d uint64
			switch {
			case isDigit(c):
				d = uint64(c - '0')
				if d >= base {
					return 0, false
				}
			case base == 16 && 'a' <= c && c <= 'f':
				d = uint64(c-'a') + 10
			case base == 16 && 'A' <= c && c <= 'F':
				d = uint64(c-'A') + 10
			default:
				goto end
			}
			val = val*base + d
			if val > 0xffffffff {
				return 0, false
			}
			digits++
			i++
		}
	end:
		if digits == 0 {
			return 0, false
		}
		if c != '.' {
			break
		}
		if np > 2 || val > 0xff {
			return 0, false
		}
		parts[np] = uint32(val)
		np++
		i++
	}
	if c := at(i); i < len(s) && !isSpace(c) {
		return 0, false
	}
	limits := [4]uint64{0xffffffff, 0xffffff, 0xffff, 0xff}
	if val > limits[np] {
		return 0, false
	}
	out := uint32(val)
	for k := 0; k < np; k++ {
		out |= parts[k] << (24 - 8*k)
	}
	return out, true
}

// InetNtoa converts 4 packed bytes to a dotted quad, Python's
// socket.inet_ntoa; any other length is an *InetError (Python's OSError)
// matching ErrPackedLength and syscall.EINVAL (unix.EINVAL).
func InetNtoa(b []byte) (string, error) {
	if len(b) != 4 {
		return "", &InetError{Func: "inet_ntoa", Input: strconv.Itoa(len(b)) + " bytes", Err: errPackedLen}
	}
	return netip.AddrFrom4([4]byte(b)).String(), nil
}

// InetPton converts an address string to packed bytes, Python's
// socket.inet_pton, for AF_INET (strict dotted quad, no leading zeros: 4
// bytes) and AF_INET6 (16 bytes, zones rejected); other families give
// syscall.EAFNOSUPPORT.
func InetPton(family int, s string) ([]byte, error) {
	switch family {
	case AF_INET:
		ip, err := netip.ParseAddr(s)
		if err != nil || !ip.Is4() {
			return nil, &InetError{Func: "inet_pton", Input: s, Err: ErrIllegalAddress}
		}
		b := ip.As4()
		return b[:], nil
	case AF_INET6:
		if strings.IndexByte(s, '%') >= 0 {
			return nil, &InetError{Func: "inet_pton", Input: s, Err: ErrIllegalAddress}
		}
		ip, err := netip.ParseAddr(s)
		if err != nil || !ip.Is6() {
			return nil, &InetError{Func: "inet_pton", Input: s, Err: ErrIllegalAddress}
		}
		b := ip.As16()
		return b[:], nil
	}
	return nil, &InetError{Func: "inet_pton", Input: Family(family).String(), Err: syscall.EAFNOSUPPORT}
}

// InetNtop converts packed bytes to an address string, Python's
// socket.inet_ntop: 4 bytes for AF_INET, 16 for AF_INET6, formatted as
// glibc's inet_ntop does (so "::1.2.3.4" keeps its IPv4 tail, unlike Go's
// netip). As in Python, other families and wrong lengths are a
// *ValueError: matching ErrUnknownFamily (and syscall.EAFNOSUPPORT) for the
// family, ErrPackedLength (and syscall.EINVAL) for the length.
func InetNtop(family int, b []byte) (string, error) {
	switch family {
	case AF_INET:
		if len(b) != 4 {
			return "", packedLenError(len(b), "AF_INET", 4)
		}
		return netip.AddrFrom4([4]byte(b)).String(), nil
	case AF_INET6:
		if len(b) != 16 {
			return "", packedLenError(len(b), "AF_INET6", 16)
		}
		return ntop6([16]byte(b)), nil
	}
	return "", &ValueError{Func: "inet_ntop", Err: ErrUnknownFamily, Detail: Family(family).String()}
}

// ntop6 is glibc's inet_ntop6 (resolv/inet_ntop.c).
func ntop6(b [16]byte) string {
	var w [8]uint16
	for i := range w {
		w[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	bestBase, bestLen, curBase, curLen := -1, 0, -1, 0
	for i := range 8 {
		if w[i] == 0 {
			if curBase == -1 {
				curBase, curLen = i, 1
			} else {
				curLen++
			}
		} else if curBase != -1 {
			if bestBase == -1 || curLen > bestLen {
				bestBase, bestLen = curBase, curLen
			}
			curBase = -1
		}
	}
	if curBase != -1 && (bestBase == -1 || curLen > bestLen) {
		bestBase, bestLen = curBase, curLen
	}
	if bestBase != -1 && bestLen < 2 {
		bestBase = -1
	}
	var sb strings.Builder
	sb.Grow(46)
	for i := 0; i < 8; i++ {
		if bestBase != -1 && i >= bestBase && i < bestBase+bestLen {
			if i == bestBase {
				sb.WriteByte(':')
			}
			continue
		}
		if i != 0 {
			sb.WriteByte(':')
		}
		if i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 7 && w[7] != 1) || (bestLen == 5 && w[5] == 0xffff)) {
			sb.WriteString(netip.AddrFrom4([4]byte(b[12:])).String())
			return sb.String()
		}
		sb.WriteString(strconv.FormatUint(uint64(w[i]), 16))
	}
	if bestBase != -1 && bestBase+bestLen == 8 {
		sb.WriteByte(':')
	}
	return sb.String()
}
