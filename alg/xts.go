package alg

import (
	"crypto/cipher"
	"encoding/binary"
)

// xts is IEEE 1619 XTS for whole blocks (the kernel's xts() template with
// a 16-byte IV taken as the initial tweak, little-endian multiplication).
type xts struct {
	k1, k2 cipher.Block
}

func (x *xts) crypt(dst, src, iv []byte, encrypt bool) {
	var t, b [16]byte
	x.k2.Encrypt(t[:], iv)
	for i := 0; i < len(src); i += 16 {
		subtle16(&b, src[i:i+16], &t)
		if encrypt {
			x.k1.Encrypt(b[:], b[:])
		} else {
			x.k1.Decrypt(b[:], b[:])
		}
		subtle16((*[16]byte)(dst[i:i+16]), b[:], &t)
		mulAlpha(&t)
	}
}

func subtle16(dst *[16]byte, a []byte, t *[16]byte) {
	for i := range dst {
		dst[i] = a[i] ^ t[i]
	}
}

// mulAlpha multiplies the tweak by x in GF(2^128), little-endian.
func mulAlpha(t *[16]byte) {
	lo := binary.LittleEndian.Uint64(t[:8])
	hi := binary.LittleEndian.Uint64(t[8:])
	carry := hi >> 63
	hi = hi<<1 | lo>>63
	lo = lo<<1 ^ carry*0x87
	binary.LittleEndian.PutUint64(t[:8], lo)
	binary.LittleEndian.PutUint64(t[8:], hi)
}
