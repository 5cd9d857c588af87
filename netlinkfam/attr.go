package netlinkfam

import (
	"encoding/binary"
	"fmt"
)

// Netlink attribute framing (struct nlattr): a 4-byte header {len u16, type
// u16} in host byte order, the payload, padding to 4 bytes. These helpers are
// deliberately tiny so that the encoders built on them can be checked byte by
// byte against hand-computed kernel layouts.

const (
	nlaHeaderLen = 4
	nlaFNested   = 0x8000
	nlaFNetByte  = 0x4000
	nlaTypeMask  = ^uint16(nlaFNested | nlaFNetByte)
)

var ne = binary.NativeEndian

// An attr is one decoded netlink attribute; typ has the NLA_F_* flags cleared.
type attr struct {
	typ  uint16
	data []byte
}

func nlaAlign(n int) int { return (n + 3) &^ 3 }

// parseAttrs splits b into attributes. It rejects truncated headers and
// lengths that point outside b, naming the offending offset.
func parseAttrs(b []byte) ([]attr, error) {
	var as []attr
	for off := 0; off < len(b); {
		if len(b)-off < nlaHeaderLen {
			return nil, fmt.Errorf("attribute at offset %d: %d trailing bytes, need a 4-byte header", off, len(b)-off)
		}
		l := int(ne.Uint16(b[off:]))
		t := ne.Uint16(b[off+2:]) & nlaTypeMask
		if l < nlaHeaderLen || off+l > len(b) {
			return nil, fmt.Errorf("attribute type %d at offset %d: length %d outside the %d-byte buffer", t, off, l, len(b))
		}
		as = append(as, attr{typ: t, data: b[off+nlaHeaderLen : off+l]})
		off += nlaAlign(l)
	}
	return as, nil
}

// appendAttr appends one attribute with its padding.
func appendAttr(b []byte, typ uint16, data []byte) []byte {
	l := nlaHeaderLen + len(data)
	b = ne.AppendUint16(b, uint16(l))
	b = ne.AppendUint16(b, typ)
	b = append(b, data...)
	for i := l; i < nlaAlign(l); i++ {
		b = append(b, 0)
	}
	return b
}

func appendU32Attr(b []byte, typ uint16, v uint32) []byte {
	return appendAttr(b, typ, ne.AppendUint32(nil, v))
}

func appendU16Attr(b []byte, typ uint16, v uint16) []byte {
	return appendAttr(b, typ, ne.AppendUint16(nil, v))
}

func appendStringAttr(b []byte, typ uint16, s string) []byte {
	return appendAttr(b, typ, append([]byte(s), 0))
}

// beginNest starts a nested attribute (NLA_F_NESTED set) and returns the
// offset to pass to endNest.
func beginNest(b []byte, typ uint16) ([]byte, int) {
	off := len(b)
	b = ne.AppendUint16(b, 0)
	b = ne.AppendUint16(b, typ|nlaFNested)
	return b, off
}

// endNest patches the nest's length.
func endNest(b []byte, off int) []byte {
	ne.PutUint16(b[off:], uint16(len(b)-off))
	return b
}

// cString returns the bytes of b up to the first NUL.
func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
