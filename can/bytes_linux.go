//go:build linux

package can

import "encoding/binary"

func u32(v uint32) []byte {
	b := make([]byte, 4)
	binary.NativeEndian.PutUint32(b, v)
	return b
}

func ne32(b []byte) uint32 { return binary.NativeEndian.Uint32(b) }
