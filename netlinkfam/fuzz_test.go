package netlinkfam

import (
	"bytes"
	"testing"
)

// FuzzDecodeCANInfo checks that the IFLA_CAN_* decoder never panics and that
// the bit timing it decodes re-encodes to the bytes it came from.
func FuzzDecodeCANInfo(f *testing.F) {
	f.Add(unhex(f, sja1000Info))
	f.Add(unhex(f, "08000400 03000000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ci, err := DecodeCANInfo(b)
		if err != nil {
			return
		}
		as, _ := parseAttrs(b)
		for _, a := range as {
			if a.typ == iflaCANBitTiming && ci.BitTiming != nil {
				last := lastAttr(as, iflaCANBitTiming)
				if got := appendBitTiming(nil, ci.BitTiming); !bytes.Equal(got, last) {
					t.Fatalf("bit timing re-encodes to %x, decoded from %x", got, last)
				}
			}
		}
		_ = ci.CtrlMode.String()
		_ = ci.State.String()
	})
}

func lastAttr(as []attr, typ uint16) []byte {
	var d []byte
	for _, a := range as {
		if a.typ == typ {
			d = a.data
		}
	}
	return d
}

// FuzzDecodeLink checks that the RTM_NEWLINK decoder never panics and that a
// decoded name never contains a NUL.
func FuzzDecodeLink(f *testing.F) {
	f.Add(unhex(f, `
	00001801 05000000 c1000100 00000000
	09000300 63616e30 00000000
	08000400 10000000
	05001000 06000000
	40001280
	  08000100 63616e00
	  0c000200 08000400 03000000
	  1c000300 01000000 02000000 03000000 04000000 05000000 06000000
	  0c00ff00 00000000 00000000`))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := decodeLink(b)
		if err != nil {
			return
		}
		if bytes.IndexByte([]byte(l.Name), 0) >= 0 {
			t.Fatalf("name %q contains NUL", l.Name)
		}
		if l.Kind == "can" && l.CAN == nil {
			t.Fatal("can link without CANInfo")
		}
	})
}
