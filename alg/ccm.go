package alg

import (
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
)

// ccm is CCM (RFC 3610, NIST SP 800-38C) over a 16-byte block cipher, the
// Go provider's counterpart of the kernel's ccm(aes). Go's standard library
// has no CCM.
type ccm struct {
	b      cipher.Block
	tag    int
	nonce  int
	maxLen uint64
}

func newCCM(b cipher.Block, tagSize, nonceSize int) (*ccm, error) {
	if b.BlockSize() != 16 {
		return nil, errors.New("ccm needs a 16-byte block cipher")
	}
	if tagSize < 4 || tagSize > 16 || tagSize%2 != 0 {
		return nil, fmt.Errorf("ccm tag size %d is not one of 4, 6, 8, 10, 12, 14, 16", tagSize)
	}
	if nonceSize < 7 || nonceSize > 13 {
		return nil, fmt.Errorf("ccm nonce size %d is not in 7..13", nonceSize)
	}
	l := 15 - nonceSize
	maxLen := uint64(1)<<(8*uint(l)) - 1
	if l >= 8 {
		maxLen = ^uint64(0)
	}
	return &ccm{b: b, tag: tagSize, nonce: nonceSize, maxLen: maxLen}, nil
}

func (c *ccm) NonceSize() int { return c.nonce }
func (c *ccm) Overhead() int  { return c.tag }

// ccmCounterBlock returns A_0 (flags L-1, nonce, counter 0), which is also
// the 16-byte IV the kernel's ccm() takes.
func ccmCounterBlock(nonce []byte) [16]byte {
	var a [16]byte
	a[0] = byte(15 - len(nonce) - 1)
	copy(a[1:], nonce)
	return a
}

func (c *ccm) mac(nonce, plaintext, aad []byte) [16]byte {
	l := 15 - c.nonce
	var b0 [16]byte
	b0[0] = byte((c.tag-2)/2)<<3 | byte(l-1)
	if len(aad) > 0 {
		b0[0] |= 0x40
	}
	copy(b0[1:], nonce)
	n := uint64(len(plaintext))
	for i := 15; i > 15-l; i-- {
		b0[i] = byte(n)
		n >>= 8
	}
	var x [16]byte
	c.b.Encrypt(x[:], b0[:])
	absorb := func(data []byte) {
		for len(data) > 0 {
			k := min(16, len(data))
			subtle.XORBytes(x[:k], x[:k], data[:k])
			c.b.Encrypt(x[:], x[:])
			data = data[k:]
		}
	}
	if len(aad) > 0 {
		var hdr []byte
		switch a := uint64(len(aad)); {
		case a < 1<<16-1<<8:
			hdr = binary.BigEndian.AppendUint16(nil, uint16(a))
		case a < 1<<32:
			hdr = binary.BigEndian.AppendUint32([]byte{0xff, 0xfe}, uint32(a))
		default:
			hdr = binary.BigEndian.AppendUint64([]byte{0xff, 0xff}, a)
		}
		buf := append(hdr, aad...)
		if r := len(buf) % 16; r != 0 {
			buf = append(buf, make([]byte, 16-r)...)
		}
		absorb(buf)
	}
	absorb(plaintext)
	return x
}

// ctr XORs src with the keystream starting at counter 1, and returns S_0.
func (c *ccm) ctr(dst, src, nonce []byte) [16]byte {
	a := ccmCounterBlock(nonce)
	var s0 [16]byte
	c.b.Encrypt(s0[:], a[:])
	var ks [16]byte
	ctr := uint64(1)
	for len(src) > 0 {
		for i, v := 15, ctr; i > c.nonce; i-- {
			a[i] = byte(v)
			v >>= 8
		}
		c.b.Encrypt(ks[:], a[:])
		k := min(16, len(src))
		subtle.XORBytes(dst[:k], src[:k], ks[:k])
		dst, src = dst[k:], src[k:]
		ctr++
	}
	return s0
}

func (c *ccm) Seal(dst, nonce, plaintext, aad []byte) []byte {
	if len(nonce) != c.nonce {
		panic("alg: incorrect nonce length given to CCM")
	}
	if uint64(len(plaintext)) > c.maxLen {
		panic("alg: message too large for CCM with this nonce size")
	}
	ret, out := sliceForAppend(dst, len(plaintext)+c.tag)
	t := c.mac(nonce, plaintext, aad)
	s0 := c.ctr(out, plaintext, nonce)
	subtle.XORBytes(out[len(plaintext):], t[:c.tag], s0[:c.tag])
	return ret
}

func (c *ccm) Open(dst, nonce, ciphertext, aad []byte) ([]byte, error) {
	if len(nonce) != c.nonce {
		panic("alg: incorrect nonce length given to CCM")
	}
	if len(ciphertext) < c.tag {
		return nil, ErrAuthentication
	}
	ct, tag := ciphertext[:len(ciphertext)-c.tag], ciphertext[len(ciphertext)-c.tag:]
	ret, out := sliceForAppend(dst, len(ct))
	s0 := c.ctr(out, ct, nonce)
	t := c.mac(nonce, out, aad)
	var want [16]byte
	subtle.XORBytes(want[:c.tag], t[:c.tag], s0[:c.tag])
	if subtle.ConstantTimeCompare(want[:c.tag], tag) != 1 {
		clear(out)
		return nil, ErrAuthentication
	}
	return ret, nil
}

// sliceForAppend extends in by n bytes (as crypto/cipher does) and returns
// the whole slice and the n new bytes.
func sliceForAppend(in []byte, n int) (head, tail []byte) {
	if total := len(in) + n; cap(in) >= total {
		head = in[:total]
	} else {
		head = make([]byte, total)
		copy(head, in)
	}
	tail = head[len(in):]
	return
}
